import NeuralNet
import Numerics

/// `Σ c_ij · y_ij` in `Double`: a scalar loss whose gradient with respect to `y` is `c`.
public func projection(_ y: Matrix, _ c: Matrix) -> Double {
    precondition(y.rows == c.rows && y.columns == c.columns, "projection: \(y.rows)×\(y.columns) vs \(c.rows)×\(c.columns)")
    var total = 0.0
    for (a, b) in zip(y.elements, c.elements) { total += Double(a) * Double(b) }
    return total
}

/// Checks every parameter gradient of `model` (already accumulated by one backward pass of
/// `loss`) against central differences of `loss`.
public func checkParameterGradients<Model: ParameterStore>(
    _ model: Model, label: String, check: GradientCheck = GradientCheck(), loss: (Model) -> Double
) -> GradientCheck.Report {
    let layout = model.parameterDescriptors.map { GradientCheck.Tensor(name: $0.name, rows: $0.rows, columns: $0.columns) }
    return check.check(label: label, point: model.parameterVector(), analytic: model.gradientVector(), layout: layout) { v in
        var perturbed = model
        perturbed.setParameterVector(v)
        return loss(perturbed)
    }
}
