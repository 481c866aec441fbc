import NeuralNet
import Numerics

/// A gating network `g(x) = softmax(x·W_g + b)` over a selection of experts, and the mixture it
/// weights (MMoE, Ma et al. KDD 2018, eq. 6: `g^k(x) = softmax(W_{gk} x)`; CGC, Tang et al. RecSys
/// 2020, eq. 3, where the selection is the task's own experts followed by the shared ones, and the
/// shared gate of a non-final level selects all experts).
///
/// Forward computes the gate weights (kept in `probabilities`, rows sum to 1) and
/// `y = Σ_j g_j E_{e_j}`; backward goes through the mixture, the softmax Jacobian
/// `∂L/∂z_j = g_j (∂L/∂g_j − Σ_k g_k ∂L/∂g_k)`, and the linear layer.
public struct SoftmaxGate: ParameterStore, Sendable {
    /// `W_g` (`inputSize × selected`) and `b`.
    public private(set) var dense: Dense
    /// The experts mixed, in gate-column order.
    public let selection: [Range<Int>]
    /// Width of one expert's output.
    public let expertWidth: Int

    /// Gate weights of the last forward, `batch × selected`; each row sums to 1.
    public private(set) var probabilities = Matrix(rows: 0, columns: 0)
    private var gateGradient = Matrix(rows: 0, columns: 0)
    /// `∂L/∂input` of the last `backward`.
    public private(set) var inputGradient = Matrix(rows: 0, columns: 0)

    /// A gate with Xavier-initialised weights (zero bias), so initial gates are near uniform.
    public init(inputSize: Int, selection: [Range<Int>], expertWidth: Int, stream: inout RandomStream,
                name: String = "gate") {
        let m = ExpertMixture.selectedCount(selection)
        precondition(m > 0 && expertWidth > 0, "SoftmaxGate(\(name)): empty selection \(selection) or width \(expertWidth)")
        self.dense = Dense(inputSize: inputSize, outputSize: m, initialization: .xavier, stream: &stream, name: name)
        self.selection = selection
        self.expertWidth = expertWidth
    }

    public var inputSize: Int { dense.inputSize }
    public var selectedCount: Int { dense.outputSize }

    /// `output ← Σ_j g_j(input) · E_{e_j}`, `batch × expertWidth` (resized).
    public mutating func forward(input: Matrix, experts: Matrix, into output: inout Matrix) {
        dense.forward(input, into: &probabilities)
        probabilities.softmaxRows()
        #if MTFSIM_INTERNAL_CHECKS
        checkRowsSumToOne()
        #endif
        ExpertMixture.forward(gates: probabilities, experts: experts, expertWidth: expertWidth, selection: selection,
                              into: &output)
    }

    /// Backpropagates `∂L/∂output` of the last `forward` (same `input` and `experts`): accumulates
    /// `∂L/∂E` into `expertGradient` and the gate's parameter gradients, and writes `inputGradient`
    /// when `computeInputGradient`.
    public mutating func backward(input: Matrix, experts: Matrix, outputGradient: Matrix, expertGradient: inout Matrix,
                                  computeInputGradient: Bool = true) {
        ExpertMixture.backward(gates: probabilities, experts: experts, expertWidth: expertWidth, selection: selection,
                               outputGradient: outputGradient, gateGradient: &gateGradient, expertGradient: &expertGradient)
        Activation.softmax.backward(output: probabilities, gradient: &gateGradient)
        if computeInputGradient {
            dense.backward(input: input, outputGradient: gateGradient, inputGradient: &inputGradient)
        } else {
            dense.backward(input: input, outputGradient: gateGradient)
        }
    }

    #if MTFSIM_INTERNAL_CHECKS
    private func checkRowsSumToOne() {
        let m = selectedCount
        probabilities.withUnsafeBufferPointer { p in
            for base in stride(from: 0, to: p.count, by: m) {
                var total: Float = 0
                for j in 0..<m { total += p[base + j] }
                precondition(abs(total - 1) < 1e-4, "SoftmaxGate(\(dense.weight.name)): gate weights sum to \(total)")
            }
        }
    }
    #endif

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try dense.updateParameters(body)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try dense.forEachParameter(body)
    }
}
