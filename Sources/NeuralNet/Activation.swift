import Numerics

/// An elementwise or row-wise nonlinearity applied in place to a `batch × features` matrix.
///
/// Backward passes are written in terms of the activation's *output* `y = f(x)`, so a layer
/// needs to keep only its outputs for backpropagation.
public enum Activation: String, Codable, Sendable, CaseIterable {
    /// `f(x) = x`.
    case identity
    /// `f(x) = max(x, 0)` (Nair & Hinton 2010); derivative taken as 0 at 0.
    case relu
    /// `f(x) = tanh(x)`; `f' = 1 − y²`.
    case tanh
    /// `f(x) = 1 / (1 + e^{−x})`; `f' = y·(1 − y)`.
    case sigmoid
    /// Row-wise `y_j = e^{x_j} / Σ_k e^{x_k}` (computed with the row maximum subtracted).
    case softmax

    /// `x ← f(x)` in place.
    public func apply(_ x: inout Matrix) {
        switch self {
        case .identity:
            return
        case .relu:
            x.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] = p[i] > 0 ? p[i] : 0 }
            }
        case .tanh:
            x.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] = Elementary.tanh(p[i]) }
            }
        case .sigmoid:
            x.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] = Elementary.sigmoid(p[i]) }
            }
        case .softmax:
            x.softmaxRows()
        }
    }

    /// Turns `∂L/∂y` into `∂L/∂x` in place, given the output `y = f(x)` of the forward pass.
    ///
    /// Elementwise activations multiply by `f'(x)`; softmax applies its Jacobian–vector product
    /// `∂L/∂x_j = y_j·(g_j − Σ_k g_k·y_k)` per row, without forming the Jacobian.
    public func backward(output y: Matrix, gradient g: inout Matrix) {
        precondition(y.rows == g.rows && y.columns == g.columns,
                     "Activation.backward: output \(y.rows)×\(y.columns), gradient \(g.rows)×\(g.columns)")
        let columns = y.columns
        y.withUnsafeBufferPointer { out in
            g.withUnsafeMutableBufferPointer { grad in
                switch self {
                case .identity:
                    return
                case .relu:
                    for i in 0..<grad.count { grad[i] = out[i] > 0 ? grad[i] : 0 }
                case .tanh:
                    for i in 0..<grad.count { grad[i] *= 1 - out[i] * out[i] }
                case .sigmoid:
                    for i in 0..<grad.count { grad[i] *= out[i] * (1 - out[i]) }
                case .softmax:
                    guard columns > 0 else { return }
                    for base in stride(from: 0, to: grad.count, by: columns) {
                        var dot: Float = 0
                        for j in base..<(base + columns) { dot += grad[j] * out[j] }
                        for j in base..<(base + columns) { grad[j] = out[j] * (grad[j] - dot) }
                    }
                }
            }
        }
    }
}
