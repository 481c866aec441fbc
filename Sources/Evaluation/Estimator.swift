/// An off-policy estimator: a small value type (its parameters, e.g. λ) that turns logged decisions and a target
/// policy's weights or reward model into an estimate of one `Estimand`.
///
/// An estimator reduces the steps once to an `EpisodeStatistic`, a function of how many times each episode counts,
/// so that the bootstrap re-evaluates it on resampled episodes without reading the steps again, and the t and
/// empirical Bernstein intervals use its per-episode terms.
public protocol Estimator: Sendable {
    /// A short name for tables and messages ("IPS", "SNIPS", "DR", …).
    var name: String { get }
    /// The estimands it estimates; any other is refused.
    var supportedEstimands: [Estimand] { get }
    /// Which importance weights its diagnostics describe, or nil when it does not weight.
    var weightScope: WeightScope? { get }
    /// The estimate as a function of episode multiplicities, after checking that the data has what it needs.
    func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic
}

/// The weights an estimator's diagnostics are computed on.
public enum WeightScope: String, Sendable, Codable {
    /// One weight per logged step, w_t (per-request estimators).
    case perStep
    /// One weight per episode, the product of its steps' weights ρ_{0:T−1} (sequential estimators).
    case trajectory
}

/// An estimate as a function of how many times each episode counts.
///
/// With multiplicities c_i (1 for every episode on the data itself, multinomial counts in a bootstrap resample),
/// `value(multiplicities:)` is the estimator on the data in which episode i appears c_i times. `episodeTerms` are
/// y_i whose mean is `value` and whose sample variance divided by the episode count estimates the estimate's
/// variance: the episodes' own contributions for estimators that are means over episodes (trajectory IS, PDIS, DR),
/// and the linearisation (empirical influence function, delta method) y_i = V̂ + m ∂V̂/∂c_i for ratios and
/// self-normalised estimators, which are degree-0 homogeneous in c, so the terms' mean is exactly V̂.
public protocol EpisodeStatistic: Sendable {
    /// Number of episodes m.
    var episodes: Int { get }
    /// The estimate on the data (every c_i = 1).
    var value: Double { get }
    /// y_i per episode, with mean `value`.
    var episodeTerms: [Double] { get }
    /// The estimate with episode i counted `multiplicities[i]` times; NaN when undefined (a resample in which a
    /// self-normalised estimator's weights sum to 0).
    func value(multiplicities: [Double]) -> Double
}

extension Estimator {
    /// Refuses an estimand the estimator does not support.
    func check(_ estimand: Estimand) throws {
        guard supportedEstimands.contains(estimand) else {
            throw EvaluationError.unsupportedEstimand(estimator: name, estimand: estimand, supported: supportedEstimands)
        }
    }

    /// The estimate of `estimand` on `input`, with its per-episode terms and, when the estimator weights, the
    /// diagnostics of its weights.
    public func estimate(_ input: EvaluationInput, estimand: Estimand) throws -> Estimate {
        try check(estimand)
        let statistic = try statistic(input, estimand: estimand)
        return Estimate(estimator: name, estimand: estimand, statistic: statistic,
                        diagnostics: weightScope.flatMap { input.diagnostics($0) })
    }
}

/// One estimator's estimate of one estimand, with what its intervals need.
public struct Estimate: Sendable {
    public var estimator: String
    public var estimand: Estimand
    /// The statistic the estimate came from (for the bootstrap).
    public var statistic: any EpisodeStatistic
    /// Diagnostics of the weights (nil for estimators that do not weight).
    public var diagnostics: WeightDiagnostics?

    public init(estimator: String, estimand: Estimand, statistic: any EpisodeStatistic, diagnostics: WeightDiagnostics?) {
        self.estimator = estimator
        self.estimand = estimand
        self.statistic = statistic
        self.diagnostics = diagnostics
    }

    /// The point estimate.
    public var value: Double { statistic.value }
    /// The per-episode terms (mean = `value`).
    public var episodeTerms: [Double] { statistic.episodeTerms }
}
