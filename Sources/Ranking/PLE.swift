import NeuralNet
import Numerics

/// Progressive Layered Extraction (Tang, Liu, Zhao & Gong, RecSys 2020): `levels` stacked CGC
/// extraction levels (`CGCLevel`; §4.3, eq. 4), then one tower per task on the last level's task
/// outputs, `y^k = t^k(g^{k,N})` (eq. 5). With one level this is the CGC model of §4.2.
///
/// The first level reads the encoded input; level `j > 0` reads level `j − 1`'s task outputs and,
/// for its shared experts and shared gate, its shared output.
public struct PLE: MultiTaskNetwork {
    public struct Configuration: Codable, Equatable, Hashable, Sendable {
        public var inputSize: Int
        public var taskCount: Int
        /// Number of extraction levels (≥ 1).
        public var levels: Int
        /// Task-specific experts per task and level.
        public var taskExperts: Int
        /// Shared experts per level.
        public var sharedExperts: Int
        /// Sizes of each expert's layers after its input (ReLU after each); every level's experts
        /// output `expertLayers.last` values, which is the next level's input size.
        public var expertLayers: [Int]
        /// Hidden sizes of each tower.
        public var towerLayers: [Int]

        public init(inputSize: Int, taskCount: Int, levels: Int, taskExperts: Int, sharedExperts: Int,
                    expertLayers: [Int], towerLayers: [Int]) {
            self.inputSize = inputSize
            self.taskCount = taskCount
            self.levels = levels
            self.taskExperts = taskExperts
            self.sharedExperts = sharedExperts
            self.expertLayers = expertLayers
            self.towerLayers = towerLayers
        }
    }

    public static let architecture = "ple"
    public let configuration: Configuration
    public private(set) var levels: [CGCLevel]
    public private(set) var towers: TaskTowers

    private var input = Matrix(rows: 0, columns: 0)
    private var towerGradients: [Matrix]
    public private(set) var inputGradient = Matrix(rows: 0, columns: 0)

    public init(configuration c: Configuration, stream: inout RandomStream) {
        precondition(c.inputSize > 0 && c.taskCount > 0 && c.levels > 0 && !c.expertLayers.isEmpty,
                     "PLE: need input size, tasks, levels and expert layers, got \(c)")
        configuration = c
        levels = (0..<c.levels).map { j in
            CGCLevel(taskCount: c.taskCount, taskExperts: c.taskExperts, sharedExperts: c.sharedExperts,
                     inputSize: j == 0 ? c.inputSize : c.expertLayers.last!, expertLayers: c.expertLayers,
                     hasSharedOutput: j < c.levels - 1, stream: &stream, name: "level\(j)")
        }
        towers = TaskTowers(taskCount: c.taskCount, inputSize: c.expertLayers.last!, hiddenSizes: c.towerLayers,
                            stream: &stream)
        towerGradients = Array(repeating: Matrix(rows: 0, columns: 0), count: c.taskCount)
    }

    public var inputSize: Int { configuration.inputSize }
    public var taskCount: Int { configuration.taskCount }

    /// Gate weights of task `t` at `level` in the last forward (`batch × (taskExperts + sharedExperts)`).
    public func gateWeights(level: Int, task t: Int) -> Matrix { levels[level].taskGates[t].probabilities }

    public mutating func forward(_ input: Matrix, into logits: inout Matrix) {
        precondition(input.columns == inputSize, "PLE.forward: input has \(input.columns) columns, expected \(inputSize)")
        ColumnBlocks.copy(input, into: &self.input)
        levels[0].forward([self.input])
        for j in 1..<levels.count {
            let inputs = levels[j - 1].outputs
            levels[j].forward(inputs)
        }
        let last = levels[levels.count - 1].outputs
        towers.forward(last, into: &logits)
    }

    public mutating func backward(_ logitsGradient: Matrix, computeInputGradient: Bool) {
        for t in 0..<taskCount {
            let g = towers.backward(logitsGradient, task: t)
            ColumnBlocks.copy(g, into: &towerGradients[t])
        }
        var upstream = towerGradients
        for j in stride(from: levels.count - 1, through: 0, by: -1) {
            let inputs = j == 0 ? [input] : levels[j - 1].outputs
            levels[j].backward(inputs, outputGradients: upstream, computeInputGradients: j > 0 || computeInputGradient)
            upstream = levels[j].inputGradients
        }
        if computeInputGradient { ColumnBlocks.copy(upstream[0], into: &inputGradient) }
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        for j in levels.indices { try levels[j].updateParameters(body) }
        try towers.updateParameters(body)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        for level in levels { try level.forEachParameter(body) }
        try towers.forEachParameter(body)
    }
}
