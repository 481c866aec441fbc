import NeuralNet
import Numerics

/// One extraction level of Progressive Layered Extraction: a Customized Gate Control (CGC) unit
/// (Tang, Liu, Zhao & Gong, "Progressive Layered Extraction (PLE)", RecSys 2020, §4.2–4.3).
///
/// Each task `k` has `m_t` task-specific experts and all tasks share `m_s` shared experts. Task
/// `k`'s gate mixes its own experts followed by the shared ones, reading task `k`'s input:
///
///     g^k(x) = w^k(x) · S^k(x),  w^k(x) = softmax(W_g^k x),  S^k = [E_{k,1} … E_{k,m_t}, E_{s,1} … E_{s,m_s}]   (eq. 2–3)
///
/// On a non-final level a shared gate over *all* experts, reading the shared input, produces the
/// shared representation for the next level (eq. 4–5 of §4.3: `g^{k,j} = w^{k,j}(g^{k,j−1}) S^{k,j}(g^{k,j−1})`).
///
/// Expert layout in the bank: task `k`'s experts are `k·m_t ..< (k+1)·m_t`, shared experts follow.
/// Inputs are either one matrix read by everyone (the first level) or `taskCount + 1` matrices
/// (task inputs, then the shared input: the previous level's outputs).
public struct CGCLevel: ParameterStore, Sendable {
    public let taskCount: Int
    public let taskExperts: Int
    public let sharedExperts: Int
    /// `true` when this level has a shared gate (every level but the last).
    public let hasSharedOutput: Bool
    public private(set) var experts: ExpertBank
    public private(set) var taskGates: [SoftmaxGate]
    public private(set) var sharedGate: SoftmaxGate?

    /// Task outputs, then the shared output on non-final levels; each `batch × expertWidth`.
    public private(set) var outputs: [Matrix]
    private var expertGradient = Matrix(rows: 0, columns: 0)
    /// `∂L/∂input` per input of the last `backward` (one, or `taskCount + 1`).
    public private(set) var inputGradients: [Matrix] = []

    public init(taskCount: Int, taskExperts: Int, sharedExperts: Int, inputSize: Int, expertLayers: [Int],
                hasSharedOutput: Bool, stream: inout RandomStream, name: String = "level0") {
        precondition(taskCount > 0 && taskExperts > 0 && sharedExperts > 0 && !expertLayers.isEmpty,
                     "CGCLevel: need tasks, task experts, shared experts and expert layers, got \(taskCount), "
                     + "\(taskExperts), \(sharedExperts), \(expertLayers)")
        self.taskCount = taskCount
        self.taskExperts = taskExperts
        self.sharedExperts = sharedExperts
        self.hasSharedOutput = hasSharedOutput
        let total = taskCount * taskExperts + sharedExperts
        let shared = (taskCount * taskExperts)..<total
        let groups = (0..<taskCount).map { ($0 * taskExperts)..<(($0 + 1) * taskExperts) } + [shared]
        experts = ExpertBank(expertCount: total, layerSizes: [inputSize] + expertLayers, groups: groups, stream: &stream,
                             name: "\(name).experts")
        let width = expertLayers.last!
        taskGates = (0..<taskCount).map { t in
            SoftmaxGate(inputSize: inputSize, selection: [groups[t], shared], expertWidth: width, stream: &stream,
                        name: "\(name).gate\(t)")
        }
        if hasSharedOutput {
            sharedGate = SoftmaxGate(inputSize: inputSize, selection: [0..<total], expertWidth: width, stream: &stream,
                                     name: "\(name).sharedGate")
        }
        outputs = Array(repeating: Matrix(rows: 0, columns: 0), count: taskCount + (hasSharedOutput ? 1 : 0))
    }

    public var inputSize: Int { experts.inputSize }
    public var outputSize: Int { experts.expertOutputSize }

    /// Evaluates the level on one shared input or `taskCount + 1` inputs.
    public mutating func forward(_ inputs: [Matrix]) {
        precondition(inputs.count == 1 || inputs.count == taskCount + 1,
                     "CGCLevel.forward: \(inputs.count) inputs for \(taskCount) tasks")
        experts.forward(inputs)
        for t in 0..<taskCount {
            taskGates[t].forward(input: inputs[inputs.count == 1 ? 0 : t], experts: experts.output, into: &outputs[t])
        }
        if sharedGate != nil {
            sharedGate!.forward(input: inputs[inputs.count == 1 ? 0 : taskCount], experts: experts.output,
                                into: &outputs[taskCount])
        }
    }

    /// Backpropagates `∂L/∂outputs` (aligned with `outputs`) through the last `forward` with the
    /// same `inputs`, filling `inputGradients` (aligned with `inputs`) when asked.
    public mutating func backward(_ inputs: [Matrix], outputGradients: [Matrix], computeInputGradients: Bool = true) {
        precondition(outputGradients.count == outputs.count,
                     "CGCLevel.backward: \(outputGradients.count) output gradients for \(outputs.count) outputs")
        let expertOutput = experts.output
        ColumnBlocks.zero(&expertGradient, rows: expertOutput.rows, columns: expertOutput.columns)
        if computeInputGradients && inputGradients.count != inputs.count {
            inputGradients = Array(repeating: Matrix(rows: 0, columns: 0), count: inputs.count)
        }
        let single = inputs.count == 1
        for t in 0..<taskCount {
            let slot = single ? 0 : t
            taskGates[t].backward(input: inputs[slot], experts: expertOutput, outputGradient: outputGradients[t],
                                  expertGradient: &expertGradient, computeInputGradient: computeInputGradients)
            if computeInputGradients {
                accumulate(taskGates[t].inputGradient, into: &inputGradients[slot], first: !single || t == 0)
            }
        }
        if sharedGate != nil {
            let slot = single ? 0 : taskCount
            sharedGate!.backward(input: inputs[slot], experts: expertOutput, outputGradient: outputGradients[taskCount],
                                 expertGradient: &expertGradient, computeInputGradient: computeInputGradients)
            if computeInputGradients {
                accumulate(sharedGate!.inputGradient, into: &inputGradients[slot], first: !single)
            }
        } else if computeInputGradients && !single {
            ColumnBlocks.zero(&inputGradients[taskCount], rows: expertOutput.rows, columns: inputSize)
        }
        experts.backward(inputs, outputGradient: expertGradient, computeInputGradients: computeInputGradients)
        if computeInputGradients {
            for i in inputs.indices { inputGradients[i].add(experts.inputGradients[i]) }
        }
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try experts.updateParameters(body)
        for t in taskGates.indices { try taskGates[t].updateParameters(body) }
        if sharedGate != nil { try sharedGate!.updateParameters(body) }
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try experts.forEachParameter(body)
        for gate in taskGates { try gate.forEachParameter(body) }
        try sharedGate?.forEachParameter(body)
    }
}
