import NeuralNet
import Numerics

/// The machinery DDPG and TD3 share (Fujimoto et al. 2018, Algorithm 1, which reduces to
/// Lillicrap et al. 2016, Algorithm 1, with one critic, no target smoothing and no delay): a
/// deterministic tanh actor, `criticCount` critics, target copies of all of them, Adam for each,
/// and the experience store (a replay buffer online, a fixed dataset offline).
struct DeterministicActorCritic: Sendable {
    let agentName: String
    let environment: AgentEnvironment
    let settings: ActorCriticConfiguration
    /// TD3's σ̃ (0: no target smoothing).
    let policyNoise: Float
    let noiseClip: Float
    let policyDelay: Int
    /// TD3+BC's α (Fujimoto & Gu 2021, eq. 4): when set, the actor minimises `TD3PlusBCActorLoss` towards the
    /// mini-batch's logged actions instead of the plain deterministic policy gradient.
    let behaviourCloningAlpha: Float?

    var experience: ExperienceStore
    var actor: ActorNetwork
    var actorTarget: ActorNetwork
    var critics: [Critic]
    var criticTargets: [Critic]
    var actorOptimizer: Adam
    var criticOptimizers: [Adam]
    private(set) var updateCount = 0
    private(set) var actorUpdateCount = 0
    /// TD3+BC: mean behaviour-cloning term over the actor steps of the last `update` that took gradient steps.
    private(set) var lastBehaviourCloningLoss: Double?

    // Scratch, reused by every update.
    private var noise: Matrix
    private var nextActions = Matrix(rows: 0, columns: 0)
    private var targets = Matrix(rows: 0, columns: 0)
    private var policyWorkspace = DeterministicPolicyGradient.Workspace()
    private var behaviourCloningWorkspace = TD3PlusBCActorLoss.Workspace()

    init(agentName: String, environment: AgentEnvironment, settings: ActorCriticConfiguration, criticCount: Int,
         policyNoise: Float, noiseClip: Float, policyDelay: Int, seed: UInt64, dataset: OfflineDataset? = nil,
         behaviourCloningAlpha: Float? = nil) {
        self.agentName = agentName
        self.environment = environment
        self.settings = settings
        self.policyNoise = policyNoise
        self.noiseClip = noiseClip
        self.policyDelay = policyDelay
        self.behaviourCloningAlpha = behaviourCloningAlpha
        experience = dataset.map { ExperienceStore(dataset: $0, configuration: settings) }
            ?? ExperienceStore(environment: environment, configuration: settings)
        let (s, a) = (environment.stateDimension, environment.actionDimension)
        var stream = RandomStream(seed: seed, keys: streamKey("agents.initialization"), streamKey(agentName))
        actor = ActorNetwork(stateDimension: s, actionDimension: a, hiddenSizes: settings.hiddenSizes,
                             head: .deterministic, stream: &stream)
        actorTarget = actor
        critics = (0..<criticCount).map { _ in
            Critic(stateDimension: s, actionDimension: a, hiddenSizes: settings.hiddenSizes, stream: &stream)
        }
        criticTargets = critics
        actorOptimizer = Adam(learningRate: settings.actorLearningRate)
        criticOptimizers = [Adam](repeating: Adam(learningRate: settings.criticLearningRate, weightDecay: settings.criticWeightDecay),
                                  count: criticCount)
        noise = Matrix(rows: settings.batchSize, columns: a)
    }

    mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        var d = UpdateDiagnostics()
        guard steps > 0, experience.canSample(learningStarts: settings.learningStarts) else { return d }
        var criticLoss = 0.0, actorLoss = 0.0, meanQ = 0.0, meanTarget = 0.0, gradientNorm = 0.0, behaviourCloningLoss = 0.0
        let clipNorm = settings.gradientClipNorm
        for _ in 0..<steps {
            experience.sample(stream: &stream)
            if policyNoise > 0 {
                let sigma = policyNoise
                noise.withUnsafeMutableBufferPointer { e in
                    for k in 0..<e.count { e[k] = sigma * stream.normalFloat() }
                }
            }
            ClippedDoubleQTarget.compute(
                rewards: experience.batch.rewards, bootstrapDiscounts: experience.batch.bootstrapDiscounts, nextStates: experience.batch.nextStates,
                targetActor: &actorTarget, targetCritics: &criticTargets,
                smoothingNoise: policyNoise > 0 ? noise : nil, noiseClip: noiseClip,
                nextActions: &nextActions, into: &targets)
            meanTarget += targets.sum() / Double(targets.rows)
            let step = Critic.regress(&critics, optimizers: &criticOptimizers, states: experience.batch.states,
                                      actions: experience.batch.actions, targets: targets, clipNorm: clipNorm)
            criticLoss += step.loss
            meanQ += step.meanQ
            gradientNorm += step.gradientNorm
            updateCount += 1
            if updateCount % policyDelay == 0 {
                actor.zeroGradients()
                if let alpha = behaviourCloningAlpha {
                    let value = TD3PlusBCActorLoss.accumulate(
                        actor: &actor, critic: &critics[0], states: experience.batch.states,
                        behaviourActions: experience.batch.actions, alpha: alpha, workspace: &behaviourCloningWorkspace)
                    actorLoss += value.loss
                    behaviourCloningLoss += value.behaviourCloning
                } else {
                    actorLoss += DeterministicPolicyGradient.accumulateActorLoss(
                        actor: &actor, critic: &critics[0], states: experience.batch.states, actionPenalty: settings.actionPenalty,
                        workspace: &policyWorkspace)
                }
                if clipNorm > 0 { actor.clipGradients(maxNorm: clipNorm) }
                actorOptimizer.step(&actor)
                actorUpdateCount += 1
                d.actorSteps += 1
                let tau = settings.targetUpdateRate
                actorTarget.softUpdate(toward: actor, tau: tau)
                Critic.softUpdate(&criticTargets, toward: critics, tau: tau)
            }
        }
        let n = Double(steps)
        d.steps = steps
        d.criticLoss = criticLoss / n
        d.meanQ = meanQ / n
        d.meanTarget = meanTarget / n
        if d.actorSteps > 0 { d.actorLoss = actorLoss / Double(d.actorSteps) }
        if behaviourCloningAlpha != nil {
            lastBehaviourCloningLoss = d.actorSteps > 0 ? behaviourCloningLoss / Double(d.actorSteps) : nil
        }
        if clipNorm > 0 { d.criticGradientNorm = gradientNorm / (n * Double(critics.count)) }
        return d
    }

    func policy(mode: ActorPolicy.Mode) -> ActorPolicy {
        ActorPolicy(agentName: agentName, actor: actor, normalizer: experience.statistics, environment: environment,
                    mode: mode, updates: actorUpdateCount)
    }

    func behaviourPolicy() -> ActorPolicy {
        policy(mode: settings.explorationSigma > 0 ? .gaussian(sigma: settings.explorationSigma) : .deterministic)
    }
}
