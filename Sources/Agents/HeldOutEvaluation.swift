import Numerics
import Rollout
import Simulator

/// A policy's long-term value on users training never saw: whole episodes of `UserPool.heldOut` users under
/// fixed evaluation streams, so that successive evaluations (and different policies) meet the same users in the
/// same situations (common random numbers).
public struct HeldOutEvaluation: Sendable {
    public let world: World
    public let ranker: any Ranker
    /// Seeds the evaluation streams (independent of any training seed).
    public let seed: UInt64

    /// The seed of training's learning-curve evaluations: the same for every training seed and every agent, so that
    /// all of them meet the same held-out situations.
    public static let trainingSeed: UInt64 = 0x4845_4C44_4F55_54
    public let episodes: Int
    public let threads: Int
    public let users: UserPool

    public init(world: World, ranker: any Ranker, seed: UInt64, episodes: Int, threads: Int, users: UserPool = .heldOut) {
        precondition(episodes > 0 && threads > 0, "HeldOutEvaluation: episodes and threads must be positive")
        self.world = world
        self.ranker = ranker
        self.seed = seed
        self.episodes = episodes
        self.threads = threads
        self.users = users
    }

    /// The value of one policy.
    public struct Result: Codable, Sendable, Equatable {
        /// Mean reward per user-day over the episodes, with a 95% t-interval.
        public var rewardPerUserDay: SimulationSummary.Estimate
        public var rewardPerSession: Double
        public var requestsPerSession: Double
        public var sessionsPerUserDay: Double
    }

    /// The environment's baseline weights on the same episodes: the reference line of learning curves.
    public func evaluateBaseline() -> Result {
        evaluate(FixedPolicy(action: world.actionSpace.baseline, actionSpace: world.actionSpace))
    }

    public func evaluate(_ policy: any FusionPolicy) -> Result {
        let sessions = Simulation(world: world, ranker: ranker, policy: policy, seed: seed, users: users)
            .episodes(0..<episodes, threads: threads, trace: false)
        return Self.result(sessions, horizonDays: world.config.episode.horizonDays)
    }

    static func result(_ sessions: [SessionRecord], horizonDays: Double) -> Result {
        let perDay = PolicyComparison.completeEpisodeRewardPerDay(sessions, horizonDays: horizonDays)
        let values = perDay.keys.sorted().map { perDay[$0]! }
        let ci = values.count > 1 ? tInterval(values: values) : nil
        let mean = values.isEmpty ? Double.nan : values.reduce(0, +) / Double(values.count)
        let count = Double(max(sessions.count, 1))
        return Result(
            rewardPerUserDay: .init(mean: mean, lower: ci?.lower ?? .nan, upper: ci?.upper ?? .nan),
            rewardPerSession: sessions.reduce(0) { $0 + $1.reward } / count,
            requestsPerSession: Double(sessions.reduce(0) { $0 + $1.requests }) / count,
            sessionsPerUserDay: Double(sessions.count) / Double(max(perDay.count, 1)) / horizonDays)
    }
}
