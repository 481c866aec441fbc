import NeuralNet
import Numerics

/// Behaviour cloning (Pomerleau 1991, "Efficient Training of Artificial Neural Networks for Autonomous Navigation"):
/// supervised imitation of the logged actions, with no critic and no reward. The baseline every batch-constrained
/// learner is measured against (Fujimoto et al. 2019, "Off-Policy Deep Reinforcement Learning without Exploration",
/// §6; Kumar et al. 2020, "Conservative Q-Learning for Offline Reinforcement Learning", §6): on data from one good
/// behaviour policy it is hard to beat, and it can never be better than the behaviour it copies.
///
/// Each gradient step draws a mini-batch from the dataset (states normalised by the data's statistics, actions in
/// the normalised box) and minimises `BehaviourCloningLoss` for the configured likelihood. It deploys the actor's
/// deterministic action: the actor's output (deterministic likelihood) or the median `tanh(μ)` (Gaussian).
public struct BehaviourCloning: OfflineLearner {
    public static let name = "bc"
    public let configuration: BehaviourCloningConfiguration
    public let dataset: OfflineDataset
    var experience: ExperienceStore
    public private(set) var actor: ActorNetwork
    var optimizer: Adam
    public private(set) var updateCount = 0
    private var workspace = BehaviourCloningLoss.Workspace()

    /// A fresh learner on `dataset`; the actor's weights are drawn from `seed`.
    public init(dataset: OfflineDataset, configuration: BehaviourCloningConfiguration = BehaviourCloningConfiguration(),
                seed: UInt64) throws(AgentConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.dataset = dataset
        let settings = configuration.actorCritic
        experience = ExperienceStore(dataset: dataset, configuration: settings)
        let head: ActorHead = switch configuration.likelihood {
        case .deterministic: .deterministic
        case .gaussian: .squashedGaussian(minimumLogStd: configuration.minimumLogStd, maximumLogStd: configuration.maximumLogStd)
        }
        var stream = RandomStream(seed: seed, keys: streamKey("agents.initialization"), streamKey(BehaviourCloning.name))
        actor = ActorNetwork(stateDimension: dataset.environment.stateDimension,
                             actionDimension: dataset.environment.actionDimension,
                             hiddenSizes: settings.hiddenSizes, head: head, stream: &stream)
        optimizer = Adam(learningRate: settings.actorLearningRate)
    }

    public var environment: AgentEnvironment { dataset.environment }

    /// Takes `steps` gradient steps; `actorLoss` is the mean loss (mean squared error, or mean `−log π(a|s)` in
    /// normalised units), `actorSteps == steps`; there is no critic.
    public mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        var d = UpdateDiagnostics()
        let settings = configuration.actorCritic
        guard steps > 0, experience.canSample(learningStarts: settings.learningStarts) else { return d }
        var loss = 0.0
        for _ in 0..<steps {
            experience.sample(stream: &stream)
            actor.zeroGradients()
            switch configuration.likelihood {
            case .deterministic:
                loss += BehaviourCloningLoss.accumulateMeanSquaredError(
                    actor: &actor, states: experience.batch.states, actions: experience.batch.actions, workspace: &workspace)
            case .gaussian:
                loss += BehaviourCloningLoss.accumulateNegativeLogLikelihood(
                    actor: &actor, states: experience.batch.states, actions: experience.batch.actions, workspace: &workspace)
            }
            if settings.gradientClipNorm > 0 { actor.clipGradients(maxNorm: settings.gradientClipNorm) }
            optimizer.step(&actor)
            updateCount += 1
        }
        d.steps = steps
        d.actorSteps = steps
        d.actorLoss = loss / Double(steps)
        return d
    }

    /// The actor's deterministic action with the dataset's frozen state statistics.
    public func evaluationPolicy() -> ActorPolicy {
        ActorPolicy(agentName: BehaviourCloning.name, actor: actor, normalizer: experience.statistics,
                    environment: environment, mode: .deterministic, updates: updateCount)
    }
}

/// The two behaviour-cloning losses on a mini-batch of normalised states `s_b` and logged normalised actions `a_b`
/// (`B` rows, `A` action dimensions).
///
/// - Deterministic (a tanh actor `π`): the mean squared error `L = (1/(B·A)) Σ_{b,j} (π(s_b)_j − a_bj)²`, averaged
///   over the action dimensions as well, like the behaviour-cloning term of TD3+BC (Fujimoto & Gu 2021, eq. 3, and
///   its reference code's `mse_loss`), so the two losses have the same scale.
/// - Gaussian (a tanh-squashed Gaussian actor, `SquashedGaussian`): the negative log-likelihood of the logged actions,
///   `L = −(1/B) Σ_b log π(a_b|s_b)`, with, per dimension, `u = atanh(a)` and
///
///       −log π = ½((u − μ)/σ)² + log σ + ½ log 2π + log(1 − a²)
///
///   (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications", eq. 26, read at a given action). The
///   last term is the tanh correction; it does not depend on the network, but keeps `L` the true density of the
///   action in the normalised box. Gradients, with `z = (u − μ)/σ`: `∂L/∂μ = −z/(σB)`, `∂L/∂log σ = (1 − z²)/B`
///   (0 where log σ is clamped to its bounds).
public enum BehaviourCloningLoss {
    /// Logged actions are clamped to `±(1 − boundaryMargin)` before `atanh` in the Gaussian likelihood.
    ///
    /// A behaviour policy that clips its actions to the box logs actions exactly on a face, where `atanh` is
    /// infinite. With a margin of 10⁻³ such an action becomes `u = atanh(0.999) ≈ 3.8`: its deployed image
    /// `tanh(u)` is within 0.05 % of the box's width of the face, and `|u − μ|` stays of the order of the normalised
    /// states (clipped at 5 σ), so a few face actions cannot dominate the mini-batch's gradient as `u ≈ 7.3`
    /// (margin 10⁻⁶, also the least that `Float` resolves near 1 with room to spare) would.
    public static let boundaryMargin: Float = 1e-3

    /// Scratch matrices reused from one update to the next.
    public struct Workspace: Sendable {
        var outputGradient = Matrix(rows: 0, columns: 0)
        public init() {}
    }

    /// The deterministic loss: runs the actor forward on `states`, accumulates `∂L/∂θ` and returns `L`.
    public static func accumulateMeanSquaredError(actor: inout ActorNetwork, states: Matrix, actions: Matrix,
                                                  workspace w: inout Workspace) -> Double {
        precondition(actor.head == .deterministic, "BehaviourCloningLoss: mean squared error needs a deterministic actor")
        let (n, a) = (states.rows, actor.actionDimension)
        precondition(actions.rows == n && actions.columns == a,
                     "BehaviourCloningLoss: actions are \(actions.rows)×\(actions.columns), expected \(n)×\(a)")
        let output = actor.forward(states)
        w.outputGradient.resize(rows: n, columns: a)
        let count = n * a
        let scale = 2 / Float(count)
        var squares = 0.0
        output.withUnsafeBufferPointer { p in
            actions.withUnsafeBufferPointer { x in
                w.outputGradient.withUnsafeMutableBufferPointer { g in
                    for k in 0..<count {
                        let difference = p[k] - x[k]
                        squares += Double(difference * difference)
                        g[k] = scale * difference
                    }
                }
            }
        }
        actor.backward(w.outputGradient)
        return squares / Double(count)
    }

    /// The Gaussian loss: runs the actor forward on `states`, accumulates `∂L/∂θ` and returns `L`.
    public static func accumulateNegativeLogLikelihood(actor: inout ActorNetwork, states: Matrix, actions: Matrix,
                                                       workspace w: inout Workspace) -> Double {
        guard case .squashedGaussian(let lo, let hi) = actor.head else {
            preconditionFailure("BehaviourCloningLoss: the likelihood needs a squashed-Gaussian actor")
        }
        let (n, a) = (states.rows, actor.actionDimension)
        precondition(actions.rows == n && actions.columns == a,
                     "BehaviourCloningLoss: actions are \(actions.rows)×\(actions.columns), expected \(n)×\(a)")
        let outputs = actor.forward(states)
        w.outputGradient.resize(rows: n, columns: 2 * a)
        let inverseBatch = 1 / Double(n)
        let bound = Double(1 - boundaryMargin)
        var total = 0.0
        outputs.withUnsafeBufferPointer { out in
            actions.withUnsafeBufferPointer { x in
                w.outputGradient.withUnsafeMutableBufferPointer { g in
                    for r in 0..<n {
                        for j in 0..<a {
                            let action = min(max(Double(x[r * a + j]), -bound), bound)
                            let u = 0.5 * (Elementary.log1p(action) - Elementary.log1p(-action))
                            let mean = Double(out[r * 2 * a + j])
                            let rawLogStd = out[r * 2 * a + a + j]
                            let logStd = Double(min(max(rawLogStd, lo), hi))
                            let z = (u - mean) * Elementary.exp(-logStd)
                            total += -SquashedGaussian.gaussianLogDensity(noise: z, logStd: logStd)
                                + SquashedGaussian.logOneMinusTanhSquared(u)
                            g[r * 2 * a + j] = Float(-z * Elementary.exp(-logStd) * inverseBatch)
                            let inside = rawLogStd > lo && rawLogStd < hi
                            g[r * 2 * a + a + j] = inside ? Float((1 - z * z) * inverseBatch) : 0
                        }
                    }
                }
            }
        }
        actor.backward(w.outputGradient)
        return total * inverseBatch
    }
}

/// How behaviour cloning models the logged actions.
public enum BehaviourLikelihood: String, Codable, Sendable, CaseIterable {
    /// A tanh-squashed Gaussian actor fitted by maximum likelihood (`BehaviourCloningLoss`).
    case gaussian
    /// A deterministic tanh actor fitted by mean squared error.
    case deterministic
}

/// Behaviour cloning's hyper-parameters: from the shared ones, the hidden sizes, `actorLearningRate`, `batchSize`,
/// `gradientClipNorm` and the observation normalisation (the critic, discount and target fields are unused), plus
/// the likelihood and the Gaussian actor's log-σ bounds.
///
/// The default likelihood is Gaussian (issue 13 names it first): its state-dependent σ models the behaviour's spread,
/// so states where the log is noisy weigh less in the fit of the mean than under the mean squared error, and the
/// fitted actor is also a density of the behaviour. Its deployed action, the median `tanh(μ)`, is unaffected by
/// clipping at the faces, which shifts the mean that the mean squared error fits. Either way the deployed policy is
/// a deterministic action in the box.
public struct BehaviourCloningConfiguration: AgentConfiguration {
    public var actorCritic = ActorCriticConfiguration()
    public var likelihood: BehaviourLikelihood = .gaussian
    /// The Gaussian actor's log σ is clamped to [minimumLogStd, maximumLogStd] (normalised units before tanh).
    ///
    /// The lower bound is −5 rather than SAC's −20: maximum likelihood on a nearly deterministic log drives σ
    /// towards 0, where the loss is unbounded below and its gradient in μ grows as 1/σ²; σ ≥ e⁻⁵ ≈ 0.007 (0.3 % of the
    /// box's half-width) keeps both finite.
    public var minimumLogStd: Float = -5
    public var maximumLogStd: Float = 2

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case likelihood, minimumLogStd, maximumLogStd
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(actorCriticKeys.union(CodingKeys.allCases.map(\.rawValue)))
        actorCritic = try ActorCriticConfiguration(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        likelihood = try c.decodeIfPresent(BehaviourLikelihood.self, forKey: .likelihood) ?? likelihood
        minimumLogStd = try c.decodeIfPresent(Float.self, forKey: .minimumLogStd) ?? minimumLogStd
        maximumLogStd = try c.decodeIfPresent(Float.self, forKey: .maximumLogStd) ?? maximumLogStd
    }

    public func encode(to encoder: any Encoder) throws {
        try actorCritic.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(likelihood, forKey: .likelihood)
        try c.encode(minimumLogStd, forKey: .minimumLogStd)
        try c.encode(maximumLogStd, forKey: .maximumLogStd)
    }

    public func validate() throws(AgentConfigurationError) {
        try actorCritic.validate()
        if !minimumLogStd.isFinite || !maximumLogStd.isFinite || !(minimumLogStd < maximumLogStd) {
            throw AgentConfigurationError(field: "minimumLogStd",
                                          message: "must be finite and below maximumLogStd (\(maximumLogStd)), got \(minimumLogStd)")
        }
    }
}
