import Numerics

/// How a dense layer's `fanIn × fanOut` weights are drawn; biases always start at zero.
public enum Initialization: Sendable, Equatable {
    /// Kaiming normal, `W ~ N(0, 2 / fanIn)` (He et al. 2015, "Delving deep into rectifiers", eq. 10):
    /// keeps activation variance constant through ReLU layers.
    case he
    /// Glorot uniform, `W ~ U(−a, a)` with `a = sqrt(6 / (fanIn + fanOut))` (Glorot & Bengio 2010,
    /// eq. 16): balances forward and backward variance for tanh/sigmoid layers.
    case xavier
    /// `W ~ U(−bound, bound)`: the small final-layer initialisation of DDPG actors and critics
    /// (Lillicrap et al. 2016, §7, bound 3·10⁻³), so that initial outputs are near zero.
    case uniform(bound: Float)

    /// A `fanIn × fanOut` weight matrix drawn from this scheme.
    public func weights(fanIn: Int, fanOut: Int, stream: inout RandomStream) -> Matrix {
        precondition(fanIn > 0 && fanOut > 0, "Initialization: fan-in \(fanIn) and fan-out \(fanOut) must be positive")
        var w = Matrix(rows: fanIn, columns: fanOut)
        switch self {
        case .he:
            let std = (2.0 / Double(fanIn)).squareRoot()
            w.withUnsafeMutableBufferPointer { p in
                for i in 0..<p.count { p[i] = Float(std * stream.normal()) }
            }
        case .xavier:
            fillUniform(&w, bound: Float((6.0 / Double(fanIn + fanOut)).squareRoot()), stream: &stream)
        case .uniform(let bound):
            fillUniform(&w, bound: bound, stream: &stream)
        }
        return w
    }

    private func fillUniform(_ w: inout Matrix, bound: Float, stream: inout RandomStream) {
        w.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = Float((2 * stream.nextUniform() - 1) * Double(bound)) }
        }
    }
}
