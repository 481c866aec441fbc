import Numerics
import Testing

/// `true` when `a` and `b` agree within `max(absolute, relative · max(|a|, |b|))`; equal infinities
/// and two NaNs count as close.
public func isClose(_ a: Double, _ b: Double, relative: Double, absolute: Double) -> Bool {
    if a == b || (a.isNaN && b.isNaN) { return true }
    return abs(a - b) <= max(absolute, relative * max(abs(a), abs(b)))
}

/// Records an issue unless `a ≈ b` within `max(absolute, relative · max(|a|, |b|))`.
@discardableResult
public func assertClose(
    _ a: Double, _ b: Double, relative: Double = 1e-12, absolute: Double = 0,
    _ message: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    if isClose(a, b, relative: relative, absolute: absolute) { return true }
    let context = message()
    Issue.record(Comment(rawValue: "\(a) and \(b) differ by \(abs(a - b)) (relative \(relative), absolute \(absolute))"
                         + (context.isEmpty ? "" : ": \(context)")),
                 sourceLocation: sourceLocation)
    return false
}

/// Records an issue unless the sequences have equal length and agree elementwise; names the worst index.
@discardableResult
public func assertClose(
    _ a: [Double], _ b: [Double], relative: Double = 1e-12, absolute: Double = 0,
    _ message: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    guard a.count == b.count else {
        Issue.record(Comment(rawValue: "lengths \(a.count) and \(b.count) differ: \(message())"), sourceLocation: sourceLocation)
        return false
    }
    var failures = 0
    var worst: (index: Int, error: Double)? = nil
    for i in a.indices where !isClose(a[i], b[i], relative: relative, absolute: absolute) {
        failures += 1
        let error = abs(a[i] - b[i])
        if worst == nil || !(error <= worst!.error) { worst = (i, error) }
    }
    guard let worst else { return true }
    let context = message()
    Issue.record(Comment(rawValue: "\(failures) of \(a.count) elements differ; worst at [\(worst.index)]: "
                         + "\(a[worst.index]) vs \(b[worst.index]) (relative \(relative), absolute \(absolute))"
                         + (context.isEmpty ? "" : ": \(context)")),
                 sourceLocation: sourceLocation)
    return false
}

/// `assertClose` for `Float` arrays, compared in `Double`.
@discardableResult
public func assertClose(
    _ a: [Float], _ b: [Float], relative: Double = 1e-6, absolute: Double = 0,
    _ message: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    assertClose(a.map(Double.init), b.map(Double.init), relative: relative, absolute: absolute,
                message(), sourceLocation: sourceLocation)
}

/// `assertClose` for matrices: shapes must match, then elements as `Float` arrays.
@discardableResult
public func assertClose(
    _ a: Matrix, _ b: Matrix, relative: Double = 1e-6, absolute: Double = 0,
    _ message: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    guard a.rows == b.rows && a.columns == b.columns else {
        Issue.record(Comment(rawValue: "shapes \(a.rows)×\(a.columns) and \(b.rows)×\(b.columns) differ: \(message())"),
                     sourceLocation: sourceLocation)
        return false
    }
    return assertClose(a.elements, b.elements, relative: relative, absolute: absolute,
                       message(), sourceLocation: sourceLocation)
}

extension Matrix {
    /// A seeded fixture: independent normal entries with standard deviation `scale`.
    public static func random(rows: Int, columns: Int, stream: inout RandomStream, scale: Float = 1) -> Matrix {
        Matrix(rows: rows, columns: columns) { _, _ in scale * stream.normalFloat() }
    }

    /// A seeded fixture from a seed alone.
    public static func random(rows: Int, columns: Int, seed: UInt64, scale: Float = 1) -> Matrix {
        var stream = RandomStream(seed: seed)
        return random(rows: rows, columns: columns, stream: &stream, scale: scale)
    }
}

/// The upper `1 − α` critical value of the χ² distribution with `degreesOfFreedom`, by the
/// Wilson–Hilferty cube approximation (Wilson & Hilferty 1931; relative error < 1 % for df ≥ 3).
public func chiSquareCriticalValue(degreesOfFreedom df: Int, alpha: Double = 0.001) -> Double {
    let k = Double(df)
    let z = StandardNormal.quantile(1 - alpha)
    let c = 2 / (9 * k)
    let cube = 1 - c + z * c.squareRoot()
    return k * cube * cube * cube
}

/// Pearson's χ² statistic `Σ (O − E)² / E` of observed counts against expected probabilities
/// (categories with zero probability must have zero count, or the statistic is infinite).
public func chiSquareStatistic(observed: [Int], probabilities: [Double]) -> Double {
    precondition(observed.count == probabilities.count, "chiSquareStatistic: length mismatch")
    let n = Double(observed.reduce(0, +))
    var statistic = 0.0
    for (o, p) in zip(observed, probabilities) {
        if p == 0 {
            if o != 0 { return .infinity }
            continue
        }
        let e = n * p
        statistic += (Double(o) - e) * (Double(o) - e) / e
    }
    return statistic
}
