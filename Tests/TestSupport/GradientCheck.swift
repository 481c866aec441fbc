import Numerics
import Testing

/// Finite-difference gradient checking: compares an analytic gradient of a scalar loss with
/// central differences `(f(x + h) − f(x − h)) / 2h`, element by element, in `Double`.
///
/// Parameters live in `Float`, so the perturbed points are rounded to `Float` and the difference
/// quotient divides by the actually representable step. A mismatch is reported when
/// `|analytic − numeric| > absoluteTolerance + relativeTolerance · max(|analytic|, |numeric|)`.
/// For losses evaluated in `Float` (a whole network), keep inputs well conditioned (values of order
/// one, no ReLU kinks within `h`) and use `relativeTolerance ≈ 1e-2`.
public struct GradientCheck: Sendable {
    /// Step `h` of the central difference.
    public var step: Double
    public var relativeTolerance: Double
    public var absoluteTolerance: Double

    public init(step: Double = 1e-3, relativeTolerance: Double = 1e-2, absoluteTolerance: Double = 1e-4) {
        self.step = step
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
    }

    /// A named `rows × columns` block of a flat vector, used to name failing elements.
    public struct Tensor: Sendable {
        public var name: String
        public var rows: Int
        public var columns: Int

        public init(name: String, rows: Int, columns: Int) {
            self.name = name
            self.rows = rows
            self.columns = columns
        }
    }

    /// One element whose analytic and numeric derivatives disagree.
    public struct Mismatch: Sendable, CustomStringConvertible {
        public var tensor: String
        public var row: Int
        public var column: Int
        /// Position in the flat vector.
        public var index: Int
        public var analytic: Double
        public var numeric: Double

        public var description: String {
            "\(tensor)[\(row), \(column)] (flat index \(index)): analytic \(analytic), numeric \(numeric)"
        }
    }

    /// The outcome of one check.
    public struct Report: Sendable, CustomStringConvertible {
        public var label: String
        public var checkedCount: Int
        public var mismatches: [Mismatch]
        /// Largest `|a − n| / max(|a|, |n|, absoluteTolerance)` over all elements.
        public var maxRelativeError: Double

        public var passed: Bool { mismatches.isEmpty }

        public var description: String {
            if passed {
                return "\(label): \(checkedCount) derivatives agree (max relative error \(maxRelativeError))"
            }
            let shown = mismatches.prefix(5).map { "  " + $0.description }.joined(separator: "\n")
            return "\(label): \(mismatches.count) of \(checkedCount) derivatives disagree "
                + "(max relative error \(maxRelativeError)):\n" + shown
                + (mismatches.count > 5 ? "\n  …" : "")
        }

        /// Records a test issue listing the failing elements unless the check passed.
        public func expectPassed(sourceLocation: SourceLocation = #_sourceLocation) {
            if !passed { Issue.record(Comment(rawValue: description), sourceLocation: sourceLocation) }
        }
    }

    /// Checks `analytic` against central differences of `loss` around `point` (a flat vector laid
    /// out as `layout`, e.g. a model's concatenated parameters).
    public func check(label: String, point: [Float], analytic: [Float], layout: [Tensor],
                      loss: ([Float]) -> Double) -> Report {
        precondition(point.count == analytic.count, "GradientCheck: \(point.count) values, \(analytic.count) derivatives")
        precondition(layout.reduce(0) { $0 + $1.rows * $1.columns } == point.count,
                     "GradientCheck: layout does not cover \(point.count) values")
        var names = [(tensor: String, row: Int, column: Int)]()
        names.reserveCapacity(point.count)
        for t in layout {
            for r in 0..<t.rows { for c in 0..<t.columns { names.append((t.name, r, c)) } }
        }
        var x = point
        var mismatches = [Mismatch]()
        var worst = 0.0
        for i in point.indices {
            let original = point[i]
            let plus = Float(Double(original) + step)
            let minus = Float(Double(original) - step)
            x[i] = plus
            let fPlus = loss(x)
            x[i] = minus
            let fMinus = loss(x)
            x[i] = original
            let numeric = (fPlus - fMinus) / (Double(plus) - Double(minus))
            let a = Double(analytic[i])
            let difference = abs(a - numeric)
            let scale = max(abs(a), abs(numeric))
            worst = max(worst, difference / max(scale, absoluteTolerance))
            if !(difference <= absoluteTolerance + relativeTolerance * scale) {
                mismatches.append(Mismatch(tensor: names[i].tensor, row: names[i].row, column: names[i].column,
                                           index: i, analytic: a, numeric: numeric))
            }
        }
        return Report(label: label, checkedCount: point.count, mismatches: mismatches, maxRelativeError: worst)
    }

    /// Checks the gradient of `loss` with respect to a matrix (an input, a prediction).
    public func check(label: String, at point: Matrix, analytic: Matrix, loss: (Matrix) -> Double) -> Report {
        precondition(point.rows == analytic.rows && point.columns == analytic.columns,
                     "GradientCheck: point is \(point.rows)×\(point.columns), gradient \(analytic.rows)×\(analytic.columns)")
        let (rows, columns) = (point.rows, point.columns)
        return check(label: label, point: point.elements, analytic: analytic.elements,
                     layout: [Tensor(name: label, rows: rows, columns: columns)]) { values in
            loss(Matrix(rows: rows, columns: columns, elements: values))
        }
    }
}
