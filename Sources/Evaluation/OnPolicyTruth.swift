import EpisodeLog
import Numerics
import Rollout
import Simulator
import Synchronization

/// The simulator's ground truth for off-policy estimates: the target run on-policy in the logged environment.
///
/// The logged world (its environment file and seed, `Replay.world`), the logged ranker, lanes and random exposure;
/// the log's users (the `UserPool` whose user ids match every logged episode); fresh sessions, from a simulation
/// seed different from the log's (`seed`), so that the truth is not the log's own randomness; `sessions` sessions
/// (the first ones in (episode, session) order, as `simulate` keeps them). Every target of one evaluation runs with
/// the same seed and users: common random numbers, so their differences are paired.
///
/// The value is the estimand over the run's complete episodes (`EpisodeColumns`, the same transitions and
/// discounts as the log's): reward per user-day, the mean return over the horizon's days (what `compare`
/// reports); the discounted return per episode; and for the per-request estimand the target's own mean reward per
/// request (its own state distribution: equal to the estimand's logged-state value when the target is the logging
/// policy; otherwise the gap is what a myopic estimand leaves out of later requests). 95% t-interval over episodes
/// (delta method for the per-request ratio).
public struct OnPolicyTruth: Sendable, Codable {
    public var value: Double
    public var lower: Double
    public var upper: Double
    /// Complete episodes the value is over.
    public var episodes: Int
    public var steps: Int

    /// Simulates `target` and computes the truth of `estimand`.
    public static func simulate(target: TargetPolicy, log: EpisodeLogDecisions, world: World, users: UserPool,
                                estimand: Estimand, sessions: Int, seed: UInt64, threads: Int) throws -> OnPolicyTruth {
        let m = log.run.metadata
        let ranker = try SimulationRanker.make(m.rankerName, world: world)
        let collected = TruthCollector(EpisodeColumns(discounting: log.discounting, keepsFeatures: false))
        _ = Simulation(world: world, ranker: ranker, policy: target.policy, seed: seed, users: users)
            .run(.init(sessions: sessions, threads: threads, lanes: m.lanes,
                       sessionSink: { batch in
                           collected.state.withLock { state in
                               for session in batch {
                                   let ending = TransitionRule.SessionEnding(end: session.end, returnGapMinutes: session.returnGapMinutes)
                                   for step in session.steps {
                                       let keyed = KeyedStep(episode: session.episode, sessionIndex: session.sessionIndex, step: step)
                                       state.rule.add(keyed, ending: step.sessionEnd ? ending : nil) { state.columns.add($0) }
                                   }
                               }
                           }
                       },
                       randomExposure: m.randomExposure))
        var columns = collected.state.withLock { state in
            state.rule.finish { state.columns.add($0) }
            return state.columns
        }
        columns.finish()
        guard columns.episodes > 1 else {
            throw OffPolicyEvaluationError.invalidSetting("--truth \(sessions): the on-policy run of \(target.name) completed \(columns.episodes) episode(s); simulate more sessions")
        }
        let data = try LoggedDecisions(rewards: columns.rewards, discounts: columns.discounts, episodeOffsets: columns.offsets,
                                       userDays: [Double](repeating: log.config.episode.horizonDays, count: columns.episodes))
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
                             episodes: data.episodes, steps: data.steps)
    }

    /// The transitions of the sessions handed to the run's sink, in order, as episode columns.
    private struct TruthColumns: Sendable {
        var rule = TransitionRule()
        var columns: EpisodeColumns
    }

    private final class TruthCollector: Sendable {
        let state: Mutex<TruthColumns>
        init(_ columns: EpisodeColumns) { state = Mutex(TruthColumns(columns: columns)) }
    }
}
