import Numerics

/// A multilayer perceptron: dense layers with `hiddenActivation` between them and
/// `outputActivation` after the last.
///
/// `forward` keeps each layer's output in buffers that are reused from one mini-batch to the next,
/// so a training step `forward → loss → backward → optimiser` allocates nothing once the batch
/// shape is stable. Copying an `MLP` (for a target network) shares storage until either copy is
/// written.
public struct MLP: ParameterStore, Sendable {
    /// The dense layers, input to output.
    public private(set) var layers: [Dense]
    /// Activation after each layer (`hiddenActivation` …, `outputActivation`).
    public let activations: [Activation]

    /// A copy of the last `forward` input, `batch × inputSize`.
    private var input = Matrix(rows: 0, columns: 0)
    /// `outputs[i]` is layer `i`'s output after its activation, `batch × layerSizes[i + 1]`.
    private var outputs: [Matrix]
    /// `deltas[i]` is `∂L/∂(pre-activation of layer i)` during `backward`.
    private var deltas: [Matrix]
    private var inputGradient = Matrix(rows: 0, columns: 0)

    /// An MLP with `layerSizes = [input, hidden…, output]`, weights drawn from `initialization`
    /// (biases zero), and layers named `dense0`, `dense1`, ….
    public init(layerSizes: [Int], hiddenActivation: Activation, outputActivation: Activation,
                initialization: Initialization, stream: inout RandomStream) {
        precondition(layerSizes.count >= 2, "MLP: need at least input and output sizes, got \(layerSizes)")
        precondition(layerSizes.allSatisfy { $0 > 0 }, "MLP: layer sizes must be positive, got \(layerSizes)")
        var layers = [Dense]()
        for i in 0..<(layerSizes.count - 1) {
            layers.append(Dense(inputSize: layerSizes[i], outputSize: layerSizes[i + 1],
                                initialization: initialization, stream: &stream, name: "dense\(i)"))
        }
        let hidden = [Activation](repeating: hiddenActivation, count: layerSizes.count - 2)
        self.init(layers: layers, activations: hidden + [outputActivation])
    }

    /// An MLP from existing layers and one activation per layer.
    public init(layers: [Dense], activations: [Activation]) {
        precondition(!layers.isEmpty && layers.count == activations.count,
                     "MLP: \(layers.count) layers and \(activations.count) activations")
        for i in 1..<layers.count {
            precondition(layers[i].inputSize == layers[i - 1].outputSize,
                         "MLP: layer \(i) takes \(layers[i].inputSize) inputs, layer \(i - 1) gives \(layers[i - 1].outputSize)")
        }
        self.layers = layers
        self.activations = activations
        self.outputs = Array(repeating: Matrix(rows: 0, columns: 0), count: layers.count)
        self.deltas = Array(repeating: Matrix(rows: 0, columns: 0), count: layers.count)
    }

    /// `[input, hidden…, output]`.
    public var layerSizes: [Int] { [layers[0].inputSize] + layers.map(\.outputSize) }
    public var inputSize: Int { layers[0].inputSize }
    public var outputSize: Int { layers[layers.count - 1].outputSize }

    /// The network's output for `input` (`batch × inputSize` → `batch × outputSize`), keeping
    /// every layer's output for `backward`.
    public mutating func forward(_ input: Matrix) -> Matrix {
        precondition(input.columns == inputSize, "MLP.forward: input has \(input.columns) columns, network expects \(inputSize)")
        self.input.resize(rows: input.rows, columns: input.columns)
        input.withUnsafeBufferPointer { src in
            self.input.withUnsafeMutableBufferPointer { dst in
                _ = dst.update(fromContentsOf: src)
            }
        }
        for i in layers.indices {
            layers[i].forward(i == 0 ? self.input : outputs[i - 1], into: &outputs[i])
            activations[i].apply(&outputs[i])
        }
        return outputs[layers.count - 1]
    }

    /// Backpropagates `∂L/∂output` (`batch × outputSize`) through the last `forward`: accumulates
    /// every parameter gradient and returns `∂L/∂input` (`batch × inputSize`).
    ///
    /// Gradients add up over calls until `zeroGradients()`.
    @discardableResult
    public mutating func backward(_ outputGradient: Matrix) -> Matrix {
        backpropagate(outputGradient, computeInputGradient: true)
        return inputGradient
    }

    /// Like `backward`, but skips `∂L/∂input` (one GEMM fewer) when only the parameter gradients
    /// are needed, as when the input is data rather than another network's output.
    public mutating func accumulateGradients(_ outputGradient: Matrix) {
        backpropagate(outputGradient, computeInputGradient: false)
    }

    private mutating func backpropagate(_ outputGradient: Matrix, computeInputGradient: Bool) {
        let last = layers.count - 1
        precondition(outputGradient.rows == outputs[last].rows && outputGradient.columns == outputSize,
                     "MLP.backward: gradient is \(outputGradient.rows)×\(outputGradient.columns), "
                     + "last output was \(outputs[last].rows)×\(outputs[last].columns)")
        deltas[last].resize(rows: outputGradient.rows, columns: outputGradient.columns)
        outputGradient.withUnsafeBufferPointer { src in
            deltas[last].withUnsafeMutableBufferPointer { dst in
                _ = dst.update(fromContentsOf: src)
            }
        }
        for i in stride(from: last, through: 0, by: -1) {
            activations[i].backward(output: outputs[i], gradient: &deltas[i])
            if i > 0 {
                layers[i].backward(input: outputs[i - 1], outputGradient: deltas[i], inputGradient: &deltas[i - 1])
            } else if computeInputGradient {
                layers[0].backward(input: input, outputGradient: deltas[0], inputGradient: &inputGradient)
            } else {
                layers[0].backward(input: input, outputGradient: deltas[0])
            }
        }
    }

    /// Inference without touching the caches: `batch × inputSize → batch × outputSize`.
    ///
    /// Allocates its intermediate matrices; use `forward` in hot loops.
    public func predict(_ input: Matrix) -> Matrix {
        precondition(input.columns == inputSize, "MLP.predict: input has \(input.columns) columns, network expects \(inputSize)")
        var current = input
        var next = Matrix(rows: 0, columns: 0)
        for i in layers.indices {
            layers[i].forward(current, into: &next)
            activations[i].apply(&next)
            swap(&current, &next)
        }
        return current
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        for i in layers.indices { try layers[i].updateParameters(body) }
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        for layer in layers { try layer.forEachParameter(body) }
    }
}
