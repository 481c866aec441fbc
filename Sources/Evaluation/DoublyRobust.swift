// Per-request model-based estimators, in obp 0.5.7's definitions (`obp/ope/estimators.py`), with each logged step
// as one round: q̂(x_i, a_i) is the reward model at the logged action (`RewardModel.loggedActionValues`) and
// q̂(x_i, π_e) = E_{a∼π_e(·|x_i)} q̂(x_i, a) its mean under the target (`RewardModel.targetValues`, which the caller
// integrates over the continuous action, or evaluates at a deterministic target's action). E_n is the mean over the
// n logged steps; the estimand is `Estimand.perRequestReward`.

/// Doubly robust (obp `DoublyRobust`, λ = ∞; Dudík et al. 2014):
/// V̂_DR = E_n[q̂(x_i, π_e) + w_i (r_i − q̂(x_i, a_i))]. Unbiased when the weights are right, whatever q̂; with an
/// exact q̂ (r = q̂ at every logged step) it equals DM.
public struct DoublyRobust: Estimator {
    public init() {}
    public var name: String { "DR" }
    public var supportedEstimands: [Estimand] { [.perRequestReward] }
    public var weightScope: WeightScope? { .perStep }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        return try doublyRobustStatistic(input, name: name) { $0 }
    }
}

/// Self-normalised DR (obp `SelfNormalizedDoublyRobust`; Kallus & Uehara 2019):
/// V̂_SNDR = E_n[q̂(x_i, π_e)] + E_n[w_i (r_i − q̂(x_i, a_i))] / E_n[w_i].
public struct SelfNormalizedDoublyRobust: Estimator {
    public init() {}
    public var name: String { "SNDR" }
    public var supportedEstimands: [Estimand] { [.perRequestReward] }
    public var weightScope: WeightScope? { .perStep }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let data = input.data
        let w = try input.requireWeights(for: name).weights
        let model = try input.requireRewardModel(for: name)
        let (r, q, v) = (data.rewards, model.loggedActionValues, model.targetValues)
        let weightSums = RatioStatistic.episodeSums(data) { w[$0] }
        guard weightSums.reduce(0, +) > 0 else { throw EvaluationError.noTargetSupport(estimator: name) }
        return RatioStatistic(
            numerators: [RatioStatistic.episodeSums(data) { v[$0] }, RatioStatistic.episodeSums(data) { w[$0] * (r[$0] - q[$0]) }],
            denominators: [RatioStatistic.stepCounts(data), weightSums])
    }
}

/// Switch-DR (obp `SwitchDoublyRobust`; Wang, Agarwal & Dudík 2017):
/// V̂ = E_n[q̂(x_i, π_e) + w_i (r_i − q̂(x_i, a_i)) 𝟙{w_i ≤ λ}], λ ≥ 0: DR where the weight is at most λ, DM
/// elsewhere. λ = ∞ is DR, λ = 0 is DM on the steps with positive weight.
public struct SwitchDoublyRobust: Estimator {
    /// λ: the largest weight for which the correction is kept.
    public var lambda: Double

    public init(lambda: Double) throws {
        guard lambda >= 0 && !lambda.isNaN else { throw EvaluationError.invalidParameter("Switch-DR: λ must be ≥ 0, got \(lambda)") }
        self.lambda = lambda
    }

    public var name: String { "Switch-DR(λ=\(lambda))" }
    public var supportedEstimands: [Estimand] { [.perRequestReward] }
    public var weightScope: WeightScope? { .perStep }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let lambda = lambda
        return try doublyRobustStatistic(input, name: name) { $0 <= lambda ? $0 : 0 }
    }
}

/// DR with optimistic shrinkage, DR-OS (obp `DoublyRobustWithShrinkage`; Su, Dimakopoulou, Krishnamurthy & Dudík
/// 2020, eq. for ŵ_o): V̂ = E_n[q̂(x_i, π_e) + ŵ_i (r_i − q̂(x_i, a_i))] with ŵ = λw / (w² + λ), λ ≥ 0. λ = 0 is
/// DM, λ → ∞ is DR. A zero weight stays 0 (obp gives 0/0 = NaN at λ = 0, w = 0).
public struct DoublyRobustWithShrinkage: Estimator {
    /// λ ≥ 0 (∞ allowed: DR).
    public var lambda: Double

    public init(lambda: Double) throws {
        guard lambda >= 0 && !lambda.isNaN else { throw EvaluationError.invalidParameter("DR-OS: λ must be ≥ 0, got \(lambda)") }
        self.lambda = lambda
    }

    public var name: String { "DR-OS(λ=\(lambda))" }
    public var supportedEstimands: [Estimand] { [.perRequestReward] }
    public var weightScope: WeightScope? { .perStep }

    /// ŵ = λw / (w² + λ); w itself for λ = ∞; 0 for w = 0.
    @inline(__always)
    static func shrunk(_ w: Double, lambda: Double) -> Double {
        if lambda == .infinity { return w }
        return w == 0 ? 0 : lambda * w / (w * w + lambda)
    }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let lambda = lambda
        return try doublyRobustStatistic(input, name: name) { Self.shrunk($0, lambda: lambda) }
    }
}

/// E_n[q̂(x_i, π_e) + ŵ_i (r_i − q̂(x_i, a_i))] with ŵ = `transform(w)`: DR, Switch-DR and DR-OS.
func doublyRobustStatistic(_ input: EvaluationInput, name: String,
                           transform: (Double) -> Double) throws -> RatioStatistic {
    let data = input.data
    let w = try input.requireWeights(for: name).weights
    let model = try input.requireRewardModel(for: name)
    let (r, q, v) = (data.rewards, model.loggedActionValues, model.targetValues)
    return RatioStatistic.meanOverSteps(data) { v[$0] + transform(w[$0]) * (r[$0] - q[$0]) }
}
