import Foundation

/// What an episode log holds, run by run (`mtfsim inspect --json`): its metadata, row counts, how sessions ended,
/// per-impression task rates, reward moments and per-dimension action statistics (see `EpisodeLogSummary`).
public struct EpisodeLogInspection: Codable, Sendable {
    public struct Moments: Codable, Sendable {
        public var mean: Double
        public var standardDeviation: Double
    }
    public struct Action: Codable, Sendable {
        public var name: String
        public var mean: Double
        public var standardDeviation: Double
        public var minimum: Double
        public var maximum: Double
    }
    public struct Run: Codable, Sendable {
        public var id: Int
        public var name: String
        public var status: String
        public var environment: String
        public var seed: UInt64
        public var policy: String
        public var ranker: String
        public var requestedSessions: Int
        public var sessions: Int
        public var steps: Int
        public var impressions: Int
        public var candidateSets: Int
        public var sessionEnds: [String: Int]
        public var examinedRate: Double
        public var ratePerImpression: [String: Double]
        public var taskOrder: [String]
        public var rewardPerStep: Moments
        public var rewardPerSession: Double
        public var actions: [Action]
        public var logicalDigest: String?
    }
    public var path: String
    public var fileBytes: Int
    public var schemaVersion: Int
    public var runs: [Run]

    /// Summarises every run of `reader` (opened from `path`); with `digest`, also each run's logical-content digest
    /// (reads the whole log).
    public init(reader: EpisodeLogReader, path: String, digest: Bool) throws {
        var runs: [Run] = []
        for run in try reader.runs() {
            let s = try EpisodeLogSummary(log: reader, run: run.id)
            runs.append(Run(
                id: run.id, name: run.metadata.name, status: run.status.rawValue, environment: run.metadata.environmentName,
                seed: run.metadata.seed, policy: run.metadata.policySpec, ranker: run.metadata.rankerName,
                requestedSessions: run.metadata.requestedSessions, sessions: s.sessions, steps: s.steps,
                impressions: s.impressions, candidateSets: s.candidateSets,
                sessionEnds: ["returned": s.sessionEnds[0], "churned": s.sessionEnds[1], "horizon": s.sessionEnds[2]],
                examinedRate: s.examinedRate,
                ratePerImpression: Dictionary(uniqueKeysWithValues: s.taskRates.map { ($0.name, $0.rate) }),
                taskOrder: s.taskRates.map(\.name),
                rewardPerStep: .init(mean: s.rewardMean, standardDeviation: s.rewardStandardDeviation),
                rewardPerSession: s.sessionRewardMean,
                actions: s.actions.map { .init(name: $0.name, mean: $0.mean, standardDeviation: $0.standardDeviation,
                                                minimum: $0.minimum, maximum: $0.maximum) },
                logicalDigest: digest ? String(format: "%016llx", try reader.logicalDigest(run: run.id)) : nil))
        }
        self.path = path
        fileBytes = try reader.fileBytes()
        schemaVersion = reader.schemaVersion
        self.runs = runs
    }
}
