import ArgumentParser
import EpisodeLog
import Foundation

/// `mtfsim inspect`: what an episode log holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise an episode log: runs, sessions, steps, impressions, feedback rates, rewards, actions.",
        discussion: """
        Opens the log read-only (it may still be written by a running simulation) and refuses files that are not \
        MTFSim logs, are corrupt, or come from a newer MTFSim. `--digest` adds a digest of the logical content \
        (every table ordered by its key, wall-clock times excluded): equal digests mean equal logs.
        """
    )

    @Argument(help: ArgumentHelp("The episode log.", valueName: "log"))
    var log: String

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Also compute each run's logical-content digest (reads the whole log).")
    var digest = false

    func run() throws {
        let reader = try EpisodeLogFile.open(path: log)
        defer { try? reader.close() }
        var reports: [InspectReport.Run] = []
        for run in try reader.runs() {
            let s = try EpisodeLogSummary(log: reader, run: run.id)
            reports.append(InspectReport.Run(
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
        let report = InspectReport(path: log, fileBytes: try reader.fileBytes(), schemaVersion: reader.schemaVersion, runs: reports)
        if json {
            print(try JSONOutput.encode(report))
            return
        }
        print("\(log): \(report.fileBytes) bytes, schema version \(report.schemaVersion), \(reports.count) run(s)")
        for r in reports {
            let f = SummaryText.fixed
            print("run \(r.id) \(r.name) [\(r.status)] · \(r.environment) · seed \(r.seed) · policy \(r.policy) · ranker \(r.ranker)")
            let requested = r.requestedSessions > 0 ? " of \(r.requestedSessions) requested" : ""  // 0: a training run
            print("  sessions \(r.sessions)\(requested); steps \(r.steps); impressions \(r.impressions); candidate sets \(r.candidateSets)")
            print("  session ends: returned \(r.sessionEnds["returned"]!), churned \(r.sessionEnds["churned"]!), horizon \(r.sessionEnds["horizon"]!)")
            print("  rate/impression: examined \(f(r.examinedRate, 4))  " + r.taskOrder.map { "\($0) \(SummaryText.format(r.ratePerImpression[$0]!))" }.joined(separator: "  "))
            print("  reward per step \(f(r.rewardPerStep.mean, 3)) (sd \(f(r.rewardPerStep.standardDeviation, 3))); per session \(f(r.rewardPerSession, 3))")
            print("  actions:")
            for a in r.actions {
                print("    \(a.name.padding(toLength: 14, withPad: " ", startingAt: 0)) mean \(f(a.mean, 4))  sd \(f(a.standardDeviation, 4))  min \(f(a.minimum, 4))  max \(f(a.maximum, 4))")
            }
            if let d = r.logicalDigest { print("  logical digest \(d)") }
        }
    }
}

struct InspectReport: Encodable {
    struct Moments: Encodable {
        var mean: Double
        var standardDeviation: Double
    }
    struct Action: Encodable {
        var name: String
        var mean: Double
        var standardDeviation: Double
        var minimum: Double
        var maximum: Double
    }
    struct Run: Encodable {
        var id: Int
        var name: String
        var status: String
        var environment: String
        var seed: UInt64
        var policy: String
        var ranker: String
        var requestedSessions: Int
        var sessions: Int
        var steps: Int
        var impressions: Int
        var candidateSets: Int
        var sessionEnds: [String: Int]
        var examinedRate: Double
        var ratePerImpression: [String: Double]
        var taskOrder: [String]
        var rewardPerStep: Moments
        var rewardPerSession: Double
        var actions: [Action]
        var logicalDigest: String?
    }
    var path: String
    var fileBytes: Int
    var schemaVersion: Int
    var runs: [Run]
}
