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
    var core: SoftActorCritic
    /// α′ of the Lagrange form (stays at its initial 1, unused, without it).
    public private(set) var lagrangeMultiplier: LagrangeMultiplier
    var lagrangeOptimizer: Adam
    public private(set) var updateCount = 0

    private var penaltyWorkspace = ConservativePenalty.Workspace()

    public init(dataset: OfflineDataset, configuration: CQLConfiguration = CQLConfiguration(), seed: UInt64)
        throws(AgentConfigurationError) {
        try configuration.validate()
        core = try SoftActorCritic(environment: dataset.environment, configuration: configuration.sac,
                                   agentName: ConservativeQLearning.name, seed: seed)
        let settings = configuration.actorCritic
        if settings.discounting.needsElapsedTime && !dataset.isTimed {
            throw AgentConfigurationError(field: "discountHalfLifeHours",
                                          message: "discounting by time needs a dataset whose transitions all have elapsed times")
        }
        self.configuration = configuration
        self.dataset = dataset
        experience = ExperienceStore(dataset: dataset, configuration: settings)
        lagrangeMultiplier = LagrangeMultiplier()
        lagrangeOptimizer = Adam(learningRate: configuration.lagrangeLearningRate)
    }

    public var environment: AgentEnvironment { dataset.environment }
    public var actor: ActorNetwork { core.actor }
    public var critics: [Critic] { core.critics }
    public var targetCritics: [Critic] { core.targetCritics }
    /// SAC's α.
    public var temperature: Temperature { core.temperature }
    /// H̄, by default −dim(A).
    public var targetEntropy: Float { core.policyImprovement.targetEntropy }
    /// The regulariser's weight on each critic's gap: α, or α′·α in the Lagrange form.
    public var effectiveConservativeWeight: Float {
        configuration.conservativeWeight * (configuration.lagrange ? lagrangeMultiplier.value : 1)
    }

    public mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        let settings = configuration.actorCritic
        guard steps > 0, experience.canSample(learningStarts: settings.learningStarts) else { return UpdateDiagnostics() }
        var totals = SoftActorCritic.Totals()
        var gapSum = 0.0
        let clipNorm = settings.gradientClipNorm
        let n = configuration.sampledActions
        for _ in 0..<steps {
            experience.sample(stream: &stream)
            let entropyWeight = configuration.entropyBackup ? core.temperature.value : 0
            totals.meanTarget += core.computeTargets(experience.batch, temperature: entropyWeight, stream: &stream)
            ConservativePenalty.sampleCandidates(states: experience.batch.states, nextStates: experience.batch.nextStates,
                                                 actor: &core.actor, perGroup: n, stream: &stream, workspace: &penaltyWorkspace)
            let weight = effectiveConservativeWeight
            let batch = experience.batch.states.rows
            var stepGap = 0.0
            for i in core.critics.indices {
                core.critics[i].zeroGradients()
                let logSumExp = ConservativePenalty.accumulateLogSumExp(
                    critic: &core.critics[i], batch: batch, temperature: configuration.logSumExpTemperature, weight: weight,
                    workspace: &penaltyWorkspace)
                let data = ConservativePenalty.accumulateDataTerm(
                    critic: &core.critics[i], states: experience.batch.states, actions: experience.batch.actions,
                    targets: core.targets, weight: weight, workspace: &penaltyWorkspace)
                totals.criticLoss += data.loss + Double(weight) * (logSumExp - data.meanQ)
                if i == 0 { totals.meanQ += data.meanQ }
                stepGap += logSumExp - data.meanQ
                if clipNorm > 0 { totals.gradientNorm += Double(core.critics[i].clipGradients(maxNorm: clipNorm)) }
                core.criticOptimizers[i].step(&core.critics[i])
            }
            stepGap /= Double(critics.count)
            gapSum += stepGap
            if configuration.lagrange {
                lagrangeMultiplier.zeroGradients()
                lagrangeMultiplier.accumulateLoss(weightedGap: Double(configuration.conservativeWeight) * stepGap,
                                                  threshold: configuration.lagrangeThreshold)
                lagrangeOptimizer.step(&lagrangeMultiplier)
            }
            let policy = core.improvePolicy(states: experience.batch.states, tau: settings.targetUpdateRate, stream: &stream)
            totals.actorLoss += policy.loss
            totals.logProbability += policy.meanLogProbability
            updateCount += 1
        }
        var d = core.diagnostics(totals, steps: steps, clipNorm: clipNorm)
        d.conservativeGap = gapSum / Double(steps)
        if configuration.lagrange { d.lagrangeMultiplier = Double(lagrangeMultiplier.value) }
        return d
    }

    /// The deterministic policy `tanh(μ(s))` with the dataset's observation statistics.
    public func evaluationPolicy() -> ActorPolicy {
        ActorPolicy(agentName: ConservativeQLearning.name, actor: core.actor, normalizer: experience.statistics,
                    environment: environment, mode: .deterministic, updates: updateCount)
    }
}
