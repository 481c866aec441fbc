/// IQL's hyper-parameters (Kostrikov, Nair & Levine 2022, "Offline Reinforcement Learning with Implicit Q-Learning",
/// §5 and Appendix B, the authors' MuJoCo settings): the shared ones (256 × 256 networks, Adam at 3·10⁻⁴ for the
/// actor, the critics and the value network, batches of 256, Polyak τ = 0.005 on the target critics) plus the
/// expectile τ = 0.7 of the value regression (eq. 5), the inverse temperature β = 3 of the advantage-weighted policy
/// extraction (eq. 7) with its weights clipped at 100, and the bounds [−5, 2] of the policy's state-independent
/// log σ (the authors' `NormalTanhPolicy(log_std_min=-5.0)` with the library's `LOG_STD_MAX = 2`).
///
/// The discount is the fusion MDP's (`ActorCriticConfiguration.discount`), not the authors' 0.99. The value network
/// learns at `criticLearningRate`, as the authors' `value_lr` equals their `critic_lr`.
public struct IQLConfiguration: AgentConfiguration {
    public var actorCritic = ActorCriticConfiguration()
    /// τ of the expectile loss `L₂^τ(u) = |τ − 1(u < 0)| u²` (eq. 5); 0.5 is the mean (SARSA-like), τ → 1 the
    /// maximum over the data's actions.
    public var expectile: Float = 0.7
    /// β of the advantage weights `exp(β (Q̂(s, a) − V(s)))` (eq. 7); 0 is behaviour cloning.
    public var inverseTemperature: Float = 3
    /// The advantage weights are clipped to at most this value (the authors' `jnp.minimum(exp_a, 100.0)`).
    public var maximumWeight: Float = 100
    /// The policy's log σ is clipped to [minimumLogStd, maximumLogStd].
    public var minimumLogStd: Float = -5
    public var maximumLogStd: Float = 2
    /// When positive, the actor's learning rate follows a cosine decay to 0 over this many actor updates (the
    /// authors' `opt_decay_schedule="cosine"` over their `max_steps`); 0 keeps it constant, the default here: a
    /// departure from their code, so that a run's learner does not depend on how many steps it is told to take
    /// (a checkpoint after n steps of a longer run equals one of an n-step run).
    public var actorCosineDecaySteps: Int = 0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case expectile, inverseTemperature, maximumWeight, minimumLogStd, maximumLogStd, actorCosineDecaySteps
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(actorCriticKeys.union(CodingKeys.allCases.map(\.rawValue)))
        actorCritic = try ActorCriticConfiguration(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        expectile = try c.decodeIfPresent(Float.self, forKey: .expectile) ?? expectile
        inverseTemperature = try c.decodeIfPresent(Float.self, forKey: .inverseTemperature) ?? inverseTemperature
        maximumWeight = try c.decodeIfPresent(Float.self, forKey: .maximumWeight) ?? maximumWeight
        minimumLogStd = try c.decodeIfPresent(Float.self, forKey: .minimumLogStd) ?? minimumLogStd
        maximumLogStd = try c.decodeIfPresent(Float.self, forKey: .maximumLogStd) ?? maximumLogStd
        actorCosineDecaySteps = try c.decodeIfPresent(Int.self, forKey: .actorCosineDecaySteps) ?? actorCosineDecaySteps
    }

    public func encode(to encoder: any Encoder) throws {
        try actorCritic.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(expectile, forKey: .expectile)
        try c.encode(inverseTemperature, forKey: .inverseTemperature)
        try c.encode(maximumWeight, forKey: .maximumWeight)
        try c.encode(minimumLogStd, forKey: .minimumLogStd)
        try c.encode(maximumLogStd, forKey: .maximumLogStd)
        try c.encode(actorCosineDecaySteps, forKey: .actorCosineDecaySteps)
    }

    public func validate() throws(AgentConfigurationError) {
        try actorCritic.validate()
        func check(_ ok: Bool, _ field: CodingKeys, _ message: String) throws(AgentConfigurationError) {
            if !ok { throw AgentConfigurationError(field: field.rawValue, message: message) }
        }
        try check(expectile > 0 && expectile < 1, .expectile, "must be in (0, 1), got \(expectile)")
        try check(inverseTemperature >= 0 && inverseTemperature.isFinite, .inverseTemperature,
                  "must be non-negative (0: behaviour cloning), got \(inverseTemperature)")
        try check(maximumWeight > 0 && maximumWeight.isFinite, .maximumWeight, "must be positive, got \(maximumWeight)")
        try check(minimumLogStd.isFinite && maximumLogStd.isFinite && minimumLogStd < maximumLogStd, .minimumLogStd,
                  "must be below maximumLogStd (\(maximumLogStd)), both finite, got \(minimumLogStd)")
        try check(minimumLogStd <= 0 && maximumLogStd >= 0, .minimumLogStd,
                  "the bounds [\(minimumLogStd), \(maximumLogStd)] must contain the initial log σ = 0")
        try check(actorCosineDecaySteps >= 0, .actorCosineDecaySteps, "must be non-negative (0: constant), got \(actorCosineDecaySteps)")
    }
}
