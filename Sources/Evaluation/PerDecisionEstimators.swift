/// Per-decision importance sampling, PDIS (Precup, Sutton & Singh 2000, eq. for per-decision IS):
/// V̂ = (1/m) Σ_i Σ_t d_t ρ^{(i)}_{0:t} r^{(i)}_t: each reward weighted only by the decisions before it, which keeps
/// IS's unbiasedness with less variance.
public struct PerDecisionImportanceSampling: Estimator {
    public init() {}
    public var name: String { "PDIS" }
    public var supportedEstimands: [Estimand] { [.discountedReturn, .rewardPerUserDay] }
    public var weightScope: WeightScope? { .trajectory }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let weights = try input.requireWeights(for: name)
        return try sequentialStatistic(input, estimand: estimand) { discounts in
            try perDecisionStatistic(input.data, weights: weights, discounts: discounts, model: nil)
        }
    }
}

/// Per-decision doubly robust (Jiang & Li 2016, "Doubly robust off-policy value evaluation for reinforcement
/// learning", ICML 2016: their recursion V̂_DR = V̂(s_t) + ρ_t (r_t + γ V̂_DR,next − Q̂(s_t, a_t)), unrolled; the form
/// Thomas & Brunskill 2016 write as DR):
///
///     V̂ = (1/m) Σ_i Σ_t d_t [ρ_{0:t} (r_t − q̂_t) + ρ_{0:t−1} v̂_t]
///
/// with q̂_t = Q̂(s_t, a_t) and v̂_t = V̂(s_t) = E_{a∼π_e} Q̂(s_t, a), both the return from step t in the step's own
/// units (q̂_t ≈ E[Σ_{u≥t} (d_u/d_t) r_u], so a discount by time is handled exactly as γ^t). Unbiased whatever Q̂ when
/// the weights are right; with a good Q̂ its variance is far below PDIS's (which is this with Q̂ = 0). The
/// reward-model values come from the data (`LoggedDecisions.rewardModel`), e.g. from FQE.
public struct PerDecisionDoublyRobust: Estimator {
    public init() {}
    public var name: String { "sequential DR" }
    public var supportedEstimands: [Estimand] { [.discountedReturn, .rewardPerUserDay] }
    public var weightScope: WeightScope? { .trajectory }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let weights = try input.requireWeights(for: name)
        let model = try input.requireRewardModel(for: name)
        return try sequentialStatistic(input, estimand: estimand) { discounts in
            try perDecisionStatistic(input.data, weights: weights, discounts: discounts, model: model)
        }
    }
}

/// (1/m) Σ_i Σ_t d_t [ρ_{0:t} (r_t − q̂_t) + ρ_{0:t−1} v̂_t] (q̂ = v̂ = 0 without a model: PDIS).
func perDecisionStatistic(_ data: LoggedDecisions, weights: ImportanceWeights, discounts: [Double],
                          model: LoggedDecisions.RewardModel?) throws -> RatioStatistic {
    var terms = [Double](repeating: 0, count: data.episodes)
    for e in 0..<data.episodes {
        var previous = 1.0, total = 0.0
        for t in data.range(ofEpisode: e) {
            let rho = try finiteWeight(weights.cumulativeLogWeights[t], data: data, step: t)
            if let model {
                total += discounts[t] * (rho * (data.rewards[t] - model.loggedActionValues[t]) + previous * model.targetValues[t])
            } else {
                total += discounts[t] * rho * data.rewards[t]
            }
            previous = rho
        }
        terms[e] = total
    }
    return RatioStatistic.meanOverEpisodes(terms)
}
