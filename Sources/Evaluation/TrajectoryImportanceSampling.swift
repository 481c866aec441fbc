import Numerics

// Sequential estimators take each step's discount d_t from the data (`LoggedDecisions.discounts`) for
// `Estimand.discountedReturn`, and d_t ≡ 1 for `Estimand.rewardPerUserDay`, whose undiscounted return they then
// divide by the mean user-days (`PerUserDayStatistic`). ρ_{0:t} = Π_{u≤t} w_u is the cumulative weight of an
// episode's first t + 1 decisions and ρ_{0:−1} = 1.

/// Trajectory-wise importance sampling (Precup, Sutton & Singh 2000, "Eligibility traces for off-policy policy
/// evaluation", eq. for IS): V̂ = (1/m) Σ_i ρ^{(i)}_{0:T_i−1} Σ_t d_t r^{(i)}_t, each episode's return weighted by its
/// whole trajectory's weight. Unbiased; its variance grows exponentially with the episode length.
public struct TrajectoryImportanceSampling: Estimator {
    public init() {}
    public var name: String { "trajectory IS" }
    public var supportedEstimands: [Estimand] { [.discountedReturn, .rewardPerUserDay] }
    public var weightScope: WeightScope? { .trajectory }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let weights = try input.requireWeights(for: name)
        let data = input.data
        return try sequentialStatistic(input, estimand: estimand) { discounts in
            var terms = [Double](repeating: 0, count: data.episodes)
            for e in 0..<data.episodes {
                let steps = data.range(ofEpisode: e)
                let logWeight = weights.cumulativeLogWeights[steps.upperBound - 1]
                let weight = try finiteWeight(logWeight, data: data, step: steps.upperBound - 1)
                let episodeReturn = steps.reduce(0.0) { $0 + discounts[$1] * data.rewards[$1] }
                terms[e] = weight == 0 ? 0 : weight * episodeReturn
            }
            return RatioStatistic.meanOverEpisodes(terms)
        }
    }
}

/// The return statistic for the estimand's discounts (the data's, or 1 for reward per user-day), divided by the
/// mean user-days for reward per user-day.
func sequentialStatistic(_ input: EvaluationInput, estimand: Estimand,
                         returnStatistic: ([Double]) throws -> any EpisodeStatistic) throws -> any EpisodeStatistic {
    switch estimand {
    case .rewardPerUserDay:
        guard let userDays = input.data.userDays else { throw EvaluationError.missingUserDays }
        let undiscounted = [Double](repeating: 1, count: input.data.steps)
        return PerUserDayStatistic(returnStatistic: try returnStatistic(undiscounted), userDays: userDays)
    default:
        return try returnStatistic(input.data.discounts)
    }
}

/// exp(logWeight), refused when it exceeds the largest `Double` (an unnormalised estimator would be infinite).
@inline(__always)
func finiteWeight(_ logWeight: Double, data: LoggedDecisions, step: Int) throws -> Double {
    let w = Elementary.exp(logWeight)
    guard w.isFinite else { throw EvaluationError.weightOverflow(data.location(ofStep: step), logWeight: logWeight) }
    return w
}
