import NeuralNet
import Numerics

/// The shared-bottom multi-task network (Caruana, "Multitask Learning", Machine Learning 1997):
/// a bottom MLP shared by every task, then one tower per task, `ŷ_k = h_k(f(x))`.
///
/// The baseline of MMoE (Ma et al. KDD 2018, §3.2, eq. 1): hard parameter sharing, which suffers
/// when tasks conflict.
public struct SharedBottom: MultiTaskNetwork {
    public struct Configuration: Codable, Equatable, Hashable, Sendable {
        public var inputSize: Int
        public var taskCount: Int
        /// Sizes of the shared MLP's layers after the input (ReLU after each), e.g. `[256, 128]`.
        public var bottomLayers: [Int]
        /// Hidden sizes of each tower, e.g. `[64]`.
        public var towerLayers: [Int]

        public init(inputSize: Int, taskCount: Int, bottomLayers: [Int], towerLayers: [Int]) {
            self.inputSize = inputSize
            self.taskCount = taskCount
            self.bottomLayers = bottomLayers
            self.towerLayers = towerLayers
        }
    }

    public static let architecture = "shared-bottom"
    public let configuration: Configuration
    public private(set) var bottom: MLP
    public private(set) var towers: TaskTowers

    private var bottomOutputGradient = Matrix(rows: 0, columns: 0)
    public private(set) var inputGradient = Matrix(rows: 0, columns: 0)

    public init(configuration c: Configuration, stream: inout RandomStream) {
        precondition(c.inputSize > 0 && c.taskCount > 0 && !c.bottomLayers.isEmpty,
                     "SharedBottom: need input size, tasks and at least one bottom layer, got \(c)")
        configuration = c
        bottom = MLP(layerSizes: [c.inputSize] + c.bottomLayers, hiddenActivation: .relu, outputActivation: .relu,
                     initialization: .he, stream: &stream)
        bottom.prefixParameterNames("bottom.")
        towers = TaskTowers(taskCount: c.taskCount, inputSize: c.bottomLayers.last!, hiddenSizes: c.towerLayers,
                            stream: &stream)
    }

    public var inputSize: Int { configuration.inputSize }
    public var taskCount: Int { configuration.taskCount }

    public mutating func forward(_ input: Matrix, into logits: inout Matrix) {
        let shared = bottom.forward(input)
        towers.forward([shared], into: &logits)
    }

    public mutating func backward(_ logitsGradient: Matrix, computeInputGradient: Bool) {
        for t in 0..<taskCount {
            let g = towers.backward(logitsGradient, task: t)
            accumulate(g, into: &bottomOutputGradient, first: t == 0)
        }
        if computeInputGradient {
            let g = bottom.backward(bottomOutputGradient)
            ColumnBlocks.copy(g, into: &inputGradient)
        } else {
            bottom.accumulateGradients(bottomOutputGradient)
        }
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try bottom.updateParameters(body)
        try towers.updateParameters(body)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try bottom.forEachParameter(body)
        try towers.forEachParameter(body)
    }
}
