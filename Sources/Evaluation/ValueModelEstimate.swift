/// A sequential value model's own estimate, the direct method over episodes (FQE: Le, Voloshin & Yue 2019,
/// Algorithm 3; conservative FQE: Zhang et al. 2022, §4.3.1):
///
///     V̂ = (1/m) Σ_i d_{i,0} v̂_{i,0},    v̂_{i,0} = E_{a∼π_e} Q̂(s_{i,0}, a),
///
/// the mean over episodes of V̂ at each episode's first state (d_{i,0} = 1), divided by the mean user-days for reward
/// per user-day (with v̂ the undiscounted return then). No weights: it works on logs without behaviour densities, and
/// is right only as far as Q̂ is.
///
/// Its interval (t, bootstrap or empirical Bernstein over the per-episode V̂(s_0), like the other estimators')
/// treats Q̂ as fixed: it covers the sampling of the initial states only, not the error of fitting Q̂ on the same
/// episodes, so it is too narrow by that error.
public struct ValueModelEstimate: Estimator {
    /// "FQE" or "conservative FQE".
    public let name: String

    public init(name: String) {
        self.name = name
    }

    public var supportedEstimands: [Estimand] { [.discountedReturn, .rewardPerUserDay] }
    public var weightScope: WeightScope? { nil }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let values = try input.requireRewardModel(for: name).targetValues
        let data = input.data
        return try sequentialStatistic(input, estimand: estimand) { discounts in
            RatioStatistic.meanOverEpisodes((0..<data.episodes).map { e in
                let first = data.episodeOffsets[e]
                return discounts[first] * values[first]
            })
        }
    }
}
