import Numerics

/// A fully connected layer `Y = X·W + b` over a mini-batch.
///
/// Shapes: `X` is `batch × inputSize`, `W` is `inputSize × outputSize`, `b` is `1 × outputSize`.
/// Forward and backward are single GEMMs; the layer keeps no activation cache, so the same layer
/// can be evaluated on several inputs and its container decides what to keep for backward.
public struct Dense: ParameterStore, Sendable {
    /// `W`, `inputSize × outputSize`.
    public var weight: Parameter
    /// `b`, `1 × outputSize`.
    public var bias: Parameter

    /// A layer with weights drawn from `initialization` and zero bias.
    public init(inputSize: Int, outputSize: Int, initialization: Initialization,
                stream: inout RandomStream, name: String = "dense") {
        let w = initialization.weights(fanIn: inputSize, fanOut: outputSize, stream: &stream)
        self.init(weight: w, bias: Matrix(rows: 1, columns: outputSize), name: name)
    }

    /// A layer with the given weights (`inputSize × outputSize`) and bias (`1 × outputSize`).
    public init(weight: Matrix, bias: Matrix, name: String = "dense") {
        precondition(bias.rows == 1 && bias.columns == weight.columns,
                     "Dense: bias is \(bias.rows)×\(bias.columns), expected 1×\(weight.columns)")
        self.weight = Parameter(name: name + ".weight", value: weight)
        self.bias = Parameter(name: name + ".bias", value: bias)
    }

    public var inputSize: Int { weight.value.rows }
    public var outputSize: Int { weight.value.columns }

    /// `output ← X·W + b`; `output` is resized to `batch × outputSize` and its storage reused.
    public func forward(_ input: Matrix, into output: inout Matrix) {
        precondition(input.columns == inputSize,
                     "Dense(\(weight.name)): input has \(input.columns) columns, layer expects \(inputSize)")
        Matrix.multiply(input, weight.value, into: &output)
        let columns = outputSize
        bias.value.withUnsafeBufferPointer { b in
            output.withUnsafeMutableBufferPointer { y in
                for base in stride(from: 0, to: y.count, by: columns) {
                    for j in 0..<columns { y[base + j] += b[j] }
                }
            }
        }
    }

    /// `X·W + b` in a new matrix.
    public func forward(_ input: Matrix) -> Matrix {
        var output = Matrix(rows: 0, columns: 0)
        forward(input, into: &output)
        return output
    }

    /// Backpropagates `dY = ∂L/∂Y` for the `input` `X` of the forward pass: accumulates the
    /// parameter gradients and writes `∂L/∂X = dY·Wᵀ` into `inputGradient` (resized, storage reused).
    public mutating func backward(input: Matrix, outputGradient: Matrix, inputGradient: inout Matrix) {
        backward(input: input, outputGradient: outputGradient)
        Matrix.multiply(outputGradient, transposed: false, weight.value, transposed: true, into: &inputGradient)
    }

    /// Accumulates `∂L/∂W += Xᵀ·dY` and `∂L/∂b += 1ᵀ·dY` (column sums of `dY`) without computing
    /// the input gradient (for a first layer whose input needs none).
    public mutating func backward(input: Matrix, outputGradient: Matrix) {
        precondition(outputGradient.columns == outputSize && outputGradient.rows == input.rows
                     && input.columns == inputSize,
                     "Dense(\(weight.name)).backward: input \(input.rows)×\(input.columns), "
                     + "output gradient \(outputGradient.rows)×\(outputGradient.columns), "
                     + "layer \(inputSize)×\(outputSize)")
        Matrix.multiply(input, transposed: true, outputGradient, into: &weight.gradient, beta: 1)
        let columns = outputSize
        outputGradient.withUnsafeBufferPointer { dy in
            bias.gradient.withUnsafeMutableBufferPointer { db in
                for base in stride(from: 0, to: dy.count, by: columns) {
                    for j in 0..<columns { db[j] += dy[base + j] }
                }
            }
        }
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&weight)
        try body(&bias)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try body(weight)
        try body(bias)
    }
}
