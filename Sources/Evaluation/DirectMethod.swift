// The direct method, in obp 0.5.7's definition (`obp/ope/estimators.py`); see DoublyRobust.swift for the notation.

/// The direct method (obp `DirectMethod`; Beygelzimer & Langford 2009, Dudík et al. 2014): V̂_DM = E_n[q̂(x_i, π_e)].
/// No weights, so it works on logs without behaviour densities; consistent only when q̂ is.
public struct DirectMethod: Estimator {
    public init() {}
    public var name: String { "DM" }
    public var supportedEstimands: [Estimand] { [.perRequestReward] }
    public var weightScope: WeightScope? { nil }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let v = try input.requireRewardModel(for: name).targetValues
        return RatioStatistic.meanOverSteps(input.data) { v[$0] }
    }
}
