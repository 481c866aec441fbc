import NeuralNet
import Numerics

/// A multi-task ranking network: a `batch × inputSize` matrix in, one logit per task out
/// (`batch × taskCount`), with hand-written backward passes, so that training, scoring and
/// checkpointing code treat shared-bottom, MMoE and PLE uniformly.
///
/// `forward` keeps what `backward` needs in buffers reused between mini-batches; a training step
/// `forward → loss → backward → optimiser` allocates (almost) nothing once the batch size is stable.
/// Gradients accumulate until `zeroGradients()`.
public protocol MultiTaskNetwork: ParameterStore, Sendable {
    /// The hyper-parameters that rebuild the architecture (stored in checkpoints).
    associatedtype Configuration: Codable, Equatable, Sendable

    /// Short architecture name written to checkpoints (`"mmoe"`).
    static var architecture: String { get }

    /// A freshly initialised network.
    init(configuration: Configuration, stream: inout RandomStream)

    var configuration: Configuration { get }
    var inputSize: Int { get }
    var taskCount: Int { get }

    /// `logits ← network(input)` (`batch × taskCount`, resized), caching activations for `backward`.
    mutating func forward(_ input: Matrix, into logits: inout Matrix)

    /// Backpropagates `∂L/∂logits` through the last `forward`: accumulates every parameter gradient
    /// and, when `computeInputGradient`, fills `inputGradient`.
    mutating func backward(_ logitsGradient: Matrix, computeInputGradient: Bool)

    /// `∂L/∂input` of the last `backward(_:computeInputGradient: true)`.
    var inputGradient: Matrix { get }
}

extension MultiTaskNetwork {
    /// The logits for `input` in a new matrix.
    public mutating func forward(_ input: Matrix) -> Matrix {
        var logits = Matrix(rows: 0, columns: 0)
        forward(input, into: &logits)
        return logits
    }

    /// Backpropagates and returns `∂L/∂input`.
    @discardableResult
    public mutating func backward(_ logitsGradient: Matrix) -> Matrix {
        backward(logitsGradient, computeInputGradient: true)
        return inputGradient
    }

    /// Logits without disturbing this network's caches (allocates; use `forward` in hot loops).
    public func predict(_ input: Matrix) -> Matrix {
        var copy = self
        return copy.forward(input)
    }
}

extension ParameterStore {
    /// Prefixes every parameter name (`"network."`), once at construction.
    mutating func prefixParameterNames(_ prefix: String) {
        updateParameters { $0.name = prefix + $0.name }
    }
}

/// `sum ← sum + term` elementwise, where `sum` is resized and zeroed when `first`.
@inline(__always)
func accumulate(_ term: Matrix, into sum: inout Matrix, first: Bool) {
    if first {
        ColumnBlocks.copy(term, into: &sum)
    } else {
        sum.add(term)
    }
}
