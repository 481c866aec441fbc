import EpisodeLog
import Numerics
import Rollout
import Simulator
import Synchronization

/// The simulator's ground truth for off-policy estimates: the target run on-policy in the logged environment.
///
/// The logged world (its environment file and seed, `Replay.world`), the logged ranker, lanes and random exposure;
/// the log's users (the `UserPool` whose user ids match every logged episode); fresh sessions, from a simulation
/// seed different from the log's (`seed`), so that the truth is not the log's own randomness. Every target of one
/// evaluation runs with the same seed and users: common random numbers, so their differences are paired. Two
/// designs:
/// - `simulate(…sessions:…)`: `sessions` fresh sessions (the first ones in (episode, session) order, as `simulate`
///   keeps them), the value over their complete episodes, with a t-interval over episodes: the value for users
///   like the logged ones.
/// - `replicated(…)`: exactly the log's complete episodes (the same episode numbers, hence the same users) simulated
///   again to their ends, `replicates` times with the seeds `seed`, `seed + 1`, …; the value is the mean over the
///   replicates and its interval a t-interval over them. That is the truth *on the logged users*, the conditional
///   value that obp's synthetic benchmarks also compare with (its ground truth is computed on the logged contexts):
///   between-user variation, which dominates a single run's interval over episodes, is held fixed, so the interval
///   narrows with replicates instead of needing ever more users. (An estimator's own interval, over episodes,
///   includes that variation: against this truth it covers conservatively.)
///
/// The value is the estimand over the complete episodes (`EpisodeColumns`, the same transitions and discounts as
/// the log's): reward per user-day, the mean return over the horizon's days (what `compare` reports); the
/// discounted return per episode; and for the per-request estimand the target's own mean reward per request (its
/// own state distribution: equal to the estimand's logged-state value when the target is the logging policy;
/// otherwise the gap is what a myopic estimand leaves out of later requests). A single run's interval is a 95%
/// t-interval over episodes (delta method for the per-request ratio).
public struct OnPolicyTruth: Sendable, Codable {
    public var value: Double
    public var lower: Double
    public var upper: Double
    /// Complete episodes the value is over (per replicate).
    public var episodes: Int
    public var steps: Int
    /// Each replicate's value, when there are several.
    public var replicateValues: [Double]?
    /// The same runs' mean reward per request on the target's own states, and reward per user-day, whatever the
    /// estimand: what a myopic estimand's truth and the long-term one say of the same target.
    public var perRequestReward: Double
    public var rewardPerUserDay: Double

    /// The truth of `estimand` from `sessions` fresh sessions of `target`.
    public static func simulate(target: TargetPolicy, log: EpisodeLogDecisions, world: World, users: UserPool,
                                estimand: Estimand, sessions: Int, seed: UInt64, threads: Int) throws -> OnPolicyTruth {
        let m = log.run.metadata
        let ranker = try SimulationRanker.make(m.rankerName, world: world)
        let collected = TruthCollector(EpisodeColumns(discounting: log.discounting))
        _ = Simulation(world: world, ranker: ranker, policy: target.policy, seed: seed, users: users)
            .run(.init(sessions: sessions, threads: threads, lanes: m.lanes,
                       sessionSink: { batch in collected.state.withLock { $0.add(batch) } },
                       randomExposure: m.randomExposure))
        let columns = collected.state.withLock { $0.finish() }
        guard columns.episodes > 1 else {
            throw OffPolicyEvaluationError.invalidSetting("--truth \(sessions): the on-policy run of \(target.name) completed \(columns.episodes) episode(s); simulate more sessions")
        }
        return try truth(of: columns, estimand: estimand, horizonDays: log.config.episode.horizonDays)
    }

    /// The truth of `estimand` from the log's complete episodes simulated again under `target` with `seed`.
    public static func loggedEpisodes(target: TargetPolicy, log: EpisodeLogDecisions, world: World, users: UserPool,
                                      estimand: Estimand, seed: UInt64, threads: Int) throws -> OnPolicyTruth {
        let m = log.run.metadata
        let ranker = try SimulationRanker.make(m.rankerName, world: world)
        let logged = Set(log.episodeIDs)
        let last = log.episodeIDs.max() ?? -1
        let sessions = Simulation(world: world, ranker: ranker, policy: target.policy, seed: seed, users: users)
            .episodes(0..<(last + 1), threads: threads, lanes: m.lanes, trace: true, randomExposure: m.randomExposure)
        var state = TruthColumns(columns: EpisodeColumns(discounting: log.discounting))
        state.add(sessions.filter { logged.contains($0.episode) })
        let columns = state.finish()
        guard columns.episodeIDs == log.episodeIDs.sorted() else {
            throw OffPolicyEvaluationError.invalidSetting(
                "the truth of \(target.name) completed \(columns.episodes) of the log's \(logged.count) episodes again")
        }
        return try truth(of: columns, estimand: estimand, horizonDays: log.config.episode.horizonDays)
    }

    /// The truth on the logged users: `loggedEpisodes` with the seeds `seed`, `seed + 1`, … `replicates` times; the
    /// mean and a t-interval over the replicates (one replicate: its own interval over episodes).
    public static func replicated(target: TargetPolicy, log: EpisodeLogDecisions, world: World, users: UserPool,
                                  estimand: Estimand, seed: UInt64, replicates: Int, threads: Int,
                                  level: Double = 0.95) throws -> OnPolicyTruth {
        guard replicates > 0 else {
            throw OffPolicyEvaluationError.invalidSetting("--truth-replicates must be positive, got \(replicates)")
        }
        let runs = try (0..<replicates).map { r in
            try loggedEpisodes(target: target, log: log, world: world, users: users, estimand: estimand,
                               seed: seed &+ UInt64(r), threads: threads)
        }
        guard runs.count > 1 else { return runs[0] }
        let values = runs.map(\.value)
        let n = Double(values.count)
        let interval = tInterval(values: values, level: level)
        return OnPolicyTruth(value: interval.estimate, lower: interval.lower, upper: interval.upper, episodes: runs[0].episodes,
                             steps: runs[0].steps, replicateValues: values,
                             perRequestReward: runs.map(\.perRequestReward).reduce(0, +) / n,
                             rewardPerUserDay: runs.map(\.rewardPerUserDay).reduce(0, +) / n)
    }

    /// The estimand's value and t-interval over the complete episodes of `columns`.
    private static func truth(of columns: EpisodeColumns, estimand: Estimand, horizonDays: Double) throws -> OnPolicyTruth {
        let data = try LoggedDecisions(rewards: columns.rewards, discounts: columns.discounts, episodeOffsets: columns.offsets,
                                       userDays: [Double](repeating: horizonDays, count: columns.episodes))
        let statistic: any EpisodeStatistic
        switch estimand {
        case .perRequestReward:
            statistic = RatioStatistic.meanOverSteps(data) { data.rewards[$0] }
        case .discountedReturn:
            statistic = RatioStatistic.meanOverEpisodes(RatioStatistic.episodeSums(data) { data.rewards[$0] * data.discounts[$0] })
        case .rewardPerUserDay:
            statistic = PerUserDayStatistic(returnStatistic: RatioStatistic.meanOverEpisodes(RatioStatistic.episodeSums(data) { data.rewards[$0] }),
                                            userDays: data.userDays!)
        }
        let interval = statistic.tInterval()
        return OnPolicyTruth(value: statistic.value, lower: interval.lower, upper: interval.upper,
                             episodes: data.episodes, steps: data.steps, replicateValues: nil,
                             perRequestReward: RatioStatistic.meanOverSteps(data) { data.rewards[$0] }.value,
                             rewardPerUserDay: data.rewards.reduce(0, +) / (horizonDays * Double(data.episodes)))
    }

    /// The transitions of sessions in (episode, session) order, as episode columns.
    private struct TruthColumns: Sendable {
        var rule = TransitionRule()
        var columns: EpisodeColumns

        mutating func add(_ sessions: [LoggedSession]) {
            for session in sessions {
                let ending = TransitionRule.SessionEnding(end: session.end, returnGapMinutes: session.returnGapMinutes)
                for step in session.steps {
                    let keyed = KeyedStep(episode: session.episode, sessionIndex: session.sessionIndex, step: step)
                    rule.add(keyed, ending: step.sessionEnd ? ending : nil) { columns.add($0) }
                }
            }
        }

        mutating func finish() -> EpisodeColumns {
            rule.finish { columns.add($0) }
            columns.finish()
            return columns
        }
    }

    private final class TruthCollector: Sendable {
        let state: Mutex<TruthColumns>
        init(_ columns: EpisodeColumns) { state = Mutex(TruthColumns(columns: columns)) }
    }
}
