import NeuralNet
import Numerics

/// TD3+BC (Fujimoto & Gu 2021, "A Minimalist Approach to Offline Reinforcement Learning", Algorithm 1): offline TD3
/// whose actor loss adds a behaviour-cloning term, so the policy improves on the logged actions without leaving
/// their support (`TD3PlusBCActorLoss`, eqs. 3–4). The critics, their clipped double-Q target with target policy
/// smoothing, the delayed actor and target updates and every default are TD3's (Fujimoto et al. 2018): σ̃ = 0.2
/// clipped at 0.5, delay 2, τ = 0.005, two hidden layers of 256, Adam at 3·10⁻⁴, mini-batches of 256. States are
/// normalised by the dataset's mean and standard deviation, as the paper's §5 prescribes; then, as every learner
/// here, clipped to ±5 standard deviations (`ActorCriticConfiguration.observationClip`; the paper does not clip).
///
/// Diagnostics: `actorLoss` is the whole actor loss, `meanQ` the first critic on the logged actions;
/// `behaviourCloningLoss` holds the behaviour-cloning term of the last `update`.
public struct TD3PlusBC: OfflineLearner {
    public static let name = "td3bc"
    public let configuration: TD3PlusBCConfiguration
    public let dataset: OfflineDataset
    var core: DeterministicActorCritic

    /// A fresh learner on `dataset`; its weights are drawn from `seed`.
    public init(dataset: OfflineDataset, configuration: TD3PlusBCConfiguration = TD3PlusBCConfiguration(), seed: UInt64)
        throws(AgentConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.dataset = dataset
        core = DeterministicActorCritic(agentName: TD3PlusBC.name, environment: dataset.environment,
                                        settings: configuration.actorCritic, criticCount: 2,
                                        policyNoise: configuration.policyNoise, noiseClip: configuration.noiseClip,
                                        policyDelay: configuration.policyDelay, seed: seed, dataset: dataset,
                                        behaviourCloningAlpha: configuration.alpha)
    }

    public var environment: AgentEnvironment { dataset.environment }
    public var updateCount: Int { core.updateCount }
    public var actor: ActorNetwork { core.actor }
    public var critics: [Critic] { core.critics }
    public var targetCritics: [Critic] { core.criticTargets }
    /// Mean behaviour-cloning term `(1/(B·A)) Σ (π(s) − a)²` over the actor steps of the last `update` that took
    /// gradient steps (`nil` before any, or when it took no actor step).
    public var behaviourCloningLoss: Double? { core.lastBehaviourCloningLoss }

    public mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        core.update(steps: steps, stream: &stream)
    }

    public func evaluationPolicy() -> ActorPolicy { core.policy(mode: .deterministic) }
}

/// TD3+BC's actor loss (Fujimoto & Gu 2021, eqs. 3–4), on a mini-batch of `B` normalised states `s_b` with their
/// logged normalised actions `a_b` (`A` dimensions):
///
///     L(θ) = −λ (1/B) Σ_b Q_1(s_b, π_θ(s_b)) + (1/(B·A)) Σ_{b,j} (π_θ(s_b)_j − a_bj)²,
///     λ = α / ((1/B) Σ_b |Q_1(s_b, π_θ(s_b))|),
///
/// with λ a constant of the step (no gradient flows through it). λ makes the trade-off between the two terms
/// independent of the scale of the returns; α = 2.5 by default. As in the authors' reference implementation
/// (github.com/sfujim/TD3_BC), the normaliser is the mean |Q| at the actor's own actions (computed anyway for the
/// first term; the paper's eq. 4 writes it over the mini-batch's pairs) and the squared error is averaged over the
/// action dimensions too (PyTorch's `mse_loss`), which is the scale α was tuned for. Gradient with respect to the
/// actions: `∂L/∂π = −(λ/B) ∇_a Q_1 + 2(π − a)/(B·A)`, chained into θ (Silver et al. 2014, Theorem 1).
public enum TD3PlusBCActorLoss {
    /// Scratch matrices reused from one update to the next.
    public struct Workspace: Sendable {
        var actions = Matrix(rows: 0, columns: 0)
        var qGradient = Matrix(rows: 0, columns: 0)
        var actionGradient = Matrix(rows: 0, columns: 0)
        public init() {}
    }

    /// One evaluation of the loss.
    public struct Value: Sendable, Equatable {
        /// `L`.
        public var loss: Double
        /// The behaviour-cloning term `(1/(B·A)) Σ (π(s) − a)²`.
        public var behaviourCloning: Double
        /// λ used in this step.
        public var lambda: Double
        /// `(1/B) Σ Q_1(s, π(s))`.
        public var meanQ: Double
    }

    /// |Q| is floored at this before dividing, so λ stays finite if every Q is exactly 0.
    static let minimumMeanAbsoluteQ = 1e-6

    /// Runs the actor and the critic forward on `states`, accumulates `∂L/∂θ` in `actor` and returns `L` with its
    /// parts. The critic's parameter gradients are accumulated too and must be zeroed before its next update.
    public static func accumulate(actor: inout ActorNetwork, critic: inout Critic, states: Matrix, behaviourActions: Matrix,
                                  alpha: Float, workspace w: inout Workspace) -> Value {
        precondition(actor.head == .deterministic, "TD3PlusBCActorLoss: the actor must be deterministic")
        let (n, a) = (states.rows, actor.actionDimension)
        precondition(behaviourActions.rows == n && behaviourActions.columns == a,
                     "TD3PlusBCActorLoss: behaviour actions are \(behaviourActions.rows)×\(behaviourActions.columns), expected \(n)×\(a)")
        let output = actor.forward(states)
        w.actions.resize(rows: n, columns: a)
        output.withUnsafeBufferPointer { src in
            w.actions.withUnsafeMutableBufferPointer { dst in
                for k in 0..<dst.count { dst[k] = src[k] }
            }
        }
        let q = critic.forward(states: states, actions: w.actions)
        var sum = 0.0, absoluteSum = 0.0
        q.withUnsafeBufferPointer { qv in
            for r in 0..<n {
                sum += Double(qv[r])
                absoluteSum += Double(abs(qv[r]))
            }
        }
        let meanQ = sum / Double(n)
        let lambda = Double(alpha) / max(absoluteSum / Double(n), minimumMeanAbsoluteQ)
        w.qGradient.resize(rows: n, columns: 1)
        w.qGradient.withUnsafeMutableBufferPointer { $0.update(repeating: Float(-lambda / Double(n))) }
        critic.backwardToActions(w.qGradient, into: &w.actionGradient)
        let count = n * a
        let scale = 2 / Float(count)
        var squares = 0.0
        w.actions.withUnsafeBufferPointer { p in
            behaviourActions.withUnsafeBufferPointer { x in
                w.actionGradient.withUnsafeMutableBufferPointer { g in
                    for k in 0..<count {
                        let difference = p[k] - x[k]
                        squares += Double(difference * difference)
                        g[k] += scale * difference
                    }
                }
            }
        }
        actor.backward(w.actionGradient)
        let behaviourCloning = squares / Double(count)
        return Value(loss: -lambda * meanQ + behaviourCloning, behaviourCloning: behaviourCloning, lambda: lambda, meanQ: meanQ)
    }
}

/// TD3+BC's hyper-parameters (Fujimoto & Gu 2021, §5 and the appendix's hyper-parameter table): TD3's (`TD3Configuration`: σ̃ = 0.2, c = 0.5, d = 2 and
/// the shared defaults) plus α = 2.5, the weight of the Q term relative to the behaviour-cloning term.
///
/// The paper's discount is 0.99; the shared default here is the fusion MDP's γ = 0.95 (docs/design.md,
/// "Discounting").
///
/// TD3's fields live in `td3` and read and write as this configuration's own (`configuration.policyNoise`) through
/// dynamic member lookup; all are encoded flat, at one level.
@dynamicMemberLookup
public struct TD3PlusBCConfiguration: AgentConfiguration {
    /// TD3's hyper-parameters, the shared ones included.
    public var td3 = TD3Configuration()
    /// α of eq. 4 (0: behaviour cloning alone; large: offline TD3).
    public var alpha: Float = 2.5

    public init() {}

    /// The shared hyper-parameters, held in `td3`.
    public var actorCritic: ActorCriticConfiguration {
        get { td3.actorCritic }
        set { td3.actorCritic = newValue }
    }

    /// TD3's fields (`policyNoise`, `noiseClip`, `policyDelay`) as this configuration's own.
    public subscript<T>(dynamicMember keyPath: WritableKeyPath<TD3Configuration, T>) -> T {
        get { td3[keyPath: keyPath] }
        set { td3[keyPath: keyPath] = newValue }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case alpha
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(TD3Configuration.keys.union(CodingKeys.allCases.map(\.rawValue)))
        td3 = try TD3Configuration(fieldsFrom: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        alpha = try c.decodeIfPresent(Float.self, forKey: .alpha) ?? alpha
    }

    /// TD3's fields, then α, at one level.
    public func encode(to encoder: any Encoder) throws {
        try td3.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(alpha, forKey: .alpha)
    }

    public func validate() throws(AgentConfigurationError) {
        try td3.validate()
        if !(alpha >= 0 && alpha.isFinite) { throw AgentConfigurationError(field: "alpha", message: "must be non-negative, got \(alpha)") }
    }
}
