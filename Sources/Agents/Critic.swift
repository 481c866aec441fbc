import NeuralNet
import Numerics

/// A state-action value network `Q(s, a)`: an MLP on the concatenation `[normalised state | action]`
/// with ReLU hidden layers and one linear output (Lillicrap et al. 2016; here the action enters at
/// the input, as in Fujimoto et al. 2018).
///
/// Buffers for the concatenated input and the loss gradient are kept between calls, so a training
/// step allocates nothing once the batch size is stable.
public struct Critic: ParameterStore, Sendable {
    public private(set) var network: MLP
    public let stateDimension: Int
    public let actionDimension: Int
    private var input = Matrix(rows: 0, columns: 0)
    private var outputGradient = Matrix(rows: 0, columns: 0)

    /// A fresh critic: He-initialised hidden layers, final layer from U(±3·10⁻³) (Lillicrap et al. 2016, §7).
    public init(stateDimension: Int, actionDimension: Int, hiddenSizes: [Int], stream: inout RandomStream) {
        let sizes = [stateDimension + actionDimension] + hiddenSizes + [1]
        var layers = [Dense]()
        for i in 0..<(sizes.count - 1) {
            let last = i == sizes.count - 2
            layers.append(Dense(inputSize: sizes[i], outputSize: sizes[i + 1],
                                initialization: last ? .uniform(bound: 3e-3) : .he, stream: &stream, name: "dense\(i)"))
        }
        let activations = [Activation](repeating: .relu, count: hiddenSizes.count) + [.identity]
        self.init(network: MLP(layers: layers, activations: activations), stateDimension: stateDimension)
    }

    /// A critic around an existing network whose input is `stateDimension` state features then the action.
    public init(network: MLP, stateDimension: Int) {
        precondition(network.outputSize == 1 && network.inputSize > stateDimension,
                     "Critic: network maps \(network.inputSize) inputs to \(network.outputSize) outputs, "
                     + "expected more than \(stateDimension) inputs and one output")
        self.network = network
        self.stateDimension = stateDimension
        self.actionDimension = network.inputSize - stateDimension
    }

    /// `Q(s, a)` for normalised states and normalised actions, `batch × 1`, caching activations.
    public mutating func forward(states: Matrix, actions: Matrix) -> Matrix {
        concatenate(states, actions)
        return network.forward(input)
    }

    /// `Q(s, a)` without touching the caches (allocates).
    public func predict(states: Matrix, actions: Matrix) -> Matrix {
        var copy = self
        copy.concatenate(states, actions)
        return network.predict(copy.input)
    }

    /// The TD regression loss `L = (1/B) Σ_b (Q(s_b, a_b) − y_b)²` (Lillicrap et al. 2016, Alg. 1;
    /// Fujimoto et al. 2018, Alg. 1): runs the forward pass, accumulates `∂L/∂θ`, and returns the
    /// loss and the mean `Q`.
    public mutating func accumulateTemporalDifferenceLoss(states: Matrix, actions: Matrix, targets: Matrix)
        -> (loss: Double, meanQ: Double) {
        let q = forward(states: states, actions: actions)
        let meanQ = q.sum() / Double(max(q.rows, 1))
        let loss = Loss.meanSquaredError(predictions: q, targets: targets, gradient: &outputGradient)
        network.accumulateGradients(outputGradient)
        return (loss, meanQ)
    }

    /// Backpropagates `∂L/∂Q` (`batch × 1`) through the last `forward` and writes `∂L/∂a`
    /// (`batch × actionDimension`) into `actionGradient`: the critic's input gradient restricted
    /// to the action columns, which the actor update chains into the policy (Silver et al. 2014,
    /// the deterministic policy gradient ∇_a Q · ∇_θ π).
    ///
    /// The critic's own parameter gradients are accumulated as a side effect; zero them before
    /// the critic's next update.
    public mutating func backwardToActions(_ qGradient: Matrix, into actionGradient: inout Matrix) {
        let inputGradient = network.backward(qGradient)
        let (s, a, n) = (stateDimension, actionDimension, qGradient.rows)
        actionGradient.resize(rows: n, columns: a)
        inputGradient.withUnsafeBufferPointer { g in
            actionGradient.withUnsafeMutableBufferPointer { out in
                for r in 0..<n {
                    for j in 0..<a { out[r * a + j] = g[r * (s + a) + s + j] }
                }
            }
        }
    }

    /// Backpropagates `∂L/∂Q` (`batch × 1`) through the last `forward` into the parameter gradients only (no input
    /// gradient), for losses on `Q` that are not the TD regression (CQL's regulariser).
    public mutating func accumulateParameterGradients(_ qGradient: Matrix) {
        network.accumulateGradients(qGradient)
    }

    private mutating func concatenate(_ states: Matrix, _ actions: Matrix) {
        precondition(states.columns == stateDimension && actions.columns == actionDimension && states.rows == actions.rows,
                     "Critic: states \(states.rows)×\(states.columns) and actions \(actions.rows)×\(actions.columns), "
                     + "critic expects \(stateDimension) state and \(actionDimension) action columns")
        let (s, a, n) = (stateDimension, actionDimension, states.rows)
        input.resize(rows: n, columns: s + a)
        states.withUnsafeBufferPointer { xs in
            actions.withUnsafeBufferPointer { xa in
                input.withUnsafeMutableBufferPointer { dst in
                    for r in 0..<n {
                        for j in 0..<s { dst[r * (s + a) + j] = xs[r * s + j] }
                        for j in 0..<a { dst[r * (s + a) + s + j] = xa[r * a + j] }
                    }
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

    /// Polyak averaging of each target critic toward its critic, `θ'ᵢ ← τθᵢ + (1 − τ)θ'ᵢ` (Lillicrap et al. 2016,
    /// Alg. 1; Fujimoto et al. 2018, Alg. 1): the target update that ends an actor-critic step.
    static func softUpdate(_ targets: inout [Critic], toward critics: [Critic], tau: Float) {
        for i in critics.indices { targets[i].softUpdate(toward: critics[i], tau: tau) }
    }

    /// One TD step of every critic toward the same `targets` (Fujimoto et al. 2018, Alg. 1, "update critics"):
    /// zero the gradients, accumulate the regression loss, clip to `clipNorm` when positive, take the optimiser
    /// step. Returns the summed losses, the first critic's mean Q and the summed pre-clip gradient norms.
    static func regress(_ critics: inout [Critic], optimizers: inout [Adam], states: Matrix, actions: Matrix,
                        targets: Matrix, clipNorm: Float) -> (loss: Double, meanQ: Double, gradientNorm: Double) {
        var loss = 0.0, meanQ = 0.0, gradientNorm = 0.0
        for i in critics.indices {
            critics[i].zeroGradients()
            let (l, q) = critics[i].accumulateTemporalDifferenceLoss(states: states, actions: actions, targets: targets)
            loss += l
            if i == 0 { meanQ = q }
            if clipNorm > 0 { gradientNorm += Double(critics[i].clipGradients(maxNorm: clipNorm)) }
            optimizers[i].step(&critics[i])
        }
        return (loss, meanQ, gradientNorm)
    }
}
