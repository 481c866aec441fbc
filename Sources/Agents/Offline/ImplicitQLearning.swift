import NeuralNet
import Numerics

/// Implicit Q-learning (Kostrikov, Nair & Levine, ICLR 2022, "Offline Reinforcement Learning with Implicit
/// Q-Learning", Algorithm 1), trained on a fixed dataset.
///
/// IQL never evaluates Q at an action the data did not take. Per gradient step, in the order of the authors' code:
///
/// 1. value, eq. (5): `L_V(ψ) = E[L₂^τ(Q̂(s, a) − V_ψ(s))]`, `Q̂ = min(Q_θ'₁, Q_θ'₂)` the target critics on the
///    logged `(s, a)`, `L₂^τ` the expectile loss (`ExpectileLoss`), so `V(s)` tends to an upper expectile of Q over the
///    data's actions;
/// 2. policy, eq. (7): advantage-weighted regression `L_π(φ) = −E[min(exp(β (Q̂(s, a) − V_ψ(s))), 100) log π_φ(a|s)]`
///    with the value just updated (`AdvantageWeightedRegression`);
/// 3. critics, eq. (6): `L_Q(θ_i) = E[(r + γ(1 − d) V_ψ(s') − Q_θᵢ(s, a))²]` for both critics;
/// 4. Polyak averaging of the target critics with rate τ = 0.005.
///
/// The value and critic steps do not depend on the policy (the policy is extracted alongside, §4.3). The policy is
/// `IQLGaussianActor`: a Gaussian with tanh-squashed mean and a state-independent log σ; the deployed policy is its
/// mean `tanh(μ_φ(s))`, an `ActorPolicy` with a deterministic head.
public struct ImplicitQLearning: OfflineLearner {
    public static let name = "iql"
    public let configuration: IQLConfiguration
    public let dataset: OfflineDataset
    var experience: ExperienceStore
    public private(set) var actor: IQLGaussianActor
    public private(set) var value: ValueNetwork
    public private(set) var critics: [Critic]
    public private(set) var targetCritics: [Critic]
    var actorOptimizer: Adam
    var valueOptimizer: Adam
    var criticOptimizers: [Adam]
    public private(set) var updateCount = 0

    // Scratch, reused by every update.
    private var minimumQ = Matrix(rows: 0, columns: 0)
    private var values = Matrix(rows: 0, columns: 0)
    private var advantages = Matrix(rows: 0, columns: 0)
    private var weights = Matrix(rows: 0, columns: 0)
    private var targets = Matrix(rows: 0, columns: 0)
    private var policyWorkspace = AdvantageWeightedRegression.Workspace()

    /// A fresh learner on `dataset`; the weights of the policy, the two critics and the value network, in this order,
    /// are drawn from `seed`.
    public init(dataset: OfflineDataset, configuration: IQLConfiguration = IQLConfiguration(), seed: UInt64)
        throws(AgentConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.dataset = dataset
        let settings = configuration.actorCritic
        experience = ExperienceStore(dataset: dataset, configuration: settings)
        let (s, a) = (dataset.environment.stateDimension, dataset.environment.actionDimension)
        var stream = RandomStream(seed: seed, keys: streamKey("agents.initialization"), streamKey(ImplicitQLearning.name))
        actor = IQLGaussianActor(stateDimension: s, actionDimension: a, hiddenSizes: settings.hiddenSizes,
                                 minimumLogStd: configuration.minimumLogStd, maximumLogStd: configuration.maximumLogStd,
                                 stream: &stream)
        critics = (0..<2).map { _ in Critic(stateDimension: s, actionDimension: a, hiddenSizes: settings.hiddenSizes, stream: &stream) }
        targetCritics = critics
        value = ValueNetwork(stateDimension: s, hiddenSizes: settings.hiddenSizes, stream: &stream)
        actorOptimizer = Adam(learningRate: settings.actorLearningRate)
        valueOptimizer = Adam(learningRate: settings.criticLearningRate)
        criticOptimizers = [Adam](repeating: Adam(learningRate: settings.criticLearningRate, weightDecay: settings.criticWeightDecay),
                                  count: 2)
    }

    public var environment: AgentEnvironment { dataset.environment }

    /// The actor's learning rate for its next update: constant, or the authors' cosine decay
    /// `η · ½(1 + cos(π · min(k, T) / T))` after `k` updates of a `T`-step schedule (optax's `cosine_decay_schedule`).
    public var actorLearningRate: Float {
        let rate = configuration.actorCritic.actorLearningRate
        let horizon = configuration.actorCosineDecaySteps
        guard horizon > 0 else { return rate }
        let progress = Double(min(updateCount, horizon)) / Double(horizon)
        return Float(Double(rate) * 0.5 * (1 + Elementary.cos(Double.pi * progress)))
    }

    public mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        var d = UpdateDiagnostics()
        let settings = configuration.actorCritic
        guard steps > 0, experience.canSample(learningStarts: settings.learningStarts) else { return d }
        var criticLoss = 0.0, valueLoss = 0.0, actorLoss = 0.0, meanQ = 0.0, meanTarget = 0.0, meanAdvantage = 0.0
        var gradientNorm = 0.0
        let clipNorm = settings.gradientClipNorm
        for _ in 0..<steps {
            experience.sample(stream: &stream)
            let states = experience.batch.states
            let actions = experience.batch.actions
            computeMinimumTargetQ(states: states, actions: actions)

            value.zeroGradients()
            valueLoss += value.accumulateExpectileLoss(states: states, targets: minimumQ, expectile: configuration.expectile).loss
            if clipNorm > 0 { value.clipGradients(maxNorm: clipNorm) }
            valueOptimizer.step(&value)

            Self.copyColumn(value.forward(states: states), into: &values)
            AdvantageWeightedRegression.advantages(q: minimumQ, values: values, into: &advantages)
            meanAdvantage += advantages.sum() / Double(advantages.rows)
            AdvantageWeightedRegression.weights(advantages: advantages, inverseTemperature: configuration.inverseTemperature,
                                                maximum: configuration.maximumWeight, into: &weights)
            actor.zeroGradients()
            actorLoss += AdvantageWeightedRegression.accumulate(actor: &actor, states: states, actions: actions,
                                                                weights: weights, workspace: &policyWorkspace)
            if clipNorm > 0 { actor.clipGradients(maxNorm: clipNorm) }
            actorOptimizer.learningRate = actorLearningRate
            actorOptimizer.step(&actor)

            Self.copyColumn(value.forward(states: experience.batch.nextStates), into: &targets)
            experience.batch.rewards.withUnsafeBufferPointer { r in
                experience.batch.bootstrapDiscounts.withUnsafeBufferPointer { g in
                    targets.withUnsafeMutableBufferPointer { y in
                        for k in 0..<y.count { y[k] = r[k] + g[k] * y[k] }
                    }
                }
            }
            meanTarget += targets.sum() / Double(targets.rows)
            let step = Critic.regress(&critics, optimizers: &criticOptimizers, states: states, actions: actions,
                                      targets: targets, clipNorm: clipNorm)
            criticLoss += step.loss
            meanQ += step.meanQ
            gradientNorm += step.gradientNorm

            Critic.softUpdate(&targetCritics, toward: critics, tau: settings.targetUpdateRate)
            updateCount += 1
        }
        let n = Double(steps)
        d.steps = steps
        d.actorSteps = steps
        d.criticLoss = criticLoss / n
        d.valueLoss = valueLoss / n
        d.actorLoss = actorLoss / n
        d.meanQ = meanQ / n
        d.meanTarget = meanTarget / n
        d.meanAdvantage = meanAdvantage / n
        if clipNorm > 0 { d.criticGradientNorm = gradientNorm / (n * Double(critics.count)) }
        return d
    }

    /// `Q̂(s, a) = min_i Q_θ'ᵢ(s, a)` into `minimumQ`.
    private mutating func computeMinimumTargetQ(states: Matrix, actions: Matrix) {
        minimumQ.resize(rows: states.rows, columns: 1)
        for i in targetCritics.indices {
            let q = targetCritics[i].forward(states: states, actions: actions)
            q.withUnsafeBufferPointer { qv in
                minimumQ.withUnsafeMutableBufferPointer { m in
                    for r in 0..<m.count { m[r] = i == 0 ? qv[r] : min(m[r], qv[r]) }
                }
            }
        }
    }

    /// Copies a `batch × 1` network output into scratch that outlives the network's next forward pass.
    private static func copyColumn(_ source: Matrix, into output: inout Matrix) {
        output.resize(rows: source.rows, columns: 1)
        source.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                for k in 0..<dst.count { dst[k] = src[k] }
            }
        }
    }

    /// The deterministic policy `tanh(μ_φ(s))`, the Gaussian's mean (the authors evaluate with `temperature=0`).
    public func evaluationPolicy() -> ActorPolicy {
        ActorPolicy(agentName: ImplicitQLearning.name, actor: actor.mean, normalizer: experience.statistics,
                    environment: environment, mode: .deterministic, updates: updateCount)
    }
}

/// IQL's policy `π_φ(a|s) = N(a; tanh(μ_φ(s)), diag(σ²))` on the normalised action box: the mean an MLP with a tanh
/// output (an `ActorNetwork` with the deterministic head), the log standard deviations one free parameter per action
/// dimension, independent of the state and clipped to `[minimumLogStd, maximumLogStd]` (the authors' `NormalTanhPolicy`
/// with `state_dependent_std=False, tanh_squash_distribution=False`, log σ initialised to 0). The density is an
/// unsquashed Gaussian, so it is finite at every logged action, including those on the box's faces.
public struct IQLGaussianActor: ParameterStore, Sendable {
    /// `tanh(μ_φ(s))`, the policy's mean and its deterministic action.
    public internal(set) var mean: ActorNetwork
    /// Unclipped log σ, `1 × A`.
    public internal(set) var logStd: Parameter
    public let minimumLogStd: Float
    public let maximumLogStd: Float

    /// A fresh policy: the mean network as `ActorNetwork` initialises it, log σ = 0.
    public init(stateDimension: Int, actionDimension: Int, hiddenSizes: [Int], minimumLogStd: Float, maximumLogStd: Float,
                stream: inout RandomStream) {
        let mean = ActorNetwork(stateDimension: stateDimension, actionDimension: actionDimension, hiddenSizes: hiddenSizes,
                                head: .deterministic, stream: &stream)
        self.init(mean: mean, logStd: [Float](repeating: 0, count: actionDimension),
                  minimumLogStd: minimumLogStd, maximumLogStd: maximumLogStd)
    }

    /// A policy from a deterministic-head mean network and unclipped log σ values.
    public init(mean: ActorNetwork, logStd: [Float], minimumLogStd: Float, maximumLogStd: Float) {
        precondition(mean.head == .deterministic, "IQLGaussianActor: the mean network needs the deterministic (tanh) head")
        precondition(logStd.count == mean.actionDimension,
                     "IQLGaussianActor: \(logStd.count) log σ values for \(mean.actionDimension) action dimensions")
        precondition(minimumLogStd < maximumLogStd, "IQLGaussianActor: log σ bounds \(minimumLogStd) ≥ \(maximumLogStd)")
        self.mean = mean
        self.logStd = Parameter(name: "logStd", value: Matrix(rows: 1, columns: logStd.count, elements: logStd))
        self.minimumLogStd = minimumLogStd
        self.maximumLogStd = maximumLogStd
    }

    public var actionDimension: Int { mean.actionDimension }

    /// log σ as the density uses it, clipped to the bounds.
    public var clippedLogStd: [Float] {
        logStd.value.elements.map { min(max($0, minimumLogStd), maximumLogStd) }
    }

    /// `log π(a|s)` of each row (`batch × 1`) for normalised states and actions, without touching the caches
    /// (allocates).
    public func logProbabilities(states: Matrix, actions: Matrix) -> Matrix {
        let means = mean.network.predict(states)
        let logStds = clippedLogStd
        return Matrix(rows: states.rows, columns: 1) { r, _ in
            var total = 0.0
            for j in 0..<actionDimension {
                total += AdvantageWeightedRegression.gaussianLogDensity(action: Double(actions[r, j]), mean: Double(means[r, j]),
                                                                        logStd: Double(logStds[j]))
            }
            return Float(total)
        }
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try mean.updateParameters(body)
        try body(&logStd)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try mean.forEachParameter(body)
        try body(logStd)
    }
}

/// Policy extraction by advantage-weighted regression (Peng et al. 2019; Kostrikov et al. 2022, eq. 7):
///
///     L_π(φ) = −(1/B) Σ_b w_b log π_φ(a_b|s_b),   w_b = min(exp(β (Q̂(s_b, a_b) − V(s_b))), w_max)
///
/// a weighted maximum likelihood on the logged actions only, so the policy stays in the data's support while the
/// weights, which grow with the advantage, move it toward the better logged actions. The weights are constants (no
/// gradient reaches Q̂ or V). For `IQLGaussianActor`, with `m = tanh(μ_φ(s))`, `z = (a − m)/σ`, per dimension:
///
///     log π = Σ_j [ −½ z_j² − log σ_j − ½ log 2π ]
///     ∂L/∂m_bj     = −w_b z_bj / (σ_j B)
///     ∂L/∂log σ_j  = −(1/B) Σ_b w_b (z_bj² − 1)       (0 when log σ_j is clipped)
public enum AdvantageWeightedRegression {
    static let halfLogTwoPi = 0.5 * Elementary.log(2 * Double.pi)

    /// Scratch matrices reused from one update to the next.
    public struct Workspace: Sendable {
        var outputGradient = Matrix(rows: 0, columns: 0)
        var inverseStd = [Float]()
        var logStdGradient = [Double]()
        public init() {}
    }

    /// `log N(a; m, σ²)` of one dimension.
    @inlinable
    public static func gaussianLogDensity(action: Double, mean: Double, logStd: Double) -> Double {
        let z = (action - mean) * Elementary.exp(-logStd)
        return -0.5 * z * z - logStd - 0.5 * Elementary.log(2 * Double.pi)
    }

    /// `Q̂ − V`, row by row, into `advantages` (`batch × 1`).
    public static func advantages(q: Matrix, values: Matrix, into advantages: inout Matrix) {
        precondition(q.rows == values.rows && q.columns == 1 && values.columns == 1,
                     "AdvantageWeightedRegression: Q̂ is \(q.rows)×\(q.columns), V is \(values.rows)×\(values.columns)")
        advantages.resize(rows: q.rows, columns: 1)
        q.withUnsafeBufferPointer { qv in
            values.withUnsafeBufferPointer { v in
                advantages.withUnsafeMutableBufferPointer { out in
                    for k in 0..<out.count { out[k] = qv[k] - v[k] }
                }
            }
        }
    }

    /// `w = min(exp(β · advantage), maximum)`, row by row, into `weights`.
    public static func weights(advantages: Matrix, inverseTemperature beta: Float, maximum: Float, into weights: inout Matrix) {
        weights.resize(rows: advantages.rows, columns: advantages.columns)
        advantages.withUnsafeBufferPointer { adv in
            weights.withUnsafeMutableBufferPointer { w in
                for k in 0..<w.count { w[k] = min(Elementary.exp(beta * adv[k]), maximum) }
            }
        }
    }

    /// Runs the policy's mean network on `states` (normalised), accumulates `∂L_π/∂φ` in `actor` for the logged
    /// `actions` (normalised) and the given `weights` (`batch × 1`), and returns `L_π`.
    public static func accumulate(actor: inout IQLGaussianActor, states: Matrix, actions: Matrix, weights: Matrix,
                                  workspace w: inout Workspace) -> Double {
        let (n, a) = (states.rows, actor.actionDimension)
        precondition(actions.rows == n && actions.columns == a && weights.rows == n && weights.columns == 1,
                     "AdvantageWeightedRegression: \(n) states, actions \(actions.rows)×\(actions.columns), "
                     + "weights \(weights.rows)×\(weights.columns), \(a) action dimensions")
        guard n > 0 else { return 0 }
        let (lo, hi) = (actor.minimumLogStd, actor.maximumLogStd)
        if w.inverseStd.count != a {
            w.inverseStd = [Float](repeating: 0, count: a)
            w.logStdGradient = [Double](repeating: 0, count: a)
        }
        var constant = 0.0
        actor.logStd.value.withUnsafeBufferPointer { raw in
            for j in 0..<a {
                let clipped = min(max(raw[j], lo), hi)
                w.inverseStd[j] = Elementary.exp(-clipped)
                w.logStdGradient[j] = 0
                constant += Double(clipped) + halfLogTwoPi
            }
        }
        let means = actor.mean.forward(states)
        w.outputGradient.resize(rows: n, columns: a)
        let inverseBatch = 1 / Float(n)
        var loss = 0.0
        means.withUnsafeBufferPointer { m in
            actions.withUnsafeBufferPointer { x in
                weights.withUnsafeBufferPointer { wt in
                    w.outputGradient.withUnsafeMutableBufferPointer { g in
                        w.inverseStd.withUnsafeBufferPointer { inv in
                            w.logStdGradient.withUnsafeMutableBufferPointer { ls in
                                for r in 0..<n {
                                    let weight = wt[r]
                                    var squares = 0.0
                                    for j in 0..<a {
                                        let z = (x[r * a + j] - m[r * a + j]) * inv[j]
                                        squares += Double(z) * Double(z)
                                        g[r * a + j] = -weight * inverseBatch * z * inv[j]
                                        ls[j] -= Double(weight) * (Double(z) * Double(z) - 1)
                                    }
                                    loss += Double(weight) * (0.5 * squares + constant)
                                }
                            }
                        }
                    }
                }
            }
        }
        actor.mean.backward(w.outputGradient)
        let raw = actor.logStd.value
        w.logStdGradient.withUnsafeBufferPointer { ls in
            raw.withUnsafeBufferPointer { v in
                actor.logStd.gradient.withUnsafeMutableBufferPointer { grad in
                    for j in 0..<a where v[j] >= lo && v[j] <= hi { grad[j] += Float(ls[j] / Double(n)) }
                }
            }
        }
        return loss / Double(n)
    }
}
