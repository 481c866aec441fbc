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

/// `Σ c_ij · y_ij` in `Double`: a scalar loss whose gradient with respect to `y` is `c`.
func projection(_ y: Matrix, _ c: Matrix) -> Double {
    precondition(y.rows == c.rows && y.columns == c.columns)
    var total = 0.0
    for (a, b) in zip(y.elements, c.elements) { total += Double(a) * Double(b) }
    return total
}

/// Checks every parameter gradient of `model` (already accumulated by one backward pass of
/// `loss`) against central differences of `loss`.
func checkParameterGradients<Model: ParameterStore>(
    _ model: Model, label: String, check: GradientCheck = GradientCheck(), loss: (Model) -> Double
) -> GradientCheck.Report {
    let layout = model.parameterDescriptors.map { GradientCheck.Tensor(name: $0.name, rows: $0.rows, columns: $0.columns) }
    return check.check(label: label, point: model.parameterVector(), analytic: model.gradientVector(), layout: layout) { v in
        var perturbed = model
        perturbed.setParameterVector(v)
        return loss(perturbed)
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
