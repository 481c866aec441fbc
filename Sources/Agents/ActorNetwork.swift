import NeuralNet
import Numerics

/// What the actor's output layer means.
public enum ActorHead: Sendable, Equatable {
    /// DDPG/TD3: `A` outputs through tanh, the action in the normalised box.
    case deterministic
    /// SAC: `2A` linear outputs, the pre-squash mean μ then log σ (clamped to the bounds); the
    /// action is `tanh(μ + σε)` (see `SquashedGaussian`).
    case squashedGaussian(minimumLogStd: Float, maximumLogStd: Float)

    /// Network outputs per action dimension.
    var outputsPerDimension: Int {
        switch self {
        case .deterministic: 1
        case .squashedGaussian: 2
        }
    }

    /// The activation the network's last layer must have: tanh for the deterministic head, identity for the Gaussian.
    public var outputActivation: Activation {
        switch self {
        case .deterministic: .tanh
        case .squashedGaussian: .identity
        }
    }

    /// The name stored in checkpoints.
    public var name: String {
        switch self {
        case .deterministic: "deterministic"
        case .squashedGaussian: "squashed-gaussian"
        }
    }
}

/// The policy network: an MLP from normalised states to the head's outputs, ReLU hidden layers.
///
/// Training uses `forward`/`backward` on whole mini-batches (GEMMs with cached activations).
/// Acting uses `predictRowIndependent`, whose result for a row never depends on the other rows of
/// the call, so a session's actions do not depend on the batch it happened to be in. BLAS cannot
/// promise that: it sends one-row products to `sgemv`, and OpenBLAS's GEMM kernels round a row
/// differently depending on its position in the block (measured here: zero-padded fixed-size
/// chunks still differ in the last bit).
public struct ActorNetwork: ParameterStore, Sendable {
    public private(set) var network: MLP
    public let head: ActorHead
    public let stateDimension: Int
    public let actionDimension: Int

    /// A fresh actor: He-initialised hidden layers and a final layer drawn from U(±3·10⁻³)
    /// (Lillicrap et al. 2016, §7), so the first actions sit near the centre of the box.
    public init(stateDimension: Int, actionDimension: Int, hiddenSizes: [Int], head: ActorHead,
                stream: inout RandomStream) {
        let sizes = [stateDimension] + hiddenSizes + [actionDimension * head.outputsPerDimension]
        var layers = [Dense]()
        for i in 0..<(sizes.count - 1) {
            let last = i == sizes.count - 2
            layers.append(Dense(inputSize: sizes[i], outputSize: sizes[i + 1],
                                initialization: last ? .uniform(bound: 3e-3) : .he, stream: &stream, name: "dense\(i)"))
        }
        let activations = [Activation](repeating: .relu, count: hiddenSizes.count) + [head.outputActivation]
        self.init(network: MLP(layers: layers, activations: activations), head: head, actionDimension: actionDimension)
    }

    /// An actor around an existing network (from a checkpoint); its last activation must be
    /// `head.outputActivation`.
    public init(network: MLP, head: ActorHead, actionDimension: Int) {
        precondition(network.outputSize == actionDimension * head.outputsPerDimension,
                     "ActorNetwork: \(network.outputSize) outputs for \(actionDimension) action dimensions with a \(head.name) head")
        precondition(network.activations.last == head.outputActivation,
                     "ActorNetwork: a \(head.name) head needs a \(head.outputActivation) output layer, "
                     + "the network ends in \(network.activations.last.map(\.rawValue) ?? "nothing")")
        if case .squashedGaussian(let lo, let hi) = head { precondition(lo < hi, "ActorNetwork: log-std bounds \(lo) ≥ \(hi)") }
        self.network = network
        self.head = head
        self.stateDimension = network.inputSize
        self.actionDimension = actionDimension
    }

    /// The raw head outputs for normalised states, `batch × outputs`, caching activations for `backward`.
    public mutating func forward(_ normalizedStates: Matrix) -> Matrix {
        network.forward(normalizedStates)
    }

    /// Accumulates the parameter gradients of `∂L/∂output` for the last `forward`.
    public mutating func backward(_ outputGradient: Matrix) {
        network.accumulateGradients(outputGradient)
    }

    /// The raw head outputs for normalised states, each row computed independently of the others.
    ///
    /// Uses `RowIndependentDense` instead of BLAS; agrees with `forward` up to rounding.
    public func predictRowIndependent(_ normalizedStates: Matrix) -> Matrix {
        precondition(normalizedStates.columns == stateDimension,
                     "ActorNetwork: states have \(normalizedStates.columns) columns, actor expects \(stateDimension)")
        return RowIndependentDense.predict(network, normalizedStates)
    }

    /// The actor's deterministic action in the normalised box for each row of head outputs:
    /// the output itself (deterministic head) or `tanh(μ)` (squashed Gaussian: the median action).
    public func meanActions(fromOutputs outputs: Matrix) -> Matrix {
        switch head {
        case .deterministic:
            return outputs
        case .squashedGaussian:
            let a = actionDimension
            return Matrix(rows: outputs.rows, columns: a) { r, j in Elementary.tanh(outputs[r, j]) }
        }
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try network.updateParameters(body)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try network.forEachParameter(body)
    }
}
