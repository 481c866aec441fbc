/// What an off-policy estimate estimates: the quantity a target policy π_e would achieve, stated before any
/// estimator is chosen, so that estimates of different quantities are never compared.
///
/// Each `Estimator` lists the estimands it supports; asking for another is refused
/// (`EvaluationError.unsupportedEstimand`).
public enum Estimand: String, Sendable, CaseIterable, Codable {
    /// Mean reward per logged decision when π_e chooses that decision's action and everything else (the state
    /// distribution, later decisions) stays as logged: V = E_{s∼logged} E_{a∼π_e(·|s)}[r(s, a)], the contextual-bandit
    /// value obp estimates with each logged step as one round. Myopic: it ignores what the action does to later
    /// requests and returns.
    case perRequestReward
    /// Expected discounted return of an episode under π_e: V = E_{π_e}[Σ_t d_t r_t], with `d_t` the discount the
    /// caller attached to step t (γ^t per request, or 2^(−hours since the episode began / half-life) by time).
    case discountedReturn
    /// Reward per user-day over complete episodes, the README's long-term objective:
    /// V = E_{π_e}[Σ_t r_t] / E[D], with D an episode's user-days, a ratio estimator over episodes. Importance
    /// sampling applies to the numerator only (the undiscounted return, `d_t ≡ 1`); the denominator is the mean of
    /// the logged user-days, which assumes that user-days do not depend on the policy (every complete episode spans
    /// the horizon, churned users included).
    case rewardPerUserDay
}
