import Numerics
import Simulator

/// Policies run on the same users with common random numbers, compared on the long-term objective.
///
/// For each seed, every policy simulates the same episodes (same users, same per-session response,
/// retrieval and return streams), so per-episode differences are paired; the paired difference to the
/// first policy has a far tighter interval than the two separate means.
public struct PolicyComparison: Sendable {
    /// One policy's results over all seeds.
    public struct Entry: Sendable, Codable {
        public var policy: String
        /// Reward per user-day over complete episodes, 95% t-interval over episodes of all seeds.
        public var rewardPerUserDay: SimulationSummary.Estimate
        /// Reward per session, 95% interval clustered by episode.
        public var rewardPerSession: SimulationSummary.Estimate
        public var requestsPerSession: Double
        public var sessionsPerUserDay: Double
        public var clickRate: Double
        public var watchSecondsPerSession: Double
        /// Paired difference of reward per user-day to the first policy (episodes complete in both runs).
        public var differenceToFirst: SimulationSummary.Estimate?
        public var pairedEpisodes: Int
    }

    public var entries: [Entry]
    public var seeds: [UInt64]
    public var sessionsPerRun: Int

    /// Runs `policies` (specs parsed against each seed's world) for `sessions` sessions on every seed.
    public static func run(config: EnvironmentConfig, policies specs: [String], seeds: [UInt64], sessions: Int,
                           threads: Int, progress: (@Sendable (Int) -> Void)? = nil) throws -> PolicyComparison {
        precondition(!specs.isEmpty && !seeds.isEmpty, "PolicyComparison: no policies or seeds")
        // perEpisode[p][seed index] = [episode: reward per day]; records[p] = all sessions.
        var perEpisode = [[[Int: Double]]](repeating: [], count: specs.count)
        var records = [[SessionRecord]](repeating: [], count: specs.count)
        var specNames = specs
        var done = 0
        var episodeOffset = [Int](repeating: 0, count: specs.count)
        for seed in seeds {
            let world = try World(config: config, seed: seed)
            let ranker = OracleNoiseRanker(config: config)
            for (p, spec) in specs.enumerated() {
                let policy = try PolicySpec.parse(spec, world: world)
                specNames[p] = policy.spec
                let output = Simulation(world: world, ranker: ranker, policy: policy, seed: seed)
                    .run(.init(sessions: sessions, threads: threads))
                perEpisode[p].append(completeEpisodeRewardPerDay(output.sessions, horizonDays: config.episode.horizonDays))
                // Episodes of different seeds are different users: give them distinct cluster ids.
                let offset = episodeOffset[p]
                records[p] += output.sessions.map { r in
                    var r = r
                    r.episode += offset
                    return r
                }
                episodeOffset[p] = offset + (output.sessions.map(\.episode).max() ?? 0) + 1
                done += 1
                progress?(done)
            }
        }
        var entries: [Entry] = []
        for p in specs.indices {
            let summary = SimulationSummary(sessions: records[p], config: config)
            let values = perEpisode[p].flatMap { byEpisode in byEpisode.keys.sorted().map { byEpisode[$0]! } }
            var difference: SimulationSummary.Estimate? = nil
            var paired = 0
            if p > 0 {
                var deltas: [Double] = []
                for s in seeds.indices {
                    for episode in perEpisode[p][s].keys.sorted() {
                        if let base = perEpisode[0][s][episode] { deltas.append(perEpisode[p][s][episode]! - base) }
                    }
                }
                paired = deltas.count
                if deltas.count > 1 {
                    let ci = tInterval(values: deltas)
                    difference = .init(mean: ci.estimate, lower: ci.lower, upper: ci.upper)
                }
            }
            let ci = values.count > 1 ? tInterval(values: values) : nil
            entries.append(Entry(
                policy: specNames[p],
                rewardPerUserDay: .init(mean: ci?.estimate ?? .nan, lower: ci?.lower ?? .nan, upper: ci?.upper ?? .nan),
                rewardPerSession: summary.rewardPerSession,
                requestsPerSession: summary.requestsPerSession.mean,
                sessionsPerUserDay: summary.sessionsPerUserDay,
                clickRate: summary.ratePerImpression[config.taskNames[0]] ?? .nan,
                watchSecondsPerSession: summary.watchSecondsPerSession,
                differenceToFirst: difference, pairedEpisodes: paired))
        }
        return PolicyComparison(entries: entries, seeds: seeds, sessionsPerRun: sessions)
    }

    /// Reward per day of each complete episode (one that ended in churn or at the horizon).
    static func completeEpisodeRewardPerDay(_ records: [SessionRecord], horizonDays: Double) -> [Int: Double] {
        var total: [Int: Double] = [:]
        var complete = Set<Int>()
        for r in records {
            total[r.episode, default: 0] += r.reward
            if r.end != .returned { complete.insert(r.episode) }
        }
        return total.filter { complete.contains($0.key) }.mapValues { $0 / horizonDays }
    }
}
