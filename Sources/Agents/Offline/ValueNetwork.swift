import NeuralNet
import Numerics

/// A state-value network `V_ψ(s)`: an MLP on normalised states with ReLU hidden layers and one linear output, as
/// IQL's `ValueCritic` (Kostrikov et al. 2022, §4.1). Initialised like `Critic` (He hidden layers, final layer from
/// U(±3·10⁻³)); the loss-gradient buffer is kept between calls, so a training step allocates nothing once the batch
/// size is stable.
public struct ValueNetwork: ParameterStore, Sendable {
    public private(set) var network: MLP
    public let stateDimension: Int
    private var outputGradient = Matrix(rows: 0, columns: 0)

    /// A fresh value network with the given hidden widths.
    public init(stateDimension: Int, hiddenSizes: [Int], stream: inout RandomStream) {
        let sizes = [stateDimension] + hiddenSizes + [1]
        var layers = [Dense]()
        for i in 0..<(sizes.count - 1) {
            let last = i == sizes.count - 2
            layers.append(Dense(inputSize: sizes[i], outputSize: sizes[i + 1],
                                initialization: last ? .uniform(bound: 3e-3) : .he, stream: &stream, name: "dense\(i)"))
        }
        let activations = [Activation](repeating: .relu, count: hiddenSizes.count) + [.identity]
        self.init(network: MLP(layers: layers, activations: activations))
    }

    /// A value network around an existing MLP with one output.
    public init(network: MLP) {
        precondition(network.outputSize == 1, "ValueNetwork: network has \(network.outputSize) outputs, expected one")
        self.network = network
        self.stateDimension = network.inputSize
    }

    /// `V(s)` for normalised states, `batch × 1`, caching activations for the next loss.
    public mutating func forward(states: Matrix) -> Matrix {
        network.forward(states)
    }

    /// `V(s)` without touching the caches (allocates).
    public func predict(states: Matrix) -> Matrix {
        network.predict(states)
    }

    /// IQL's value loss `L_V(ψ) = (1/B) Σ_b L₂^τ(q_b − V_ψ(s_b))` (Kostrikov et al. 2022, eq. 5, with `q_b` the
    /// target critics' `min_i Q̂_i(s_b, a_b)`): runs the forward pass, accumulates `∂L_V/∂ψ`, and returns the loss and
    /// the mean `V`.
    public mutating func accumulateExpectileLoss(states: Matrix, targets: Matrix, expectile tau: Float)
        -> (loss: Double, meanValue: Double) {
        let v = network.forward(states)
        let meanValue = v.sum() / Double(max(v.rows, 1))
        let loss = ExpectileLoss.evaluate(predictions: v, targets: targets, expectile: tau, gradient: &outputGradient)
        network.accumulateGradients(outputGradient)
        return (loss, meanValue)
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try network.updateParameters(body)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try network.forEachParameter(body)
    }
}

/// The asymmetric squared loss of expectile regression (Newey & Powell 1987; Kostrikov et al. 2022, eq. 5):
///
///     L₂^τ(u) = |τ − 1(u < 0)| · u²,   u = y − m
///
/// Its minimiser over `m` is the τ-expectile of `y`: the mean at τ = 0.5, tending to the maximum as τ → 1, which is
/// how IQL's `V(s)` approximates a maximum of `Q(s, a)` over the actions in the data without querying any other
/// action (§4.1).
public enum ExpectileLoss {
    /// `L₂^τ(u)`.
    @inlinable
    public static func value(_ u: Double, expectile tau: Double) -> Double {
        (u < 0 ? 1 - tau : tau) * u * u
    }

    /// The mean loss `(1/n) Σ_k L₂^τ(y_k − p_k)` over all elements of `targets` `y` and `predictions` `p`, with
    /// `∂/∂p_k = −2 |τ − 1(u_k < 0)| u_k / n` written into `gradient` (resized to the predictions' shape).
    public static func evaluate(predictions: Matrix, targets: Matrix, expectile tau: Float, gradient: inout Matrix) -> Double {
        precondition(predictions.rows == targets.rows && predictions.columns == targets.columns,
                     "ExpectileLoss: predictions \(predictions.rows)×\(predictions.columns), "
                     + "targets \(targets.rows)×\(targets.columns)")
        precondition(tau > 0 && tau < 1, "ExpectileLoss: expectile must be in (0, 1), got \(tau)")
        gradient.resize(rows: predictions.rows, columns: predictions.columns)
        let n = predictions.count
        guard n > 0 else { return 0 }
        let scale = 2 / Float(n)
        var total = 0.0
        predictions.withUnsafeBufferPointer { p in
            targets.withUnsafeBufferPointer { y in
                gradient.withUnsafeMutableBufferPointer { g in
                    for k in 0..<n {
                        let u = y[k] - p[k]
                        let weight = u < 0 ? 1 - tau : tau
                        g[k] = -scale * weight * u
                        total += Double(weight) * Double(u) * Double(u)
                    }
                }
            }
        }
        return total / Double(n)
    }
}
