/// Where FQE plugs in: Q̂ and V̂ of a target on the logged steps, for the sequential model-based estimators
/// (per-decision DR, Jiang & Li 2016; WDR, Thomas & Brunskill 2016) and the model's own estimate
/// (`ValueModelEstimate`: FQE, Le et al. 2019; BatchRL-MTF's conservative FQE).
///
/// A conforming type (`FittedQValueModel`) fits Q̂ of `target` on the log's steps with the estimand's discounting and
/// returns, per logged step t, q̂_t = Q̂(s_t, a_t) and v̂_t = E_{a∼π_e} Q̂(s_t, a) as returns from step t in the step's
/// own units (`LoggedDecisions.rewardModel`: undiscounted for reward per user-day). `OffPolicyEvaluation` calls it at
/// most once per target (the estimand is fixed for a run) and shares the values among the estimators that need them.
public protocol SequentialValueModel: Sendable {
    /// The model-only estimator's name ("FQE", "conservative FQE").
    var name: String { get }
    /// The estimands whose returns it models; any other is refused.
    var supportedEstimands: [Estimand] { get }
    /// Q̂ and V̂ per logged step of `data`, for `target` and `estimand`.
    func values(target: TargetPolicy, data: EpisodeLogDecisions, estimand: Estimand) throws -> LoggedDecisions.RewardModel
}
