import Numerics

/// How much of the data importance weights really use: Kish's effective sample size, the largest weight and the
/// weights' quantiles, with a warning when few samples carry the estimate.
///
/// ESS = (Σ w)² / Σ w² (Kish 1965; the importance-sampling diagnostic of Owen 2013, "Monte Carlo theory, methods
/// and examples", ch. 9): n when every weight is equal, 1 when one weight dominates. Computed from log-weights with
/// the largest subtracted, so trajectory weights beyond the `Double` range still give it. For per-request estimators
/// the weights are the steps' w_t; for sequential ones the episodes' trajectory weights ρ_{0:T−1}.
public struct WeightDiagnostics: Sendable, Equatable, Codable {
    /// ESS/n below this is warned about.
    public static let warningFraction = 0.05
    /// The quantile levels of `weightQuantiles`.
    public static let quantileLevels = [0.5, 0.9, 0.99, 1.0]

    /// Number of weights n.
    public var count: Int
    /// (Σ w)² / Σ w²; 0 when every weight is 0.
    public var effectiveSampleSize: Double
    /// ESS / n.
    public var effectiveSampleFraction: Double
    /// The largest weight (may be +∞ for trajectory weights beyond the `Double` range; see `largestLogWeight`).
    public var largestWeight: Double
    /// log of the largest weight.
    public var largestLogWeight: Double
    /// The largest weight's share of the weights' sum, max w / Σ w.
    public var largestWeightShare: Double
    /// Weights at the levels `quantileLevels` (50%, 90%, 99%, max): type-7 quantiles of the log-weights,
    /// exponentiated (the order statistics are the weights'; interpolation between them is geometric).
    public var weightQuantiles: [Double]
    /// The warning when ESS/n < `warningFraction` (or no weight is positive), nil otherwise.
    public var warning: String?

    public init(logWeights: [Double]) {
        precondition(!logWeights.isEmpty, "WeightDiagnostics: no weights")
        precondition(!logWeights.contains { $0.isNaN }, "WeightDiagnostics: NaN log-weight")
        let n = logWeights.count
        let largest = logWeights.max()!
        count = n
        largestLogWeight = largest
        largestWeight = Elementary.exp(largest)
        weightQuantiles = quantiles(logWeights, Self.quantileLevels).map { Elementary.exp($0) }
        guard largest > -.infinity else {
            effectiveSampleSize = 0
            effectiveSampleFraction = 0
            largestWeightShare = .nan
            warning = "every importance weight is 0: the target never takes a logged action"
            return
        }
        var sum = 0.0, sumOfSquares = 0.0
        for l in logWeights {
            let w = Elementary.exp(l - largest)
            sum += w
            sumOfSquares += w * w
        }
        effectiveSampleSize = sum * sum / sumOfSquares
        effectiveSampleFraction = effectiveSampleSize / Double(n)
        largestWeightShare = 1 / sum
        let percent = (effectiveSampleFraction * 1000).rounded() / 10
        warning = effectiveSampleFraction < Self.warningFraction
            ? "effective sample size \(Int(effectiveSampleSize.rounded())) of \(n) (\(percent)%) is below 5%: the estimate rests on a few samples"
            : nil
    }
}
