import NeuralNet
import Numerics

/// Soft actor-critic with automatic temperature (Haarnoja et al. 2018, "Soft Actor-Critic
/// Algorithms and Applications", Algorithm 1): a tanh-squashed Gaussian actor, two critics with
/// Polyak-averaged targets regressing on the soft target (`SoftQTarget`), the reparameterised
/// policy loss (`SoftPolicyLoss`), and the temperature loss (`Temperature`) towards the target
/// entropy H̄ = −dim(A). Per gradient step: critics, actor, temperature, then the target critics.
public struct SACAgent: OnlineAgent {
    public static let name = "sac"
    public let configuration: SACConfiguration
    public let environment: AgentEnvironment
    var experience: ExperienceStore
    var core: SoftActorCritic
    public private(set) var updateCount = 0

    /// A fresh agent; weights are drawn from `seed`.
    public init(environment: AgentEnvironment, configuration: SACConfiguration = SACConfiguration(), seed: UInt64)
        throws(AgentConfigurationError) {
        try configuration.validate()
        core = try SoftActorCritic(environment: environment, configuration: configuration, agentName: SACAgent.name, seed: seed)
        self.configuration = configuration
        self.environment = environment
        experience = ExperienceStore(environment: environment, configuration: configuration.actorCritic)
    }

    public var actor: ActorNetwork { core.actor }
    public var critics: [Critic] { core.critics }
    public var targetCritics: [Critic] { core.targetCritics }
    /// α.
    public var temperature: Temperature { core.temperature }
    /// H̄, by default −dim(A).
    public var targetEntropy: Float { core.policyImprovement.targetEntropy }
    public var storedTransitionCount: Int { experience.replay.count }
    public var observationNormalizer: ObservationNormalizer { experience.normalizer }

    public mutating func observe(_ transitions: TransitionBatch) { experience.observe(transitions) }

    public mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        let settings = configuration.actorCritic
        guard steps > 0, experience.canSample(learningStarts: settings.learningStarts) else { return UpdateDiagnostics() }
        var totals = SoftActorCritic.Totals()
        let clipNorm = settings.gradientClipNorm
        for _ in 0..<steps {
            experience.sample(stream: &stream)
            totals.meanTarget += core.computeTargets(experience.batch, temperature: core.temperature.value, stream: &stream)
            let step = Critic.regress(&core.critics, optimizers: &core.criticOptimizers, states: experience.batch.states,
                                      actions: experience.batch.actions, targets: core.targets, clipNorm: clipNorm)
            totals.criticLoss += step.loss
            totals.meanQ += step.meanQ
            totals.gradientNorm += step.gradientNorm
            let policy = core.improvePolicy(states: experience.batch.states, tau: settings.targetUpdateRate, stream: &stream)
            totals.actorLoss += policy.loss
            totals.logProbability += policy.meanLogProbability
            updateCount += 1
        }
        return core.diagnostics(totals, steps: steps, clipNorm: clipNorm)
    }

    /// The stochastic squashed-Gaussian policy.
    public func behaviourPolicy() -> ActorPolicy { policy(mode: .squashedGaussian) }

    /// The deterministic policy `tanh(μ(s))`.
    public func evaluationPolicy() -> ActorPolicy { policy(mode: .deterministic) }

    func policy(mode: ActorPolicy.Mode) -> ActorPolicy {
        ActorPolicy(agentName: SACAgent.name, actor: core.actor, normalizer: experience.statistics, environment: environment,
                    mode: mode, updates: updateCount)
    }
}
