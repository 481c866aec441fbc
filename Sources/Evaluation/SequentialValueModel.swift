/// Where FQE plugs in: Q̂ and V̂ of a target on the logged steps, for the sequential model-based estimators
/// (per-decision DR, Jiang & Li 2016; WDR, Thomas & Brunskill 2016), and the model's own estimate (FQE, Le et al.
/// 2019; BatchRL-MTF's conservative FQE).
///
/// A conforming type (e.g. `FittedQEvaluation` in `Agents/Offline`) fits Q̂ of `target` on the log's transitions with
/// the estimand's discounting and returns, per logged step t, q̂_t = Q̂(s_t, a_t) and v̂_t = E_{a∼π_e} Q̂(s_t, a) as
/// returns from step t in the step's own units (`LoggedDecisions.rewardModel`: undiscounted for reward per user-day).
/// `OffPolicyEvaluation` calls it once per target and estimand when an estimator needs it, and reports
/// `directEstimate` as the model-only estimator under `name`.
public protocol SequentialValueModel: Sendable {
    /// The model-only estimator's name ("FQE", "conservative FQE").
    var name: String { get }
    /// Q̂ and V̂ per logged step of `data`, for `target` and `estimand`.
    func values(target: TargetPolicy, data: EpisodeLogDecisions, estimand: Estimand) throws -> LoggedDecisions.RewardModel
    /// The model's own estimate from its values: the mean of V̂ at the episodes' first steps (÷ user-days for reward
    /// per user-day).
    func directEstimate(_ values: LoggedDecisions.RewardModel, data: LoggedDecisions, estimand: Estimand) throws -> Estimate
}
