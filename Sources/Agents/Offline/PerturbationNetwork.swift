import NeuralNet
import Numerics

/// BCQ's perturbation model ξ_φ(s, a, Φ) (Fujimoto, Meger & Precup 2019, §4, eq. 11 and Appendix D): an MLP on
/// `[normalised state | action]` with ReLU hidden layers and a tanh output scaled by Φ, so that the perturbed action
///
///     a' = clip(a + Φ · tanh(f_φ(s, a)), −1, 1)
///
/// lies within Φ of the generative model's proposal a in every dimension (normalised units) and in the box. It lets
/// BCQ reach the best action near the data without sampling many proposals, while staying batch-constrained.
///
/// The objective is the deterministic policy gradient through Q₁ at the perturbed VAE proposals (eq. 11):
/// `J(φ) = −(1/B) Σ_b Q₁(s_b, a'_b)` with `a_b ~ G_ω(s_b)`; the clip passes the gradient only where it is inactive.
public struct PerturbationNetwork: ParameterStore, Sendable {
    public private(set) var network: MLP
    /// Φ, normalised action units.
    public let limit: Float
    public let stateDimension: Int
    public let actionDimension: Int

    private var input = Matrix(rows: 0, columns: 0)
    private var perturbed = Matrix(rows: 0, columns: 0)
    /// tanh(f_φ(s, a)) of the last `forward`.
    private var squashed = Matrix(rows: 0, columns: 0)
    private var outputGradient = Matrix(rows: 0, columns: 0)

    /// A fresh network: He-initialised hidden layers, output layer from U(±3·10⁻³).
    public init(stateDimension: Int, actionDimension: Int, hiddenSizes: [Int], limit: Float, stream: inout RandomStream) {
        let sizes = [stateDimension + actionDimension] + hiddenSizes + [actionDimension]
        var layers = [Dense]()
        for i in 0..<(sizes.count - 1) {
            let last = i == sizes.count - 2
            layers.append(Dense(inputSize: sizes[i], outputSize: sizes[i + 1],
                                initialization: last ? .uniform(bound: 3e-3) : .he, stream: &stream, name: "dense\(i)"))
        }
        let activations = [Activation](repeating: .relu, count: hiddenSizes.count) + [.tanh]
        self.init(network: MLP(layers: layers, activations: activations), stateDimension: stateDimension, limit: limit)
    }

    /// A perturbation model around an existing network on `state + action` inputs ending in tanh.
    public init(network: MLP, stateDimension: Int, limit: Float) {
        let a = network.outputSize
        precondition(network.inputSize == stateDimension + a && network.activations.last == .tanh,
                     "PerturbationNetwork: network \(network.inputSize)→\(a) for \(stateDimension) state features must end in tanh")
        precondition(limit >= 0 && limit.isFinite, "PerturbationNetwork: Φ must be non-negative, got \(limit)")
        self.network = network
        self.limit = limit
        self.stateDimension = stateDimension
        self.actionDimension = a
    }

    /// The perturbed actions a' for normalised states and proposals (`batch × A`), caching activations for `backward`.
    public mutating func forward(states: Matrix, actions: Matrix) -> Matrix {
        ConditionalVAE.concatenate(states, actions, into: &input)
        let t = network.forward(input)
        squashed.resize(rows: t.rows, columns: t.columns)
        t.withUnsafeBufferPointer { src in squashed.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: src) } }
        PerturbationNetwork.perturb(actions, by: squashed, limit: limit, into: &perturbed)
        return perturbed
    }

    /// The perturbed actions without touching the caches (allocates).
    public func predict(states: Matrix, actions: Matrix) -> Matrix {
        var x = Matrix(rows: 0, columns: 0), out = Matrix(rows: 0, columns: 0)
        ConditionalVAE.concatenate(states, actions, into: &x)
        PerturbationNetwork.perturb(actions, by: network.predict(x), limit: limit, into: &out)
        return out
    }

    /// Accumulates `∂L/∂φ` for `∂L/∂a'` (`batch × A`) of the last `forward`: through the clip (open where
    /// |a + Φt| ≤ 1) and the scale Φ into the tanh output.
    public mutating func backward(actionGradient: Matrix, actions: Matrix) {
        let n = actionGradient.rows, a = actionDimension
        precondition(actions.rows == n && squashed.rows == n, "PerturbationNetwork: backward without a matching forward")
        outputGradient.resize(rows: n, columns: a)
        let phi = limit
        actionGradient.withUnsafeBufferPointer { g in
            actions.withUnsafeBufferPointer { x in
                squashed.withUnsafeBufferPointer { t in
                    outputGradient.withUnsafeMutableBufferPointer { out in
                        for k in 0..<(n * a) {
                            let unclipped = x[k] + phi * t[k]
                            out[k] = unclipped >= -1 && unclipped <= 1 ? phi * g[k] : 0
                        }
                    }
                }
            }
        }
        network.accumulateGradients(outputGradient)
    }

    /// The perturbation objective `J(φ) = −mean Q(s, a')` on proposals `actions` (eq. 11): runs ξ and `critic` forward,
    /// backpropagates through the critic's action input into ξ, accumulates `∂J/∂φ`, and returns J.
    ///
    /// The critic's parameter gradients are accumulated too and must be zeroed before its next update.
    public mutating func accumulateObjective(critic: inout Critic, states: Matrix, actions: Matrix,
                                             workspace w: inout DeterministicPolicyGradient.Workspace) -> Double {
        let n = states.rows
        let candidate = forward(states: states, actions: actions)
        w.actions.resize(rows: n, columns: actionDimension)
        candidate.withUnsafeBufferPointer { src in
            w.actions.withUnsafeMutableBufferPointer { dst in _ = dst.update(fromContentsOf: src) }
        }
        let q = critic.forward(states: states, actions: w.actions)
        let value = -q.sum() / Double(n)
        w.qGradient.resize(rows: n, columns: 1)
        w.qGradient.withUnsafeMutableBufferPointer { $0.update(repeating: -1 / Float(n)) }
        critic.backwardToActions(w.qGradient, into: &w.actionGradient)
        backward(actionGradient: w.actionGradient, actions: actions)
        return value
    }

    /// `a' = clip(a + Φt, −1, 1)` elementwise into `out` (resized).
    static func perturb(_ actions: Matrix, by t: Matrix, limit phi: Float, into out: inout Matrix) {
        precondition(actions.rows == t.rows && actions.columns == t.columns, "PerturbationNetwork: shapes differ")
        out.resize(rows: actions.rows, columns: actions.columns)
        actions.withUnsafeBufferPointer { x in
            t.withUnsafeBufferPointer { tv in
                out.withUnsafeMutableBufferPointer { y in
                    for k in 0..<y.count { y[k] = min(max(x[k] + phi * tv[k], -1), 1) }
                }
            }
        }
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try network.updateParameters(body)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try network.forEachParameter(body)
    }
}
