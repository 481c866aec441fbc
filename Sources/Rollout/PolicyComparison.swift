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
        /// Mean count of each task per session (plays, long views, likes, …: the interactions).
        public var taskCountsPerSession: [String: Double]
        /// Share of sessions after which the user did not churn.
        public var returnRate: Double
        /// Mean gap before a return, hours.
        public var meanReturnGapHours: Double
        /// Paired difference of reward per user-day to the first policy (episodes complete in both runs).
        public var differenceToFirst: SimulationSummary.Estimate?
        public var pairedEpisodes: Int
    }

    public var entries: [Entry]
    public var seeds: [UInt64]
    public var sessionsPerRun: Int
    public var users: UserPool

    /// Runs `policies` (specs resolved against each seed's world by `resolve`) for `sessions` sessions of `users`
    /// on every seed.
    public static func run(config: EnvironmentConfig, policies specs: [String], seeds: [UInt64], sessions: Int,
                           threads: Int, users: UserPool = .all,
                           resolve: (String, World) throws -> any FusionPolicy = { try PolicySpec.parse($0, world: $1) },
                           progress: (@Sendable (Int) -> Void)? = nil) throws -> PolicyComparison {
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
            // Every policy is resolved before any runs, so that a bad spec or checkpoint is refused at once.
            let policies = try specs.map { try resolve($0, world) }
            for (p, policy) in policies.enumerated() {
                specNames[p] = policy.spec
                let output = Simulation(world: world, ranker: ranker, policy: policy, seed: seed, users: users)
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
            let sessionCount = Double(max(records[p].count, 1))
            var taskCounts: [String: Double] = [:]
            for (k, name) in config.taskNames.enumerated() {
                taskCounts[name] = Double(records[p].reduce(0) { $0 + $1.taskCounts[k] }) / sessionCount
            }
            let gaps = records[p].filter { $0.end == .returned }.compactMap(\.returnGapMinutes)
            let churned = records[p].filter { $0.end == .churned }.count
            entries.append(Entry(
                policy: specNames[p],
                rewardPerUserDay: .init(mean: ci?.estimate ?? .nan, lower: ci?.lower ?? .nan, upper: ci?.upper ?? .nan),
                rewardPerSession: summary.rewardPerSession,
                requestsPerSession: summary.requestsPerSession.mean,
                sessionsPerUserDay: summary.sessionsPerUserDay,
                clickRate: summary.ratePerImpression[config.taskNames[0]] ?? .nan,
                watchSecondsPerSession: summary.watchSecondsPerSession, taskCountsPerSession: taskCounts,
                returnRate: 1 - Double(churned) / sessionCount,
                meanReturnGapHours: gaps.isEmpty ? .nan : gaps.reduce(0, +) / Double(gaps.count) / 60,
                differenceToFirst: difference, pairedEpisodes: paired))
        }
        return PolicyComparison(entries: entries, seeds: seeds, sessionsPerRun: sessions, users: users)
    }

    /// Several policies of one kind (e.g. one agent trained with 5 seeds) summarised together: the replication
    /// unit is the member, so intervals are t-intervals over the members' means (all members ran on the same
    /// users with common random numbers, so their spread is the training-seed variation).
    public struct Group: Sendable, Codable {
        public var name: String
        public var members: [String]
        /// Mean over members of their reward per user-day, 95% t-interval over members.
        public var rewardPerUserDay: SimulationSummary.Estimate
        public var rewardPerSession: SimulationSummary.Estimate
        public var requestsPerSession: Double
        public var sessionsPerUserDay: Double
        public var watchSecondsPerSession: Double
        public var returnRate: Double
        /// Mean over members of their paired difference to the first policy, t-interval over members.
        public var differenceToFirst: SimulationSummary.Estimate?
    }

    /// Summaries of `groups` (a name and the indices of its members' entries).
    public func summarise(groups: [(name: String, members: [Int])]) -> [Group] {
        groups.map { group in
            let members = group.members.map { entries[$0] }
            func estimate(_ values: [Double]) -> SimulationSummary.Estimate {
                let mean = values.reduce(0, +) / Double(max(values.count, 1))
                guard values.count > 1 else { return .init(mean: mean, lower: .nan, upper: .nan) }
                let ci = tInterval(values: values)
                return .init(mean: ci.estimate, lower: ci.lower, upper: ci.upper)
            }
            func average(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
            let differences = members.compactMap { $0.differenceToFirst?.mean }
            return Group(
                name: group.name, members: members.map(\.policy),
                rewardPerUserDay: estimate(members.map(\.rewardPerUserDay.mean)),
                rewardPerSession: estimate(members.map(\.rewardPerSession.mean)),
                requestsPerSession: average(members.map(\.requestsPerSession)),
                sessionsPerUserDay: average(members.map(\.sessionsPerUserDay)),
                watchSecondsPerSession: average(members.map(\.watchSecondsPerSession)),
                returnRate: average(members.map(\.returnRate)),
                differenceToFirst: differences.count == members.count && !differences.isEmpty ? estimate(differences) : nil)
        }
    }

    /// Reward per day of each complete episode (one that ended in churn or at the horizon).
    public static func completeEpisodeRewardPerDay(_ records: [SessionRecord], horizonDays: Double) -> [Int: Double] {
        var total: [Int: Double] = [:]
        var complete = Set<Int>()
        for r in records {
            total[r.episode, default: 0] += r.reward
            if r.end != .returned { complete.insert(r.episode) }
        }
        return total.filter { complete.contains($0.key) }.mapValues { $0 / horizonDays }
    }
}
