/// Count, mean, variance, minimum and maximum of a stream of values in one pass and O(1) memory.
///
/// Welford's update ("Note on a method for calculating corrected sums of squares and products",
/// Technometrics 1962) keeps the mean and the sum of squared deviations `M₂`, which avoids the
/// cancellation of the textbook `Σx² − n·x̄²`. Two summaries merge exactly with the pairwise formula of
/// Chan, Golub & LeVeque ("Algorithms for computing the sample variance", 1979), so per-thread or
/// per-seed summaries can be combined.
public struct RunningStatistics: Sendable, Equatable {
    /// Number of values seen.
    public private(set) var count: Int = 0
    /// Arithmetic mean (`nan` when empty).
    public private(set) var mean: Double = .nan
    /// Sum of squared deviations from the mean, `Σ (x − x̄)²`.
    public private(set) var sumOfSquaredDeviations: Double = 0
    /// Smallest value (`+∞` when empty).
    public private(set) var minimum: Double = .infinity
    /// Largest value (`−∞` when empty).
    public private(set) var maximum: Double = -.infinity

    /// An empty summary.
    public init() {}

    /// The summary of `values`.
    public init<S: Sequence>(_ values: S) where S.Element == Double {
        for value in values { add(value) }
    }

    /// Adds one value.
    public mutating func add(_ value: Double) {
        count += 1
        if count == 1 {
            mean = value
        } else {
            let delta = value - mean
            mean += delta / Double(count)
            sumOfSquaredDeviations += delta * (value - mean)
        }
        minimum = min(minimum, value)
        maximum = max(maximum, value)
    }

    /// Folds `other` into this summary, as if its values had been added here.
    public mutating func merge(_ other: RunningStatistics) {
        guard other.count > 0 else { return }
        guard count > 0 else {
            self = other
            return
        }
        let n = Double(count + other.count)
        let delta = other.mean - mean
        mean += delta * Double(other.count) / n
        sumOfSquaredDeviations += other.sumOfSquaredDeviations + delta * delta * Double(count) * Double(other.count) / n
        count += other.count
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
    }

    /// The summary of both value sets.
    public func merged(with other: RunningStatistics) -> RunningStatistics {
        var out = self
        out.merge(other)
        return out
    }

    /// Unbiased sample variance `M₂ / (n − 1)` (`nan` below two values).
    public var variance: Double { count > 1 ? sumOfSquaredDeviations / Double(count - 1) : .nan }

    /// Population variance `M₂ / n` (`nan` when empty).
    public var populationVariance: Double { count > 0 ? sumOfSquaredDeviations / Double(count) : .nan }

    /// Sample standard deviation `√variance`.
    public var standardDeviation: Double { variance.squareRoot() }

    /// Standard error of the mean `s / √n`.
    public var standardError: Double { (variance / Double(count)).squareRoot() }
}
