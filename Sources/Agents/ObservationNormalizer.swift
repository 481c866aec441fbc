import Numerics

/// Running per-feature mean and variance of observed states, for normalising network inputs.
///
/// Each batch is summarised in `Double` (mean and sum of squared deviations) and merged into the
/// running summary with the pairwise update of Chan, Golub & LeVeque (1979), the batch form of
/// Welford's algorithm, so the result does not depend on how transitions are split into batches
/// beyond rounding. Policies use a `frozen()` copy, so a policy's actions do not change while
/// the statistics keep moving; checkpoints store that frozen copy.
public struct ObservationNormalizer: Sendable, Equatable {
    public let dimension: Int
    /// Normalised values are clipped to [−clip, clip].
    public var clip: Float
    /// Standard deviations below this floor are raised to it (constant features stay finite).
    public var minimumStandardDeviation: Double
    /// When false, `update` is ignored and `frozen()` is the identity map (clipped).
    public var isEnabled: Bool
    public private(set) var count: Double = 0
    public private(set) var mean: [Double]
    /// Σ (x − mean)² per feature.
    public private(set) var sumOfSquaredDeviations: [Double]

    public init(dimension: Int, clip: Float = 5, minimumStandardDeviation: Double = 1e-4, isEnabled: Bool = true) {
        precondition(dimension > 0 && clip > 0 && minimumStandardDeviation > 0, "ObservationNormalizer: bad parameters")
        self.dimension = dimension
        self.clip = clip
        self.minimumStandardDeviation = minimumStandardDeviation
        self.isEnabled = isEnabled
        mean = [Double](repeating: 0, count: dimension)
        sumOfSquaredDeviations = [Double](repeating: 0, count: dimension)
    }

    /// Folds the rows of `states` (`batch × dimension`) into the statistics.
    public mutating func update(_ states: Matrix) {
        guard isEnabled, states.rows > 0 else { return }
        precondition(states.columns == dimension, "ObservationNormalizer: \(states.columns) columns, expected \(dimension)")
        let n = Double(states.rows)
        let total = count + n
        let d = dimension
        states.withUnsafeBufferPointer { x in
            mean.withUnsafeMutableBufferPointer { m in
                sumOfSquaredDeviations.withUnsafeMutableBufferPointer { m2 in
                    for j in 0..<d {
                        var batchMean = 0.0
                        for r in 0..<states.rows { batchMean += Double(x[r * d + j]) }
                        batchMean /= n
                        var batchM2 = 0.0
                        for r in 0..<states.rows {
                            let e = Double(x[r * d + j]) - batchMean
                            batchM2 += e * e
                        }
                        let delta = batchMean - m[j]
                        m[j] += delta * n / total
                        m2[j] += batchM2 + delta * delta * count * n / total
                    }
                }
            }
        }
        count = total
    }

    /// Population standard deviation per feature, floored at `minimumStandardDeviation` (1 before any data).
    public var standardDeviation: [Double] {
        guard count > 0 else { return [Double](repeating: 1, count: dimension) }
        return sumOfSquaredDeviations.map { max(($0 / count).squareRoot(), minimumStandardDeviation) }
    }

    /// The current statistics as a fixed affine map.
    public func frozen() -> NormalizerStatistics {
        guard isEnabled else {
            return NormalizerStatistics(mean: [Float](repeating: 0, count: dimension),
                                        scale: [Float](repeating: 1, count: dimension), clip: clip)
        }
        return NormalizerStatistics(mean: mean.map { Float($0) },
                                    scale: standardDeviation.map { Float(1 / $0) }, clip: clip)
    }
}

/// A frozen observation normaliser `x ↦ clamp((x − mean) · scale, −clip, clip)`, with
/// `scale = 1/σ`; stored in policy checkpoints.
public struct NormalizerStatistics: Codable, Sendable, Equatable {
    public var mean: [Float]
    public var scale: [Float]
    public var clip: Float

    public init(mean: [Float], scale: [Float], clip: Float) {
        precondition(mean.count == scale.count && clip > 0, "NormalizerStatistics: \(mean.count) means, \(scale.count) scales, clip \(clip)")
        self.mean = mean
        self.scale = scale
        self.clip = clip
    }

    /// The identity map (clipped), for a dimension.
    public static func identity(dimension: Int, clip: Float = 5) -> NormalizerStatistics {
        NormalizerStatistics(mean: [Float](repeating: 0, count: dimension), scale: [Float](repeating: 1, count: dimension), clip: clip)
    }

    public var dimension: Int { mean.count }

    /// Normalises every row of `states` in place (row-independent, elementwise).
    public func apply(to states: inout Matrix) {
        precondition(states.columns == dimension, "NormalizerStatistics: \(states.columns) columns, expected \(dimension)")
        let (d, c) = (dimension, clip)
        mean.withUnsafeBufferPointer { m in
            scale.withUnsafeBufferPointer { s in
                states.withUnsafeMutableBufferPointer { x in
                    var j = 0
                    for k in 0..<x.count {
                        x[k] = min(max((x[k] - m[j]) * s[j], -c), c)
                        j = j + 1 == d ? 0 : j + 1
                    }
                }
            }
        }
    }

    /// `states` normalised, in a new matrix.
    public func applied(to states: Matrix) -> Matrix {
        var out = states
        apply(to: &out)
        return out
    }
}
