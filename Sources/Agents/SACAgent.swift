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
    public private(set) var actor: ActorNetwork
    public private(set) var critics: [Critic]
    public private(set) var targetCritics: [Critic]
    /// The actor and temperature step, with α and their optimisers.
    public private(set) var policyImprovement: SoftPolicyImprovement
    var criticOptimizers: [Adam]
    public private(set) var updateCount = 0

    private var noise: Matrix
    private var nextActions = Matrix(rows: 0, columns: 0)
    private var nextLogProbabilities = Matrix(rows: 0, columns: 0)
    private var targets = Matrix(rows: 0, columns: 0)

    /// A fresh agent; weights are drawn from `seed`.
    public init(environment: AgentEnvironment, configuration: SACConfiguration = SACConfiguration(), seed: UInt64)
        throws(AgentConfigurationError) {
        try configuration.validate()
        policyImprovement = try SoftPolicyImprovement(configuration: configuration, actionDimension: environment.actionDimension)
        self.configuration = configuration
        self.environment = environment
        let settings = configuration.actorCritic
        experience = ExperienceStore(environment: environment, configuration: settings)
        let (s, a) = (environment.stateDimension, environment.actionDimension)
        var stream = RandomStream(seed: seed, keys: streamKey("agents.initialization"), streamKey(SACAgent.name))
        actor = ActorNetwork(stateDimension: s, actionDimension: a, hiddenSizes: settings.hiddenSizes,
                             head: .squashedGaussian(minimumLogStd: configuration.minimumLogStd,
                                                     maximumLogStd: configuration.maximumLogStd),
                             stream: &stream)
        critics = (0..<2).map { _ in Critic(stateDimension: s, actionDimension: a, hiddenSizes: settings.hiddenSizes, stream: &stream) }
        targetCritics = critics
        criticOptimizers = [Adam](repeating: Adam(learningRate: settings.criticLearningRate, weightDecay: settings.criticWeightDecay),
                                  count: 2)
        noise = Matrix(rows: settings.batchSize, columns: a)
    }

    public var storedTransitionCount: Int { experience.replay.count }
    public var observationNormalizer: ObservationNormalizer { experience.normalizer }
    /// α.
    public var temperature: Temperature { policyImprovement.temperature }
    /// H̄, by default −dim(A).
    public var targetEntropy: Float { policyImprovement.targetEntropy }

    public mutating func observe(_ transitions: TransitionBatch) { experience.observe(transitions) }

    public mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        var d = UpdateDiagnostics()
        let settings = configuration.actorCritic
        guard steps > 0, experience.canSample(learningStarts: settings.learningStarts) else { return d }
        var criticLoss = 0.0, actorLoss = 0.0, meanQ = 0.0, meanTarget = 0.0, logProbability = 0.0, gradientNorm = 0.0
        let clipNorm = settings.gradientClipNorm
        for _ in 0..<steps {
            experience.sample(stream: &stream)
            fillNoise(&stream)
            SoftQTarget.compute(
                rewards: experience.batch.rewards, bootstrapDiscounts: experience.batch.bootstrapDiscounts, nextStates: experience.batch.nextStates,
                noise: noise, actor: &actor, targetCritics: &targetCritics, temperature: temperature.value,
                nextActions: &nextActions, nextLogProbabilities: &nextLogProbabilities,
                into: &targets)
            meanTarget += targets.sum() / Double(targets.rows)
            let step = Critic.regress(&critics, optimizers: &criticOptimizers, states: experience.batch.states,
                                      actions: experience.batch.actions, targets: targets, clipNorm: clipNorm)
            criticLoss += step.loss
            meanQ += step.meanQ
            gradientNorm += step.gradientNorm
            fillNoise(&stream)
            let policy = policyImprovement.step(actor: &actor, critics: &critics, states: experience.batch.states, noise: noise)
            actorLoss += policy.loss
            logProbability += policy.meanLogProbability
            Critic.softUpdate(&targetCritics, toward: critics, tau: settings.targetUpdateRate)
            updateCount += 1
        }
        let n = Double(steps)
        d.steps = steps
        d.actorSteps = steps
        d.criticLoss = criticLoss / n
        d.actorLoss = actorLoss / n
        d.meanQ = meanQ / n
        d.meanTarget = meanTarget / n
        d.meanLogProbability = logProbability / n
        d.temperature = Double(temperature.value)
        if clipNorm > 0 { d.criticGradientNorm = gradientNorm / (2 * n) }
        return d
    }

    private mutating func fillNoise(_ stream: inout RandomStream) {
        noise.withUnsafeMutableBufferPointer { e in
            for k in 0..<e.count { e[k] = stream.normalFloat() }
        }
    }

    /// The stochastic squashed-Gaussian policy.
    public func behaviourPolicy() -> ActorPolicy { policy(mode: .squashedGaussian) }

    /// The deterministic policy `tanh(μ(s))`.
    public func evaluationPolicy() -> ActorPolicy { policy(mode: .deterministic) }

    func policy(mode: ActorPolicy.Mode) -> ActorPolicy {
        ActorPolicy(agentName: SACAgent.name, actor: actor, normalizer: experience.statistics, environment: environment,
                    mode: mode, updates: updateCount)
    }
}
