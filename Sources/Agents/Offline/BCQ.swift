import NeuralNet
import Numerics

/// Batch-Constrained deep Q-learning for continuous actions (Fujimoto, Meger & Precup, ICML 2019, "Off-Policy Deep
/// Reinforcement Learning without Exploration", Algorithm 1 and §4), with BatchRL-MTF's perturbation bound
/// (Zhang et al., KDD 2022).
///
/// Off-policy learning from a fixed batch overvalues actions the data never tried (extrapolation error, §3.1); BCQ
/// only ever evaluates and chooses actions near the data. Each step of Algorithm 1, on one mini-batch:
/// 1. the conditional VAE G_ω learns the logged actions given the state (`ConditionalVAE`, eq. 12);
/// 2. the twin critics regress on the soft clipped double-Q target (eq. 13) over n actions per next state, each
///    sampled from G_ω and perturbed by the target perturbation model:
///
///        y = r + γ(1 − d) · max_{a_i} [λ min(Q'₁, Q'₂) + (1 − λ) max(Q'₁, Q'₂)](s', a_i),  a_i = ξ'(s', G_ω(s'));
///
///    λ = 0.75 leans towards the minimum (penalising uncertain actions) without TD3's full pessimism;
/// 3. the perturbation model ξ_φ climbs Q₁ at perturbed VAE proposals (`PerturbationNetwork`, eq. 11);
/// 4. the target critics and ξ' follow by Polyak averaging with τ.
///
/// The deployed policy (`BCQPolicy`) samples n proposals from G_ω, perturbs them and takes the one Q₁ values most
/// (eq. 10). All randomness of an update comes from the stream passed to `update`; a seed gives bit-identical networks.
public struct BCQ: OfflineLearner {
    public typealias EvaluationPolicy = BCQPolicy
    public static let name = "bcq"
    public let configuration: BCQConfiguration
    public let dataset: OfflineDataset

    var experience: ExperienceStore
    public private(set) var vae: ConditionalVAE
    public private(set) var perturbation: PerturbationNetwork
    public private(set) var perturbationTarget: PerturbationNetwork
    public private(set) var critics: [Critic]
    public private(set) var criticTargets: [Critic]
    var vaeOptimizer: Adam
    var perturbationOptimizer: Adam
    var criticOptimizers: [Adam]
    public private(set) var updateCount = 0
    /// The VAE loss of the last update call, averaged over its steps.
    public private(set) var lastVAELoss: ConditionalVAE.Loss?

    // Scratch, reused by every update.
    private var vaeNoise = Matrix(rows: 0, columns: 0)
    private var latents = Matrix(rows: 0, columns: 0)
    private var actorLatents = Matrix(rows: 0, columns: 0)
    private var repeatedNextStates = Matrix(rows: 0, columns: 0)
    private var proposals = Matrix(rows: 0, columns: 0)
    private var actorProposals = Matrix(rows: 0, columns: 0)
    private var targetDecoding = InferenceWorkspace()
    private var actorDecoding = InferenceWorkspace()
    private var candidates = Matrix(rows: 0, columns: 0)
    private var targetQ1 = Matrix(rows: 0, columns: 0)
    private var targets = Matrix(rows: 0, columns: 0)
    private var policyWorkspace = DeterministicPolicyGradient.Workspace()

    public init(dataset: OfflineDataset, configuration: BCQConfiguration = BCQConfiguration(), seed: UInt64)
        throws(AgentConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.dataset = dataset
        let settings = configuration.actorCritic
        experience = ExperienceStore(dataset: dataset, configuration: settings)
        let (s, a) = (dataset.environment.stateDimension, dataset.environment.actionDimension)
        var stream = RandomStream(seed: seed, keys: streamKey("agents.initialization"), streamKey(BCQ.name))
        vae = ConditionalVAE(stateDimension: s, actionDimension: a, hiddenSizes: configuration.vaeHiddenSizes, stream: &stream)
        perturbation = PerturbationNetwork(stateDimension: s, actionDimension: a, hiddenSizes: settings.hiddenSizes,
                                           limit: configuration.perturbationLimit, stream: &stream)
        perturbationTarget = perturbation
        critics = (0..<2).map { _ in Critic(stateDimension: s, actionDimension: a, hiddenSizes: settings.hiddenSizes, stream: &stream) }
        criticTargets = critics
        vaeOptimizer = Adam(learningRate: configuration.vaeLearningRate)
        perturbationOptimizer = Adam(learningRate: settings.actorLearningRate)
        criticOptimizers = [Adam](repeating: Adam(learningRate: settings.criticLearningRate, weightDecay: settings.criticWeightDecay),
                                  count: 2)
    }

    public var environment: AgentEnvironment { dataset.environment }

    public mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        var d = UpdateDiagnostics()
        guard steps > 0, experience.canSample(learningStarts: configuration.actorCritic.learningStarts) else { return d }
        let settings = configuration.actorCritic
        let (n, clipNorm, tau) = (configuration.candidateCount, settings.gradientClipNorm, settings.targetUpdateRate)
        var criticLoss = 0.0, actorLoss = 0.0, meanQ = 0.0, meanTarget = 0.0, gradientNorm = 0.0
        var vaeLoss = ConditionalVAE.Loss(reconstruction: 0, kl: 0, total: 0)
        for _ in 0..<steps {
            experience.sample(stream: &stream)
            let batch = experience.batch
            let b = batch.states.rows

            // 1. The generative model of the logged actions.
            vaeNoise.resize(rows: b, columns: vae.latentDimension)
            vaeNoise.withUnsafeMutableBufferPointer { e in for k in 0..<e.count { e[k] = stream.normalFloat() } }
            vae.zeroGradients()
            let l = vae.accumulateLoss(states: batch.states, actions: batch.actions, noise: vaeNoise, klWeight: configuration.klWeight)
            vaeLoss.reconstruction += l.reconstruction
            vaeLoss.kl += l.kl
            vaeLoss.total += l.total
            if clipNorm > 0 { vae.clipGradients(maxNorm: clipNorm) }
            vaeOptimizer.step(&vae)

            // 2. The critics, on n perturbed proposals per next state in one batched pass.
            BCQ.repeatRows(batch.nextStates, times: n, into: &repeatedNextStates)
            vae.sampleLatents(rows: b * n, clip: configuration.latentClip, stream: &stream, into: &latents)
            BCQ.copy(vae.decode(states: repeatedNextStates, latents: latents, workspace: &targetDecoding), into: &proposals)
            BCQ.copy(perturbationTarget.forward(states: repeatedNextStates, actions: proposals), into: &candidates)
            BCQ.copy(criticTargets[0].forward(states: repeatedNextStates, actions: candidates), into: &targetQ1)
            let targetQ2 = criticTargets[1].forward(states: repeatedNextStates, actions: candidates)
            BCQ.softClippedDoubleQTarget(q1: targetQ1, q2: targetQ2, mixing: configuration.targetMixing, candidates: n,
                                         rewards: batch.rewards, bootstrapDiscounts: batch.bootstrapDiscounts, into: &targets)
            meanTarget += targets.sum() / Double(b)
            let step = Critic.regress(&critics, optimizers: &criticOptimizers, states: batch.states, actions: batch.actions,
                                      targets: targets, clipNorm: clipNorm)
            criticLoss += step.loss
            meanQ += step.meanQ
            gradientNorm += step.gradientNorm

            // 3. The perturbation model, at perturbed proposals for the batch's states.
            vae.sampleLatents(rows: b, clip: configuration.latentClip, stream: &stream, into: &actorLatents)
            BCQ.copy(vae.decode(states: batch.states, latents: actorLatents, workspace: &actorDecoding), into: &actorProposals)
            perturbation.zeroGradients()
            actorLoss += perturbation.accumulateObjective(critic: &critics[0], states: batch.states, actions: actorProposals,
                                                          workspace: &policyWorkspace)
            if clipNorm > 0 { perturbation.clipGradients(maxNorm: clipNorm) }
            perturbationOptimizer.step(&perturbation)

            // 4. Targets.
            Critic.softUpdate(&criticTargets, toward: critics, tau: tau)
            perturbationTarget.softUpdate(toward: perturbation, tau: tau)
            updateCount += 1
        }
        let count = Double(steps)
        d.steps = steps
        d.actorSteps = steps
        d.criticLoss = criticLoss / count
        d.actorLoss = actorLoss / count
        d.meanQ = meanQ / count
        d.meanTarget = meanTarget / count
        if clipNorm > 0 { d.criticGradientNorm = gradientNorm / count }
        lastVAELoss = ConditionalVAE.Loss(reconstruction: vaeLoss.reconstruction / count, kl: vaeLoss.kl / count,
                                          total: vaeLoss.total / count)
        return d
    }

    public func evaluationPolicy() -> BCQPolicy {
        BCQPolicy(decoder: vae.decoder, perturbation: perturbation, critic: critics[0], normalizer: experience.statistics,
                  environment: environment, candidateCount: configuration.candidateCount,
                  latentClip: configuration.latentClip, updates: updateCount)
    }

    /// BCQ's target (eq. 13) from the target critics' values at n candidates per transition (rows `r·n … r·n + n − 1`
    /// of `q1`, `q2` belong to transition r): `y_r = r_r + γ_r(1 − d_r) · max_i [λ min(q1, q2) + (1 − λ) max(q1, q2)]`,
    /// with `bootstrapDiscounts` holding γ_r(1 − d_r). Writes `batch × 1` into `targets`.
    public static func softClippedDoubleQTarget(q1: Matrix, q2: Matrix, mixing lambda: Float, candidates n: Int,
                                                rewards: Matrix, bootstrapDiscounts: Matrix, into targets: inout Matrix) {
        let b = rewards.rows
        precondition(n >= 1 && q1.rows == b * n && q2.rows == b * n && q1.columns == 1 && q2.columns == 1
                     && bootstrapDiscounts.rows == b,
                     "BCQ target: \(q1.rows) and \(q2.rows) values for \(b) transitions × \(n) candidates")
        targets.resize(rows: b, columns: 1)
        q1.withUnsafeBufferPointer { x in
            q2.withUnsafeBufferPointer { y in
                rewards.withUnsafeBufferPointer { rw in
                    bootstrapDiscounts.withUnsafeBufferPointer { gd in
                        targets.withUnsafeMutableBufferPointer { out in
                            for r in 0..<b {
                                var best = -Float.infinity
                                for i in 0..<n {
                                    let (u, v) = (x[r * n + i], y[r * n + i])
                                    best = max(best, lambda * min(u, v) + (1 - lambda) * max(u, v))
                                }
                                out[r] = rw[r] + gd[r] * best
                            }
                        }
                    }
                }
            }
        }
    }

    /// Each row of `x` repeated `times` times in a row (`torch.repeat_interleave`), into `out` (resized).
    static func repeatRows(_ x: Matrix, times n: Int, into out: inout Matrix) {
        let (rows, c) = (x.rows, x.columns)
        out.resize(rows: rows * n, columns: c)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    for i in 0..<n {
                        for j in 0..<c { dst[(r * n + i) * c + j] = src[r * c + j] }
                    }
                }
            }
        }
    }

    /// `out ← x` (resized, storage reused), so that a network's output buffer is not held across its next pass.
    static func copy(_ x: Matrix, into out: inout Matrix) {
        out.resize(rows: x.rows, columns: x.columns)
        x.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: src) } }
    }
}
