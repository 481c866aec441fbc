/// A two-sided confidence interval around a point estimate.
public struct ConfidenceInterval: Sendable, Equatable, CustomStringConvertible {
    public var lower: Double
    public var upper: Double
    /// The point estimate (the statistic on the full sample).
    public var estimate: Double
    /// Nominal coverage, e.g. 0.95.
    public var level: Double

    public init(lower: Double, upper: Double, estimate: Double, level: Double) {
        self.lower = lower
        self.upper = upper
        self.estimate = estimate
        self.level = level
    }

    /// Half the width, the "±" of `estimate ± halfWidth` for symmetric intervals.
    public var halfWidth: Double { (upper - lower) / 2 }

    /// `true` when `value` lies in `[lower, upper]`.
    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }

    public var description: String {
        "\(estimate) [\(lower), \(upper)] (\(level * 100)%)"
    }
}

/// The Student-t interval for a mean: `x̄ ± t_{(1+level)/2, n−1} · s / √n`.
///
/// Exact for normal data and the usual choice for a handful of seeds. With one value the interval is
/// `(−∞, ∞)` (no spread is known); with none, every field is `nan`.
public func tInterval(values: [Double], level: Double = 0.95) -> ConfidenceInterval {
    tInterval(RunningStatistics(values), level: level)
}

/// The Student-t interval for the mean of a running summary.
public func tInterval(_ statistics: RunningStatistics, level: Double = 0.95) -> ConfidenceInterval {
    precondition(level > 0 && level < 1, "tInterval: level must lie in (0, 1), got \(level)")
    guard statistics.count > 1 else {
        let bound = statistics.count == 1 ? Double.infinity : .nan
        return ConfidenceInterval(lower: -bound, upper: bound, estimate: statistics.mean, level: level)
    }
    let t = StudentT.quantile((1 + level) / 2, degreesOfFreedom: Double(statistics.count - 1))
    let half = t * statistics.standardError
    return ConfidenceInterval(lower: statistics.mean - half, upper: statistics.mean + half,
                              estimate: statistics.mean, level: level)
}

/// The percentile bootstrap interval of a statistic (Efron & Tibshirani, "An Introduction to the
/// Bootstrap", 1993, §13.3): the `(1 − level)/2` and `(1 + level)/2` type-7 quantiles of the statistic
/// over `resamples` resamples with replacement. The estimate is the statistic on `values` itself.
///
/// Resample by independent unit (a session, a seed), not by correlated steps. O(resamples · n) plus the
/// statistic's cost; one resample buffer is reused throughout.
public func bootstrapConfidenceInterval(
    values: [Double],
    statistic: ([Double]) -> Double = { RunningStatistics($0).mean },
    level: Double = 0.95,
    resamples: Int = 2000,
    rng: inout RandomStream
) -> ConfidenceInterval {
    precondition(!values.isEmpty, "bootstrapConfidenceInterval: no values")
    precondition(level > 0 && level < 1, "bootstrapConfidenceInterval: level must lie in (0, 1), got \(level)")
    precondition(resamples > 0, "bootstrapConfidenceInterval: resamples must be positive, got \(resamples)")
    let n = values.count
    var resample = [Double](repeating: 0, count: n)
    var replicates = [Double]()
    replicates.reserveCapacity(resamples)
    values.withUnsafeBufferPointer { source in
        for _ in 0..<resamples {
            resample.withUnsafeMutableBufferPointer { target in
                for i in 0..<n { target[i] = source[rng.nextIndex(below: n)] }
            }
            replicates.append(statistic(resample))
        }
    }
    let bounds = quantiles(replicates, [(1 - level) / 2, (1 + level) / 2])
    return ConfidenceInterval(lower: bounds[0], upper: bounds[1], estimate: statistic(values), level: level)
}
