import NeuralNet
import Numerics

/// Multi-gate Mixture-of-Experts (Ma, Zhao, Yi, Chen, Hong & Chi, "Modeling Task Relationships in
/// Multi-task Learning with Multi-gate Mixture-of-Experts", KDD 2018):
///
///     f^k(x) = Σ_{i=1}^{n} g^k(x)_i · f_i(x)          (eq. 5)
///     g^k(x) = softmax(W_{gk} · x)                    (eq. 6)
///     y_k    = h^k(f^k(x))                            (eq. 7)
///
/// with `n` expert MLPs `f_i` shared by all tasks, one softmax gate per task over the experts, and
/// one tower `h^k` per task ending in a logit. The experts' first layer is one GEMM over all
/// experts; deeper layers one GEMM per expert (see `ExpertBank`).
public struct MMoE: MultiTaskNetwork {
    public struct Configuration: Codable, Equatable, Hashable, Sendable {
        public var inputSize: Int
        public var taskCount: Int
        public var expertCount: Int
        /// Sizes of each expert's layers after the input (ReLU after each), e.g. `[256, 128]`.
        public var expertLayers: [Int]
        /// Hidden sizes of each tower, e.g. `[64]`.
        public var towerLayers: [Int]

        public init(inputSize: Int, taskCount: Int, expertCount: Int, expertLayers: [Int], towerLayers: [Int]) {
            self.inputSize = inputSize
            self.taskCount = taskCount
            self.expertCount = expertCount
            self.expertLayers = expertLayers
            self.towerLayers = towerLayers
        }

        /// The reference network of issue 5: input 128, 8 experts 128→256→128, 7 gates, towers
        /// 128→64→1.
        public static let reference = Configuration(inputSize: 128, taskCount: 7, expertCount: 8,
                                                    expertLayers: [256, 128], towerLayers: [64])
    }

    public static let architecture = "mmoe"
    public let configuration: Configuration
    public private(set) var experts: ExpertBank
    public private(set) var gates: [SoftmaxGate]
    public private(set) var towers: TaskTowers

    private var input = Matrix(rows: 0, columns: 0)
    /// `mixtures[k] = f^k(x)`, `batch × expertWidth`.
    private var mixtures: [Matrix]
    private var expertGradient = Matrix(rows: 0, columns: 0)
    public private(set) var inputGradient = Matrix(rows: 0, columns: 0)

    public init(configuration c: Configuration, stream: inout RandomStream) {
        precondition(c.inputSize > 0 && c.taskCount > 0 && c.expertCount > 0 && !c.expertLayers.isEmpty,
                     "MMoE: need input size, tasks, experts and at least one expert layer, got \(c)")
        configuration = c
        experts = ExpertBank(expertCount: c.expertCount, layerSizes: [c.inputSize] + c.expertLayers, stream: &stream)
        let width = c.expertLayers.last!
        gates = (0..<c.taskCount).map { t in
            SoftmaxGate(inputSize: c.inputSize, selection: [0..<c.expertCount], expertWidth: width, stream: &stream,
                        name: "gate\(t)")
        }
        towers = TaskTowers(taskCount: c.taskCount, inputSize: width, hiddenSizes: c.towerLayers, stream: &stream)
        mixtures = Array(repeating: Matrix(rows: 0, columns: 0), count: c.taskCount)
    }

    public var inputSize: Int { configuration.inputSize }
    public var taskCount: Int { configuration.taskCount }

    /// Gate weights of task `t` in the last forward (`batch × expertCount`).
    public func gateWeights(task t: Int) -> Matrix { gates[t].probabilities }

    public mutating func forward(_ input: Matrix, into logits: inout Matrix) {
        precondition(input.columns == inputSize, "MMoE.forward: input has \(input.columns) columns, expected \(inputSize)")
        ColumnBlocks.copy(input, into: &self.input)
        experts.forward([self.input])
        for t in 0..<taskCount {
            gates[t].forward(input: self.input, experts: experts.output, into: &mixtures[t])
        }
        towers.forward(mixtures, into: &logits)
    }

    public mutating func backward(_ logitsGradient: Matrix, computeInputGradient: Bool) {
        let expertOutput = experts.output
        ColumnBlocks.zero(&expertGradient, rows: expertOutput.rows, columns: expertOutput.columns)
        for t in 0..<taskCount {
            let g = towers.backward(logitsGradient, task: t)
            gates[t].backward(input: input, experts: expertOutput, outputGradient: g, expertGradient: &expertGradient,
                              computeInputGradient: computeInputGradient)
            if computeInputGradient { accumulate(gates[t].inputGradient, into: &inputGradient, first: t == 0) }
        }
        experts.backward([input], outputGradient: expertGradient, computeInputGradients: computeInputGradient)
        if computeInputGradient { inputGradient.add(experts.inputGradients[0]) }
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try experts.updateParameters(body)
        for t in gates.indices { try gates[t].updateParameters(body) }
        try towers.updateParameters(body)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try experts.forEachParameter(body)
        for gate in gates { try gate.forEachParameter(body) }
        try towers.forEachParameter(body)
    }
}
