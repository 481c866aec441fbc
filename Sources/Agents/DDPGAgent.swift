import Numerics

/// Deep deterministic policy gradient (Lillicrap et al. 2016, Algorithm 1): a deterministic
/// actor trained with the deterministic policy gradient through one critic, which regresses on
/// `y = r + γ(1 − d) Q'(s', π'(s'))` with Polyak-averaged target networks.
///
/// Exploration is Gaussian in the normalised box (truncated to it; see `ActorPolicy`), as in
/// Fujimoto et al.'s re-tuned DDPG, instead of the original Ornstein–Uhlenbeck process.
public struct DDPGAgent: OnlineAgent {
    public static let name = "ddpg"
    public let configuration: DDPGConfiguration
    var core: DeterministicActorCritic

    /// A fresh agent; weights are drawn from `seed`.
    public init(environment: AgentEnvironment, configuration: DDPGConfiguration = DDPGConfiguration(), seed: UInt64)
        throws(AgentConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        core = DeterministicActorCritic(agentName: DDPGAgent.name, environment: environment,
                                        settings: configuration.actorCritic, criticCount: 1,
                                        policyNoise: 0, noiseClip: 0, policyDelay: 1, seed: seed)
    }

    public var environment: AgentEnvironment { core.environment }
    public var storedTransitionCount: Int { core.experience.replay.count }
    public var updateCount: Int { core.updateCount }
    public var actor: ActorNetwork { core.actor }
    public var critic: Critic { core.critics[0] }
    public var observationNormalizer: ObservationNormalizer { core.experience.normalizer }

    public mutating func observe(_ transitions: TransitionBatch) { core.experience.observe(transitions) }

    public mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        core.update(steps: steps, stream: &stream)
    }

    public func behaviourPolicy() -> ActorPolicy { core.behaviourPolicy() }
    public func evaluationPolicy() -> ActorPolicy { core.policy(mode: .deterministic) }
}
