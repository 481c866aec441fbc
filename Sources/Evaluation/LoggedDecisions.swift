/// Logged decisions grouped into episodes, in flat columns, with what a target policy needs to be evaluated on them:
/// the input of every estimator.
///
/// One step is one logged decision (a request); one episode is one user's run of sessions, the independent unit of
/// resampling and of intervals. Steps are stored episode after episode; episode `e` holds the steps
/// `episodeOffsets[e] ..< episodeOffsets[e + 1]`. Columns are plain `[Double]` so that a million steps cost a few
/// arrays; copies share storage until written (several targets on one log share the log's columns).
///
/// Densities are logarithms in the same units for both policies (MTFSim's raw action units, `PolicyDensity`); only
/// their difference, log w = log π_e − log π_b, is used. A deterministic target has no density: give the log-density
/// of a smoothing kernel around its action instead (`KernelSmoothing`, Kallus & Zhou 2018).
public struct LoggedDecisions: Sendable {
    /// How the target policy is given on the logged steps.
    public enum Target: Sendable {
        /// log π_e(a_t | s_t) per step, in the units of the behaviour densities; −∞ where π_e cannot take a_t.
        case logDensities([Double])
        /// log w_t = log π_e(a_t | s_t) − log π_b(a_t | s_t) per step, computed elsewhere; the behaviour
        /// densities are then not needed.
        case logWeights([Double])
    }

    /// Reward-model values for the model-based estimators (DM, DR and their variants).
    public struct RewardModel: Sendable {
        /// q̂(s_t, a_t) at the logged action, per step.
        public var loggedActionValues: [Double]
        /// v̂(s_t) = E_{a∼π_e(·|s_t)} q̂(s_t, a), per step.
        public var targetValues: [Double]

        public init(loggedActionValues: [Double], targetValues: [Double]) {
            self.loggedActionValues = loggedActionValues
            self.targetValues = targetValues
        }
    }

    /// r_t per step.
    public var rewards: [Double]
    /// d_t per step: the discount applied to that step's reward in the discounted return, computed by the caller from
    /// the logged times (γ^t per request, or 2^(−hours since the episode began / half-life) by time). Usually
    /// d = 1 at an episode's first step.
    public var discounts: [Double]
    /// Start of each episode in the step columns, then the step count: `episodes + 1` increasing offsets from 0.
    public var episodeOffsets: [Int]
    /// log π_b(a_t | s_t) per step as logged, or nil when the log has none (then only DM works).
    public var behaviourLogDensities: [Double]?
    /// The target policy on the logged steps, or nil (then only estimators without weights work).
    public var target: Target?
    /// q̂ and v̂ per step, or nil. For per-request estimators they model the immediate reward; for the sequential
    /// ones the return from the step to the episode's end in the estimand's discounting (relative to the step:
    /// q̂_t ≈ E[Σ_{u≥t} (d_u/d_t) r_u | s_t, a_t], undiscounted for reward per user-day).
    public var rewardModel: RewardModel?
    /// User-days of each episode (reward per user-day's denominator), or nil.
    public var userDays: [Double]?
    /// w(s_t, a_t) per step, the target's state-action occupancy relative to the logged steps' distribution
    /// (`MinimaxWeightLearning`), or nil.
    public var occupancyWeights: [Double]?

    /// Checks that the columns fit together: equal lengths, offsets from 0 to the step count with no empty episode,
    /// finite rewards and reward-model values, discounts finite and ≥ 0, user-days finite and > 0. Densities are
    /// checked where they are used (`ImportanceWeights`), so that a step is named there.
    public init(rewards: [Double], discounts: [Double]? = nil, episodeOffsets: [Int],
                behaviourLogDensities: [Double]? = nil, target: Target? = nil,
                rewardModel: RewardModel? = nil, userDays: [Double]? = nil) throws {
        let n = rewards.count
        guard let first = episodeOffsets.first, first == 0, episodeOffsets.last == n, episodeOffsets.count >= 2 else {
            throw EvaluationError.malformedData("episode offsets must run from 0 to the \(n) steps, with at least one episode")
        }
        for e in 0..<(episodeOffsets.count - 1) where episodeOffsets[e + 1] <= episodeOffsets[e] {
            throw EvaluationError.malformedData("episode \(e) is empty or its offsets decrease (\(episodeOffsets[e]) → \(episodeOffsets[e + 1]))")
        }
        let m = episodeOffsets.count - 1
        func check(_ column: [Double]?, _ name: String, count: Int) throws {
            guard let column else { return }
            guard column.count == count else {
                throw EvaluationError.malformedData("\(column.count) \(name) for \(count) \(count == n ? "steps" : "episodes")")
            }
        }
        try check(discounts, "discounts", count: n)
        try check(behaviourLogDensities, "behaviour log-densities", count: n)
        try check(rewardModel?.loggedActionValues, "reward-model values q̂", count: n)
        try check(rewardModel?.targetValues, "reward-model values v̂", count: n)
        try check(userDays, "user-days", count: m)
        switch target {
        case .logDensities(let values)?: try check(values, "target log-densities", count: n)
        case .logWeights(let values)?: try check(values, "log-weights", count: n)
        case nil: break
        }
        if let i = rewards.firstIndex(where: { !$0.isFinite }) {
            throw EvaluationError.malformedData("reward \(rewards[i]) at step \(i)")
        }
        if let i = discounts?.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
            throw EvaluationError.malformedData("discount \(discounts![i]) at step \(i); discounts must be finite and ≥ 0")
        }
        if let model = rewardModel {
            for (name, column) in [("q̂", model.loggedActionValues), ("v̂", model.targetValues)] {
                if let i = column.firstIndex(where: { !$0.isFinite }) {
                    throw EvaluationError.malformedData("reward-model value \(name) = \(column[i]) at step \(i)")
                }
            }
        }
        if let i = userDays?.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw EvaluationError.malformedData("user-days \(userDays![i]) of episode \(i); they must be finite and > 0")
        }
        self.rewards = rewards
        self.discounts = discounts ?? [Double](repeating: 1, count: n)
        self.episodeOffsets = episodeOffsets
        self.behaviourLogDensities = behaviourLogDensities
        self.target = target
        self.rewardModel = rewardModel
        self.userDays = userDays
    }

    /// Number of logged steps.
    public var steps: Int { rewards.count }
    /// Number of episodes.
    public var episodes: Int { episodeOffsets.count - 1 }
    /// The steps of episode `e`.
    @inline(__always)
    public func range(ofEpisode e: Int) -> Range<Int> { episodeOffsets[e] ..< episodeOffsets[e + 1] }
    /// The longest episode's step count.
    public var longestEpisode: Int { (0..<episodes).map { episodeOffsets[$0 + 1] - episodeOffsets[$0] }.max() ?? 0 }

    /// Names the step at `index` (episode and position) for messages.
    public func location(ofStep index: Int) -> StepLocation {
        var lo = 0, hi = episodes - 1
        while lo < hi {  // the last episode whose offset is ≤ index
            let mid = (lo + hi + 1) / 2
            if episodeOffsets[mid] <= index { lo = mid } else { hi = mid - 1 }
        }
        return StepLocation(step: index, episode: lo, position: index - episodeOffsets[lo])
    }
}
