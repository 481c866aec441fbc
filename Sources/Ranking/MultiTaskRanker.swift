import NeuralNet
import Numerics

/// A complete multi-task ranker: the feature encoder, a multi-task network on the encoded vector,
/// and what each output column means (`TaskSpec`).
///
/// Parameters are visited encoder first (`encoder.*`), then the network (`network.*`), so one
/// optimiser and one checkpoint cover both.
public struct MultiTaskRanker<Network: MultiTaskNetwork>: ParameterStore, Sendable {
    public let tasks: [TaskSpec]
    public private(set) var encoder: FeatureEncoder
    public private(set) var network: Network
    private var encoded = Matrix(rows: 0, columns: 0)

    /// A freshly initialised ranker; `configuration`'s input size must equal the layout's encoded
    /// width and its task count the number of tasks. `embeddingStandardDeviation` as in `FeatureEncoder`.
    public init(layout: FeatureLayout, tasks: [TaskSpec], configuration: Network.Configuration,
                stream: inout RandomStream, embeddingStandardDeviation: Float? = nil) {
        TaskSpec.validate(tasks)
        var encoderStream = RandomStream(seed: stream.next(), keys: streamKey("encoder"))
        var networkStream = RandomStream(seed: stream.next(), keys: streamKey("network"))
        let encoder = FeatureEncoder(layout: layout, stream: &encoderStream,
                                     embeddingStandardDeviation: embeddingStandardDeviation)
        var network = Network(configuration: configuration, stream: &networkStream)
        precondition(network.inputSize == layout.encodedDimension,
                     "MultiTaskRanker: \(Network.architecture) takes \(network.inputSize) inputs, the feature layout encodes "
                     + "\(layout.encodedDimension)")
        precondition(network.taskCount == tasks.count,
                     "MultiTaskRanker: \(Network.architecture) has \(network.taskCount) outputs for \(tasks.count) tasks")
        network.prefixParameterNames("network.")
        self.tasks = tasks
        self.encoder = encoder
        self.network = network
    }

    public var layout: FeatureLayout { encoder.layout }
    public var configuration: Network.Configuration { network.configuration }

    /// Network outputs (`batch × tasks`: logits, or raw values for regression tasks) for `batch`.
    public mutating func forward(_ batch: FeatureBatch, into outputs: inout Matrix) {
        encoder.forward(batch, into: &encoded)
        network.forward(encoded, into: &outputs)
    }

    /// Backpropagates `∂L/∂outputs` of the last `forward(batch)` into every parameter gradient.
    public mutating func backward(_ batch: FeatureBatch, outputGradient: Matrix) {
        let needsInputGradient = encoder.parameterTensorCount > 0
        network.backward(outputGradient, computeInputGradient: needsInputGradient)
        if needsInputGradient { encoder.backward(batch, outputGradient: network.inputGradient) }
    }

    /// Per-task predictions (probabilities, regression values, ESMM joint probabilities) for
    /// network `outputs`.
    public func predictions(outputs: Matrix) -> Matrix {
        MultiTaskLoss.predictions(outputs: outputs, tasks: tasks)
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try encoder.updateParameters(body)
        try network.updateParameters(body)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try encoder.forEachParameter(body)
        try network.forEachParameter(body)
    }
}
