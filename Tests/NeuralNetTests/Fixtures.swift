import NeuralNet
import Numerics
import TestSupport

/// A seeded `rows × columns` matrix with entries uniform in `range`.
func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> Matrix {
    var stream = RandomStream(seed: seed, keys: streamKey("fixture"))
    return Matrix(rows: rows, columns: columns) { _, _ in
        range.lowerBound + (range.upperBound - range.lowerBound) * stream.nextUnitFloat()
    }
}

/// A seeded matrix with entries of magnitude in [0.2, 1] and random sign: no ReLU kinks within a
/// finite-difference step.
func matrixAwayFromZero(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix {
    var stream = RandomStream(seed: seed, keys: streamKey("away-from-zero"))
    return Matrix(rows: rows, columns: columns) { _, _ in
        let magnitude = 0.2 + 0.8 * stream.nextUnitFloat()
        return stream.nextUniform() < 0.5 ? -magnitude : magnitude
    }
}

/// A one-scalar model for optimiser tests.
struct ScalarModel: ParameterStore {
    var parameter: Parameter

    init(_ value: Float, gradient: Float = 0) {
        parameter = Parameter(name: "x", value: Matrix(rows: 1, columns: 1, repeating: value))
        parameter.gradient[0, 0] = gradient
    }

    var value: Float { parameter.value[0, 0] }

    mutating func setGradient(_ g: Float) { parameter.gradient[0, 0] = g }

    mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows { try body(&parameter) }
    func forEachParameter(_ body: (Parameter) throws -> Void) rethrows { try body(parameter) }
}
