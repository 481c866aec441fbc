import Numerics

/// Twin delayed DDPG (Fujimoto et al. 2018, Algorithm 1): DDPG with clipped double-Q learning
/// (two critics, targets from their minimum), target policy smoothing (clipped Gaussian noise on
/// the target action, eq. 15), and delayed actor and target updates (every `policyDelay` critic
/// updates). See `ClippedDoubleQTarget` for the target.
public struct TD3Agent: OnlineAgent {
    public static let name = "td3"
    public let configuration: TD3Configuration
    var core: DeterministicActorCritic

    /// A fresh agent; weights are drawn from `seed`.
    public init(environment: AgentEnvironment, configuration: TD3Configuration = TD3Configuration(), seed: UInt64)
        throws(AgentConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        core = DeterministicActorCritic(agentName: TD3Agent.name, environment: environment,
                                        settings: configuration.actorCritic, criticCount: 2,
                                        policyNoise: configuration.policyNoise, noiseClip: configuration.noiseClip,
                                        policyDelay: configuration.policyDelay, seed: seed)
    }

    public var environment: AgentEnvironment { core.environment }
    public var storedTransitionCount: Int { core.experience.replay.count }
    public var updateCount: Int { core.updateCount }
    public var actor: ActorNetwork { core.actor }
    public var critics: [Critic] { core.critics }
    public var targetCritics: [Critic] { core.criticTargets }
    public var targetActor: ActorNetwork { core.actorTarget }
    public var observationNormalizer: ObservationNormalizer { core.experience.normalizer }

    public mutating func observe(_ transitions: TransitionBatch) { core.experience.observe(transitions) }

    public mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        core.update(steps: steps, stream: &stream)
    }

    public func behaviourPolicy() -> ActorPolicy { core.behaviourPolicy() }
    public func evaluationPolicy() -> ActorPolicy { core.policy(mode: .deterministic) }
}
