import NeuralNet
import Numerics

/// One small MLP per task mapping that task's representation to a single logit (the towers `h^k`
/// of MMoE, Ma et al. KDD 2018, eq. 7, and of PLE, Tang et al. RecSys 2020, eq. 5; the task
/// layers of Caruana's shared-bottom network, 1997).
///
/// Hidden layers use ReLU; the output is a raw logit (or a raw regression value).
public struct TaskTowers: ParameterStore, Sendable {
    public private(set) var towers: [MLP]
    private var columnGradient = Matrix(rows: 0, columns: 0)

    /// `taskCount` towers `[inputSize, hidden…, 1]`, He-initialised, named `tower<t>.dense<l>`.
    public init(taskCount: Int, inputSize: Int, hiddenSizes: [Int], stream: inout RandomStream, name: String = "tower") {
        precondition(taskCount > 0, "TaskTowers: need at least one task")
        towers = (0..<taskCount).map { t in
            var tower = MLP(layerSizes: [inputSize] + hiddenSizes + [1], hiddenActivation: .relu, outputActivation: .identity,
                            initialization: .he, stream: &stream)
            tower.updateParameters { $0.name = "\(name)\(t)." + $0.name }
            return tower
        }
    }

    public var taskCount: Int { towers.count }

    /// `logits[:, t] ← tower_t(inputs[t])` (or `tower_t(inputs[0])` for every `t` when one input
    /// is shared); `logits` is resized to `batch × taskCount`.
    public mutating func forward(_ inputs: [Matrix], into logits: inout Matrix) {
        precondition(inputs.count == 1 || inputs.count == taskCount,
                     "TaskTowers.forward: \(inputs.count) inputs for \(taskCount) towers")
        let batch = inputs[0].rows
        let tasks = taskCount
        logits.resize(rows: batch, columns: tasks)
        for t in 0..<tasks {
            let y = towers[t].forward(inputs[inputs.count == 1 ? 0 : t])
            y.withUnsafeBufferPointer { src in
                logits.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<batch { dst[i * tasks + t] = src[i] }
                }
            }
        }
    }

    /// Backpropagates column `task` of `∂L/∂logits` through its tower; returns `∂L/∂input_task`.
    ///
    /// Consume the result before the next call (holding it would force a copy next step).
    public mutating func backward(_ logitsGradient: Matrix, task: Int) -> Matrix {
        ColumnBlocks.extractColumn(logitsGradient, task, into: &columnGradient)
        return towers[task].backward(columnGradient)
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        for t in towers.indices { try towers[t].updateParameters(body) }
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        for tower in towers { try tower.forEachParameter(body) }
    }
}
