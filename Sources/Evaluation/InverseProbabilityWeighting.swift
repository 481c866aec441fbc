// Per-request importance-weighted estimators, in obp 0.5.7's definitions (`obp/ope/estimators.py`): each logged
// step is one round (x_i = s_t, a_i = a_t, r_i = r_t) and the weight is the density ratio
// w(x, a) = π_e(a|x)/π_b(a|x) of the continuous action (obp's action_dist[a_i]/pscore for discrete actions).
// E_n is the mean over the n logged steps; the estimand is `Estimand.perRequestReward`.

/// Inverse probability weighting (obp `InverseProbabilityWeighting`, λ = ∞; Strehl et al. 2010,
/// Dudík et al. 2014): V̂_IPS = E_n[w(x_i, a_i) r_i]. Unbiased when π_b is known and covers π_e's support;
/// its variance grows with the weights.
public struct InverseProbabilityWeighting: Estimator {
    public init() {}
    public var name: String { "IPS" }
    public var supportedEstimands: [Estimand] { [.perRequestReward] }
    public var weightScope: WeightScope? { .perStep }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let w = try input.requireWeights(for: name).weights, r = input.data.rewards
        return RatioStatistic.meanOverSteps(input.data) { w[$0] * r[$0] }
    }
}

/// Clipped IPS (obp `InverseProbabilityWeighting` with `lambda_`; Su et al. 2020 "pessimistic shrinkage"):
/// V̂ = E_n[min{λ, w(x_i, a_i)} r_i], λ ≥ 0. Trades a downward bias (for nonnegative rewards) for variance.
public struct ClippedInverseProbabilityWeighting: Estimator {
    /// λ: the largest weight kept.
    public var lambda: Double

    public init(lambda: Double) throws {
        guard lambda >= 0 && !lambda.isNaN else { throw EvaluationError.invalidParameter("clipped IPS: λ must be ≥ 0, got \(lambda)") }
        self.lambda = lambda
    }

    public var name: String { "clipped IPS(λ=\(lambda))" }
    public var supportedEstimands: [Estimand] { [.perRequestReward] }
    public var weightScope: WeightScope? { .perStep }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let w = try input.requireWeights(for: name).weights, r = input.data.rewards, lambda = lambda
        return RatioStatistic.meanOverSteps(input.data) { min(lambda, w[$0]) * r[$0] }
    }
}

/// Self-normalised IPS (obp `SelfNormalizedInverseProbabilityWeighting`; Swaminathan & Joachims 2015):
/// V̂_SNIPS = E_n[w_i r_i] / E_n[w_i]. Biased but consistent, and always within [min r, max r] because it is a
/// weighted mean of the rewards.
public struct SelfNormalizedInverseProbabilityWeighting: Estimator {
    public init() {}
    public var name: String { "SNIPS" }
    public var supportedEstimands: [Estimand] { [.perRequestReward] }
    public var weightScope: WeightScope? { .perStep }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let w = try input.requireWeights(for: name).weights, r = input.data.rewards
        let weightSums = RatioStatistic.episodeSums(input.data) { w[$0] }
        guard weightSums.reduce(0, +) > 0 else { throw EvaluationError.noTargetSupport(estimator: name) }
        return RatioStatistic(numerators: [RatioStatistic.episodeSums(input.data) { w[$0] * r[$0] }],
                              denominators: [weightSums])
    }
}

/// Subgaussian IPS (obp `SubGaussianInverseProbabilityWeighting`; Metelli, Russo & Restelli 2021, the power-mean
/// correction): V̂ = E_n[ŵ_i r_i] with ŵ = w / (1 − λ + λw), λ ∈ [0, 1]; λ = 0 is IPS, λ = 1 gives every positive
/// weight 1. A zero weight stays 0 (obp gives 0/0 = NaN at λ = 1, w = 0).
public struct SubGaussianInverseProbabilityWeighting: Estimator {
    /// λ ∈ [0, 1].
    public var lambda: Double

    public init(lambda: Double) throws {
        guard lambda >= 0 && lambda <= 1 else { throw EvaluationError.invalidParameter("SG-IPS: λ must lie in [0, 1], got \(lambda)") }
        self.lambda = lambda
    }

    public var name: String { "SG-IPS(λ=\(lambda))" }
    public var supportedEstimands: [Estimand] { [.perRequestReward] }
    public var weightScope: WeightScope? { .perStep }

    /// ŵ = w / (1 − λ + λw), 0 for w = 0.
    @inline(__always)
    static func shrunk(_ w: Double, lambda: Double) -> Double { w == 0 ? 0 : w / (1 - lambda + lambda * w) }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let w = try input.requireWeights(for: name).weights, r = input.data.rewards, lambda = lambda
        return RatioStatistic.meanOverSteps(input.data) { Self.shrunk(w[$0], lambda: lambda) * r[$0] }
    }
}
