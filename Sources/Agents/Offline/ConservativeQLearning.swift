import NeuralNet
import Numerics

/// Conservative Q-learning, CQL(H) for continuous actions (Kumar, Zhou, Tucker & Levine 2020, "Conservative
/// Q-Learning for Offline Reinforcement Learning", eq. 4 and Appendix F), trained on a fixed dataset.
///
/// SAC (Haarnoja et al. 2018: a tanh-squashed Gaussian actor, twin critics with Polyak-averaged targets, automatic
/// temperature towards H̄ = −dim(A)) whose critics each minimise the TD loss plus α times the conservative gap
/// `E_s[log Σ_a exp Q(s, a) − E_{a∼D} Q(s, a)]` (`ConservativePenalty`, importance-sampled with N uniform actions and
/// N draws of the policy at s and at s′). Values of actions the data never tried are pushed down, values of logged
/// actions up, so the actor, which maximises `min_i Q_i − α_SAC log π`, stays where the data can tell it anything.
///
/// With `lagrange`, the regulariser's weight is `α′·α` with α′ ≥ 0 trained so the weighted gap tracks τ
/// (`LagrangeMultiplier`). The TD target is SAC's (`SoftQTarget`), by default without the entropy term (the authors'
/// deterministic backup). Per gradient step: target, candidate actions, critics, α′, actor, temperature, targets.
/// Random numbers per step, in order: the mini-batch, the target's `B × A` normals, the candidates' uniforms and
/// normals, the actor's `B × A` normals.
///
/// Diagnostics: `criticLoss` is each critic's whole objective (TD loss + weight·gap) summed over the two critics,
/// `conservativeGap` the unweighted gap averaged over them, `meanQ` the first critic's mean Q on the logged actions,
/// `temperature` SAC's α, `lagrangeMultiplier` α′ (Lagrange form only).
public struct ConservativeQLearning: OfflineLearner {
    public static let name = "cql"
    public let configuration: CQLConfiguration
    public let dataset: OfflineDataset
    var experience: ExperienceStore
    public private(set) var actor: ActorNetwork
    public private(set) var critics: [Critic]
    public private(set) var targetCritics: [Critic]
    /// SAC's actor and temperature step, with α and their optimisers.
    public private(set) var policyImprovement: SoftPolicyImprovement
    /// α′ of the Lagrange form (stays at its initial 1, unused, without it).
    public private(set) var lagrangeMultiplier: LagrangeMultiplier
    var criticOptimizers: [Adam]
    var lagrangeOptimizer: Adam
    public private(set) var updateCount = 0

    private var noise: Matrix
    private var nextActions = Matrix(rows: 0, columns: 0)
    private var nextLogProbabilities = Matrix(rows: 0, columns: 0)
    private var targets = Matrix(rows: 0, columns: 0)
    private var penaltyWorkspace = ConservativePenalty.Workspace()

    public init(dataset: OfflineDataset, configuration: CQLConfiguration = CQLConfiguration(), seed: UInt64)
        throws(AgentConfigurationError) {
        try configuration.validate()
        let environment = dataset.environment
        policyImprovement = try SoftPolicyImprovement(configuration: configuration.sac, actionDimension: environment.actionDimension)
        let settings = configuration.actorCritic
        if settings.discounting.needsElapsedTime && !dataset.isTimed {
            throw AgentConfigurationError(field: "discountHalfLifeHours",
                                          message: "discounting by time needs a dataset whose transitions all have elapsed times")
        }
        self.configuration = configuration
        self.dataset = dataset
        experience = ExperienceStore(dataset: dataset, configuration: settings)
        let (s, a) = (environment.stateDimension, environment.actionDimension)
        var stream = RandomStream(seed: seed, keys: streamKey("agents.initialization"), streamKey(ConservativeQLearning.name))
        actor = ActorNetwork(stateDimension: s, actionDimension: a, hiddenSizes: settings.hiddenSizes,
                             head: .squashedGaussian(minimumLogStd: configuration.minimumLogStd,
                                                     maximumLogStd: configuration.maximumLogStd),
                             stream: &stream)
        critics = (0..<2).map { _ in Critic(stateDimension: s, actionDimension: a, hiddenSizes: settings.hiddenSizes, stream: &stream) }
        targetCritics = critics
        lagrangeMultiplier = LagrangeMultiplier()
        criticOptimizers = [Adam](repeating: Adam(learningRate: settings.criticLearningRate, weightDecay: settings.criticWeightDecay),
                                  count: 2)
        lagrangeOptimizer = Adam(learningRate: configuration.lagrangeLearningRate)
        noise = Matrix(rows: settings.batchSize, columns: a)
    }

    public var environment: AgentEnvironment { dataset.environment }
    /// SAC's α.
    public var temperature: Temperature { policyImprovement.temperature }
    /// H̄, by default −dim(A).
    public var targetEntropy: Float { policyImprovement.targetEntropy }
    /// The regulariser's weight on each critic's gap: α, or α′·α in the Lagrange form.
    public var effectiveConservativeWeight: Float {
        configuration.conservativeWeight * (configuration.lagrange ? lagrangeMultiplier.value : 1)
    }

    public mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        var d = UpdateDiagnostics()
        let settings = configuration.actorCritic
        guard steps > 0, experience.canSample(learningStarts: settings.learningStarts) else { return d }
        var criticLoss = 0.0, actorLoss = 0.0, meanQ = 0.0, meanTarget = 0.0, logProbability = 0.0, gradientNorm = 0.0
        var gapSum = 0.0
        let clipNorm = settings.gradientClipNorm
        let n = configuration.sampledActions
        for _ in 0..<steps {
            experience.sample(stream: &stream)
            fillNoise(&stream)
            SoftQTarget.compute(
                rewards: experience.batch.rewards, bootstrapDiscounts: experience.batch.bootstrapDiscounts,
                nextStates: experience.batch.nextStates, noise: noise, actor: &actor, targetCritics: &targetCritics,
                temperature: configuration.entropyBackup ? temperature.value : 0,
                nextActions: &nextActions, nextLogProbabilities: &nextLogProbabilities, into: &targets)
            meanTarget += targets.sum() / Double(targets.rows)
            ConservativePenalty.sampleCandidates(states: experience.batch.states, nextStates: experience.batch.nextStates,
                                                 actor: &actor, perGroup: n, stream: &stream, workspace: &penaltyWorkspace)
            let weight = effectiveConservativeWeight
            let batch = experience.batch.states.rows
            var stepGap = 0.0
            for i in critics.indices {
                critics[i].zeroGradients()
                let logSumExp = ConservativePenalty.accumulateLogSumExp(
                    critic: &critics[i], batch: batch, temperature: configuration.logSumExpTemperature, weight: weight,
                    workspace: &penaltyWorkspace)
                let data = ConservativePenalty.accumulateDataTerm(
                    critic: &critics[i], states: experience.batch.states, actions: experience.batch.actions,
                    targets: targets, weight: weight, workspace: &penaltyWorkspace)
                criticLoss += data.loss + Double(weight) * (logSumExp - data.meanQ)
                if i == 0 { meanQ += data.meanQ }
                stepGap += logSumExp - data.meanQ
                if clipNorm > 0 { gradientNorm += Double(critics[i].clipGradients(maxNorm: clipNorm)) }
                criticOptimizers[i].step(&critics[i])
            }
            stepGap /= Double(critics.count)
            gapSum += stepGap
            if configuration.lagrange {
                lagrangeMultiplier.zeroGradients()
                lagrangeMultiplier.accumulateLoss(weightedGap: Double(configuration.conservativeWeight) * stepGap,
                                                  threshold: configuration.lagrangeThreshold)
                lagrangeOptimizer.step(&lagrangeMultiplier)
            }
            fillNoise(&stream)
            let policy = policyImprovement.step(actor: &actor, critics: &critics, states: experience.batch.states, noise: noise)
            actorLoss += policy.loss
            logProbability += policy.meanLogProbability
            Critic.softUpdate(&targetCritics, toward: critics, tau: settings.targetUpdateRate)
            updateCount += 1
        }
        let count = Double(steps)
        d.steps = steps
        d.actorSteps = steps
        d.criticLoss = criticLoss / count
        d.actorLoss = actorLoss / count
        d.meanQ = meanQ / count
        d.meanTarget = meanTarget / count
        d.meanLogProbability = logProbability / count
        d.temperature = Double(temperature.value)
        d.conservativeGap = gapSum / count
        if configuration.lagrange { d.lagrangeMultiplier = Double(lagrangeMultiplier.value) }
        if clipNorm > 0 { d.criticGradientNorm = gradientNorm / (Double(critics.count) * count) }
        return d
    }

    private mutating func fillNoise(_ stream: inout RandomStream) {
        noise.withUnsafeMutableBufferPointer { e in
            for k in 0..<e.count { e[k] = stream.normalFloat() }
        }
    }

    /// The deterministic policy `tanh(μ(s))` with the dataset's observation statistics.
    public func evaluationPolicy() -> ActorPolicy {
        ActorPolicy(agentName: ConservativeQLearning.name, actor: actor, normalizer: experience.statistics,
                    environment: environment, mode: .deterministic, updates: updateCount)
    }
}
