import Numerics

/// Confidence intervals for an estimate, with episodes (users) as the independent units: steps within an episode
/// share a user and a trajectory weight, so resampling or averaging steps would understate the uncertainty.
extension EpisodeStatistic {
    /// The Student-t interval on the per-episode terms: V̂ ± t_{(1+level)/2, m−1} s_y/√m, with s_y the terms'
    /// standard deviation (for ratio estimators, the delta-method interval).
    public func tInterval(level: Double = 0.95) -> ConfidenceInterval {
        Numerics.tInterval(values: episodeTerms, level: level)
    }

    /// The percentile bootstrap over episodes (Efron & Tibshirani 1993, §13.3): `resamples` times, draw m episodes
    /// with replacement (as multiplicities), re-evaluate the estimator, and take the (1 ∓ level)/2 type-7 quantiles
    /// of the replicates. Randomness comes only from `seed` (a `RandomStream`), so equal seeds give equal intervals.
    /// Replicates in which the estimate is undefined (a self-normalised estimator's weights summing to 0) are left
    /// out; `undefinedResamples` counts them.
    public func bootstrapInterval(level: Double = 0.95, resamples: Int = 1000, seed: UInt64) throws -> BootstrapInterval {
        guard level > 0 && level < 1 else { throw EvaluationError.invalidParameter("bootstrap: level must lie in (0, 1), got \(level)") }
        guard resamples > 0 else { throw EvaluationError.invalidParameter("bootstrap: resamples must be positive, got \(resamples)") }
        var stream = RandomStream(seed: seed, keys: streamKey("episode bootstrap"))
        let m = episodes
        var multiplicities = [Double](repeating: 0, count: m)
        var replicates = [Double]()
        replicates.reserveCapacity(resamples)
        for _ in 0..<resamples {
            for i in 0..<m { multiplicities[i] = 0 }
            for _ in 0..<m { multiplicities[stream.nextIndex(below: m)] += 1 }
            let replicate = value(multiplicities: multiplicities)
            if replicate.isFinite { replicates.append(replicate) }
        }
        let undefined = resamples - replicates.count
        guard !replicates.isEmpty else {
            return BootstrapInterval(interval: ConfidenceInterval(lower: .nan, upper: .nan, estimate: value, level: level),
                                     resamples: resamples, undefinedResamples: undefined)
        }
        let bounds = quantiles(replicates, [(1 - level) / 2, (1 + level) / 2])
        return BootstrapInterval(interval: ConfidenceInterval(lower: bounds[0], upper: bounds[1], estimate: value, level: level),
                                 resamples: resamples, undefinedResamples: undefined)
    }

    /// The empirical Bernstein interval on the per-episode terms (Maurer & Pontil 2009, Theorem 4; in the clipped form
    /// of Thomas, Theocharous & Ghavamzadeh 2015, "High confidence off-policy evaluation", AAAI, Theorem 1).
    ///
    /// Assumption: every term lies in the known range [a, b] = `termRange` (e.g. a = 0 and b = the largest weight
    /// times the largest return, for nonnegative rewards and clipped weights). Each side has probability
    /// δ = (1 − level)/2 of failing, with Y the terms clipped to the range on the other side:
    ///
    ///     lower = mean(min(y, b)) − 7(b − a) ln(2/δ) / (3(m − 1)) − √(2 ln(2/δ) s²/m)
    ///     upper = mean(max(y, a)) + 7(b − a) ln(2/δ) / (3(m − 1)) + √(2 ln(2/δ) s²/m)
    ///
    /// (s² the clipped terms' sample variance). Clipping at b only lowers the terms, so the lower bound stays valid
    /// for terms above b (Thomas et al.'s point: heavy-tailed IS terms can be clipped); the upper bound is then not
    /// valid and is +∞, and symmetrically the lower bound is −∞ when a term lies below a. Valid for any m ≥ 2 without
    /// normality, hence wider than the t-interval. For ratio estimators the terms are linearised and only
    /// approximately independent.
    public func empiricalBernsteinInterval(level: Double = 0.95, termRange: ClosedRange<Double>) throws -> ConfidenceInterval {
        guard level > 0 && level < 1 else { throw EvaluationError.invalidParameter("empirical Bernstein: level must lie in (0, 1), got \(level)") }
        guard termRange.lowerBound.isFinite && termRange.upperBound.isFinite && termRange.upperBound > termRange.lowerBound else {
            throw EvaluationError.invalidParameter("empirical Bernstein: the term range must be finite and nonempty, got \(termRange)")
        }
        let terms = episodeTerms, m = Double(terms.count)
        guard terms.count >= 2 else {
            return ConfidenceInterval(lower: -.infinity, upper: .infinity, estimate: value, level: level)
        }
        let (a, b) = (termRange.lowerBound, termRange.upperBound)
        let logTerm = Elementary.log(2 / ((1 - level) / 2))
        let rangeTerm = 7 * (b - a) * logTerm / (3 * (m - 1))
        func deviation(_ values: [Double]) -> (mean: Double, spread: Double) {
            let statistics = RunningStatistics(values)
            return (statistics.mean, (2 * logTerm * statistics.variance / m).squareRoot())
        }
        var lower = -Double.infinity, upper = Double.infinity
        if terms.allSatisfy({ $0 >= a }) {
            let (mean, spread) = deviation(terms.map { min($0, b) })
            lower = mean - rangeTerm - spread
        }
        if terms.allSatisfy({ $0 <= b }) {
            let (mean, spread) = deviation(terms.map { max($0, a) })
            upper = mean + rangeTerm + spread
        }
        return ConfidenceInterval(lower: lower, upper: upper, estimate: value, level: level)
    }
}

/// A percentile-bootstrap interval with the count of replicates it left out.
public struct BootstrapInterval: Sendable, Equatable {
    public var interval: ConfidenceInterval
    /// Resamples drawn.
    public var resamples: Int
    /// Resamples whose estimate was undefined and left out of the quantiles.
    public var undefinedResamples: Int
}

extension Estimate {
    /// `EpisodeStatistic.tInterval` of this estimate.
    public func tInterval(level: Double = 0.95) -> ConfidenceInterval { statistic.tInterval(level: level) }

    /// `EpisodeStatistic.bootstrapInterval` of this estimate.
    public func bootstrapInterval(level: Double = 0.95, resamples: Int = 1000, seed: UInt64) throws -> BootstrapInterval {
        try statistic.bootstrapInterval(level: level, resamples: resamples, seed: seed)
    }

    /// `EpisodeStatistic.empiricalBernsteinInterval` of this estimate.
    public func empiricalBernsteinInterval(level: Double = 0.95, termRange: ClosedRange<Double>) throws -> ConfidenceInterval {
        try statistic.empiricalBernsteinInterval(level: level, termRange: termRange)
    }
}
