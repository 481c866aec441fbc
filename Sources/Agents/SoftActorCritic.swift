import NeuralNet
import Numerics

/// What SAC and CQL share (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications", Algorithm 1): a
/// tanh-squashed Gaussian actor, two critics with their optimisers and Polyak-averaged targets, the soft TD target
/// (`SoftQTarget`), and the policy-improvement step (`SoftPolicyImprovement`) followed by the target update. Between
/// `computeTargets` and `improvePolicy` the learner updates the critics its own way: SAC by TD regression, CQL with
/// its conservative penalty. As `DeterministicActorCritic` is to DDPG, TD3 and TD3+BC.
///
/// Random numbers: the weights from `(seed, "agents.initialization", agent name)`, actor first; per step,
/// `computeTargets` and `improvePolicy` each draw `B × A` standard normals from the learner's stream.
struct SoftActorCritic: Sendable {
    var actor: ActorNetwork
    var critics: [Critic]
    var targetCritics: [Critic]
    var criticOptimizers: [Adam]
    /// The actor and temperature step, with α and their optimisers.
    var policyImprovement: SoftPolicyImprovement
    /// The targets of the last `computeTargets`, `B × 1`.
    private(set) var targets = Matrix(rows: 0, columns: 0)
    private var noise: Matrix
    private var nextActions = Matrix(rows: 0, columns: 0)
    private var nextLogProbabilities = Matrix(rows: 0, columns: 0)

    /// Fresh networks for `environment` under `configuration`, weights drawn from `seed` and the agent's name.
    ///
    /// - Throws: when a given target entropy is not below dim(A)·log 2 (`SACConfiguration.resolvedTargetEntropy`).
    init(environment: AgentEnvironment, configuration: SACConfiguration, agentName: String, seed: UInt64)
        throws(AgentConfigurationError) {
        policyImprovement = try SoftPolicyImprovement(configuration: configuration, actionDimension: environment.actionDimension)
        let settings = configuration.actorCritic
        let (s, a) = (environment.stateDimension, environment.actionDimension)
        var stream = RandomStream(seed: seed, keys: streamKey("agents.initialization"), streamKey(agentName))
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

    /// α.
    var temperature: Temperature { policyImprovement.temperature }

    /// Draws the next actions' noise and computes the soft TD targets of `batch` into `targets` with entropy weight
    /// `temperature` (α, or 0 for CQL's deterministic backup); returns their mean.
    mutating func computeTargets(_ batch: ReplayBatch, temperature: Float, stream: inout RandomStream) -> Double {
        fillNoise(&stream)
        SoftQTarget.compute(
            rewards: batch.rewards, bootstrapDiscounts: batch.bootstrapDiscounts, nextStates: batch.nextStates,
            noise: noise, actor: &actor, targetCritics: &targetCritics, temperature: temperature,
            nextActions: &nextActions, nextLogProbabilities: &nextLogProbabilities, into: &targets)
        return targets.sum() / Double(targets.rows)
    }

    /// Draws the actor's noise, takes the policy-improvement step on `states`, then moves the target critics by
    /// Polyak rate `tau`. Returns `J_π` and the batch's mean `log π`.
    mutating func improvePolicy(states: Matrix, tau: Float, stream: inout RandomStream) -> (loss: Double, meanLogProbability: Double) {
        fillNoise(&stream)
        let policy = policyImprovement.step(actor: &actor, critics: &critics, states: states, noise: noise)
        Critic.softUpdate(&targetCritics, toward: critics, tau: tau)
        return policy
    }

    /// What SAC and CQL sum over the steps of one `update`.
    struct Totals {
        var criticLoss = 0.0, actorLoss = 0.0, meanQ = 0.0, meanTarget = 0.0, logProbability = 0.0, gradientNorm = 0.0
    }

    /// The per-step means of `totals` over `steps` steps and α after them; the critics' pre-clip gradient norm
    /// (averaged over the critics too) only when clipping is on.
    func diagnostics(_ totals: Totals, steps: Int, clipNorm: Float) -> UpdateDiagnostics {
        var d = UpdateDiagnostics()
        let n = Double(steps)
        d.steps = steps
        d.actorSteps = steps
        d.criticLoss = totals.criticLoss / n
        d.actorLoss = totals.actorLoss / n
        d.meanQ = totals.meanQ / n
        d.meanTarget = totals.meanTarget / n
        d.meanLogProbability = totals.logProbability / n
        d.temperature = Double(temperature.value)
        if clipNorm > 0 { d.criticGradientNorm = totals.gradientNorm / (Double(critics.count) * n) }
        return d
    }

    private mutating func fillNoise(_ stream: inout RandomStream) {
        noise.withUnsafeMutableBufferPointer { e in
            for k in 0..<e.count { e[k] = stream.normalFloat() }
        }
    }
}
