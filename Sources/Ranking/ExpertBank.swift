import NeuralNet
import Numerics

/// Several expert MLPs of the same shape evaluated together (the experts `f_i` of MMoE, Ma et al.
/// KDD 2018, eq. 5, and the task-specific and shared experts of a CGC level, Tang et al. RecSys
/// 2020, eq. 1–2).
///
/// All `n` experts' layer-`l` weights live side by side in one `h_l × (n · h_{l+1})` tensor, expert
/// `k` owning the column block `k·h_{l+1} ..< (k+1)·h_{l+1}`; activations are `batch × (n · h)`
/// matrices with the same block layout. Experts are partitioned into contiguous *groups* that read
/// the same input: when every group reads one shared input (MMoE, the first CGC level), the first
/// layer of all experts is a single `batch × in × (n · h₁)` GEMM; deeper layers are one GEMM per
/// expert on column blocks, without copies. The activation follows every layer, including the last
/// (as in MTReclib's expert MLPs).
public struct ExpertBank: ParameterStore, Sendable {
    public let expertCount: Int
    /// `[input, hidden…, output]` of each expert.
    public let layerSizes: [Int]
    public let activation: Activation
    /// Expert index ranges that share an input, covering `0..<expertCount` in order.
    public let groups: [Range<Int>]
    /// Layer `l`: `layerSizes[l] × (expertCount · layerSizes[l + 1])`.
    public private(set) var weights: [Parameter]
    /// Layer `l`: `1 × (expertCount · layerSizes[l + 1])`.
    public private(set) var biases: [Parameter]

    /// `outputs[l]`: layer `l`'s activations, `batch × (expertCount · layerSizes[l + 1])`.
    private var outputs: [Matrix]
    private var deltas: [Matrix]
    /// `∂L/∂input` per input of the last `backward` (one per group, or one for a shared input).
    public private(set) var inputGradients: [Matrix] = []

    /// A bank of He-initialised experts (zero biases).
    public init(expertCount: Int, layerSizes: [Int], activation: Activation = .relu, groups: [Range<Int>]? = nil,
                stream: inout RandomStream, name: String = "experts") {
        precondition(expertCount > 0 && layerSizes.count >= 2 && layerSizes.allSatisfy { $0 > 0 },
                     "ExpertBank: need experts > 0 and positive layer sizes, got \(expertCount) × \(layerSizes)")
        precondition(activation != .softmax, "ExpertBank: softmax is not an elementwise activation")
        let groups = groups ?? [0..<expertCount]
        precondition(!groups.isEmpty && groups.first!.lowerBound == 0 && groups.last!.upperBound == expertCount
                     && zip(groups, groups.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound },
                     "ExpertBank: groups \(groups) must partition 0..<\(expertCount) in order")
        self.expertCount = expertCount
        self.layerSizes = layerSizes
        self.activation = activation
        self.groups = groups
        var weights = [Parameter]()
        var biases = [Parameter]()
        for l in 0..<(layerSizes.count - 1) {
            let w = Initialization.he.weights(fanIn: layerSizes[l], fanOut: expertCount * layerSizes[l + 1], stream: &stream)
            weights.append(Parameter(name: "\(name).layer\(l).weight", value: w))
            biases.append(Parameter(name: "\(name).layer\(l).bias", value: Matrix(rows: 1, columns: expertCount * layerSizes[l + 1])))
        }
        self.weights = weights
        self.biases = biases
        outputs = Array(repeating: Matrix(rows: 0, columns: 0), count: weights.count)
        deltas = outputs
    }

    public var inputSize: Int { layerSizes[0] }
    /// Width of one expert's output.
    public var expertOutputSize: Int { layerSizes[layerSizes.count - 1] }
    /// The last forward's outputs, `batch × (expertCount · expertOutputSize)`; expert `k` is the
    /// column block `k·d ..< (k+1)·d`.
    public var output: Matrix { outputs[outputs.count - 1] }

    /// Evaluates every expert. `inputs` holds one matrix shared by all groups, or one per group.
    public mutating func forward(_ inputs: [Matrix]) {
        precondition(inputs.count == 1 || inputs.count == groups.count,
                     "ExpertBank.forward: \(inputs.count) inputs for \(groups.count) groups")
        let batch = inputs[0].rows
        precondition(inputs.allSatisfy { $0.rows == batch && $0.columns == inputSize },
                     "ExpertBank.forward: inputs must be \(batch)×\(inputSize), got \(inputs.map { "\($0.rows)×\($0.columns)" })")
        for l in weights.indices {
            let (hIn, hOut) = (layerSizes[l], layerSizes[l + 1])
            outputs[l].resize(rows: batch, columns: expertCount * hOut)
            if l == 0 {
                if inputs.count == 1 {
                    Matrix.multiply(inputs[0], weights[0].value, into: &outputs[0])
                } else {
                    for (g, range) in groups.enumerated() where !range.isEmpty {
                        let columns = (range.lowerBound * hOut)..<(range.upperBound * hOut)
                        ColumnBlocks.multiply(inputs[g], columns: 0..<hIn, by: weights[0].value, columns: columns,
                                              into: &outputs[0], columns: columns)
                    }
                }
            } else {
                for k in 0..<expertCount {
                    let inBlock = (k * hIn)..<((k + 1) * hIn), outBlock = (k * hOut)..<((k + 1) * hOut)
                    ColumnBlocks.multiply(outputs[l - 1], columns: inBlock, by: weights[l].value, columns: outBlock,
                                          into: &outputs[l], columns: outBlock)
                }
            }
            addBiasAndActivate(l)
        }
    }

    private mutating func addBiasAndActivate(_ l: Int) {
        let columns = outputs[l].columns
        let relu = activation == .relu
        biases[l].value.withUnsafeBufferPointer { b in
            outputs[l].withUnsafeMutableBufferPointer { y in
                for base in stride(from: 0, to: y.count, by: columns) {
                    if relu {
                        for j in 0..<columns { let v = y[base + j] + b[j]; y[base + j] = v > 0 ? v : 0 }
                    } else {
                        for j in 0..<columns { y[base + j] += b[j] }
                    }
                }
            }
        }
        if !relu { activation.apply(&outputs[l]) }
    }

    /// Backpropagates `∂L/∂output` through the last `forward` (with the same `inputs`): accumulates
    /// every parameter gradient and, when asked, fills `inputGradients` (one per input).
    public mutating func backward(_ inputs: [Matrix], outputGradient: Matrix, computeInputGradients: Bool = true) {
        let last = weights.count - 1
        precondition(outputGradient.rows == outputs[last].rows && outputGradient.columns == outputs[last].columns,
                     "ExpertBank.backward: gradient is \(outputGradient.rows)×\(outputGradient.columns), "
                     + "output was \(outputs[last].rows)×\(outputs[last].columns)")
        precondition(inputs.count == 1 || inputs.count == groups.count, "ExpertBank.backward: \(inputs.count) inputs")
        let batch = outputGradient.rows
        ColumnBlocks.copy(outputGradient, into: &deltas[last])
        for l in stride(from: last, through: 0, by: -1) {
            let (hIn, hOut) = (layerSizes[l], layerSizes[l + 1])
            activation.backward(output: outputs[l], gradient: &deltas[l])
            ColumnBlocks.accumulateColumnSums(deltas[l], into: &biases[l].gradient)
            if l > 0 {
                deltas[l - 1].resize(rows: batch, columns: expertCount * hIn)
                for k in 0..<expertCount {
                    let inBlock = (k * hIn)..<((k + 1) * hIn), outBlock = (k * hOut)..<((k + 1) * hOut)
                    ColumnBlocks.multiply(outputs[l - 1], columns: inBlock, transposeA: true, by: deltas[l], columns: outBlock,
                                          into: &weights[l].gradient, columns: outBlock, beta: 1)
                    ColumnBlocks.multiply(deltas[l], columns: outBlock, by: weights[l].value, columns: outBlock,
                                          transposeB: true, into: &deltas[l - 1], columns: inBlock)
                }
            } else if inputs.count == 1 {
                Matrix.multiply(inputs[0], transposed: true, deltas[0], into: &weights[0].gradient, beta: 1)
                if computeInputGradients {
                    if inputGradients.count != 1 { inputGradients = [Matrix(rows: 0, columns: 0)] }
                    Matrix.multiply(deltas[0], transposed: false, weights[0].value, transposed: true, into: &inputGradients[0])
                }
            } else {
                if computeInputGradients && inputGradients.count != groups.count {
                    inputGradients = Array(repeating: Matrix(rows: 0, columns: 0), count: groups.count)
                }
                for (g, range) in groups.enumerated() {
                    let block = (range.lowerBound * hOut)..<(range.upperBound * hOut)
                    if !range.isEmpty {
                        ColumnBlocks.multiply(inputs[g], columns: 0..<hIn, transposeA: true, by: deltas[0], columns: block,
                                              into: &weights[0].gradient, columns: block, beta: 1)
                    }
                    if computeInputGradients {
                        inputGradients[g].resize(rows: batch, columns: hIn)
                        if range.isEmpty {
                            inputGradients[g].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                        } else {
                            ColumnBlocks.multiply(deltas[0], columns: block, by: weights[0].value, columns: block,
                                                  transposeB: true, into: &inputGradients[g], columns: 0..<hIn)
                        }
                    }
                }
            }
        }
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        for l in weights.indices {
            try body(&weights[l])
            try body(&biases[l])
        }
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        for l in weights.indices {
            try body(weights[l])
            try body(biases[l])
        }
    }
}
