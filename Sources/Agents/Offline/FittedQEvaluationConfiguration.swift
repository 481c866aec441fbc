import EpisodeLog

/// The settings of `FittedQEvaluation`, decodable from JSON or YAML with every field optional (a missing field keeps
/// its default, an unknown one is an error).
///
/// Defaults: the learners' critic (two hidden layers of 256 ReLU units, Adam, batches of 256, states normalised by the
/// data's statistics and clipped to ±5 standard deviations, Polyak τ = 0.005 on the target critic), the fusion MDP's
/// γ = 0.95 per request (docs/design.md, "Discounting"), and BatchRL-MTF's learning rate 10⁻⁴ for its evaluator's Q
/// network (Zhang et al. 2022, Appendix A). `conservativeAlpha` = 0 is plain FQE; `batchRLMTF` is the
/// Conservative-OPEstimator's own settings.
public struct FittedQEvaluationConfiguration: Codable, Sendable, Equatable {
    /// How the target critic `Q̄` of the TD targets follows the fitted one.
    public enum TargetUpdate: Codable, Sendable, Equatable {
        /// Polyak averaging after every step, `θ̄ ← τθ + (1 − τ)θ̄` (Lillicrap et al. 2016).
        case soft(rate: Float)
        /// `θ̄ ← θ` every `interval` steps: each interval is one iteration of Le et al.'s Algorithm 3 (the regression
        /// onto the targets of the previous iterate), solved by `interval` gradient steps.
        case hard(interval: Int)
    }

    /// Hidden layer widths of the critic.
    public var hiddenSizes: [Int] = [256, 256]
    public var learningRate: Float = 1e-4
    public var batchSize: Int = 256
    /// Gradient steps of `fit()`.
    public var steps: Int = 20_000
    public var targetUpdate: TargetUpdate = .soft(rate: 0.005)
    /// K: actions drawn from a stochastic target per state to estimate `E_{a∼π}[Q(s, a)]`, afresh at every step for
    /// the TD targets (ignored for a deterministic target, whose action is used).
    public var actionSamples: Int = 10
    /// γ per request. γ = 1 without discounting by time is the undiscounted return of finite episodes, accepted
    /// only on a dataset whose every episode ends in a terminal transition (`FittedQEvaluation.init`).
    public var discount: Float = 0.95
    /// When positive, also discount by time, `γ_i = γ·2^(−Δt_i/H)` (`Discounting`); then γ may be 1.
    public var discountHalfLifeHours: Float = 0
    /// Normalise states by the dataset's mean and standard deviation, clipped to ±`observationClip`.
    public var normalizeObservations: Bool = true
    public var observationClip: Float = 5
    /// α of the CQL regulariser of BatchRL-MTF's Conservative-OPEstimator (`FittedQEvaluation`'s documentation); 0 is
    /// plain FQE.
    public var conservativeAlpha: Float = 0
    /// `fit()` records a point of its learning curve every this many steps (and after the last).
    public var curveInterval: Int = 1_000

    public init() {}

    /// BatchRL-MTF's Conservative-OPEstimator as its Appendix A sets it (Zhang et al. 2022): learning rate 10⁻⁴,
    /// training batches of 512, γ = 0.95, α = 0.5·10⁻³ and K = 5,000 training iterations, here 5,000 gradient steps.
    /// The paper gives neither its hidden sizes nor how its iterate `Q_k` is held fixed for the targets; the defaults
    /// (256 × 256, soft τ = 0.005) stand in.
    public static var batchRLMTF: FittedQEvaluationConfiguration {
        var c = FittedQEvaluationConfiguration()
        c.learningRate = 1e-4
        c.batchSize = 512
        c.discount = 0.95
        c.conservativeAlpha = 0.5e-3
        c.steps = 5_000
        return c
    }

    /// The discounting these settings describe.
    public var discounting: Discounting {
        Discounting(perDecision: discount, halfLifeHours: discountHalfLifeHours > 0 ? discountHalfLifeHours : nil)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case hiddenSizes, learningRate, batchSize, steps, targetUpdate, actionSamples, discount, discountHalfLifeHours
        case normalizeObservations, observationClip, conservativeAlpha, curveInterval
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        hiddenSizes = try value(.hiddenSizes, hiddenSizes)
        learningRate = try value(.learningRate, learningRate)
        batchSize = try value(.batchSize, batchSize)
        steps = try value(.steps, steps)
        targetUpdate = try value(.targetUpdate, targetUpdate)
        actionSamples = try value(.actionSamples, actionSamples)
        discount = try value(.discount, discount)
        discountHalfLifeHours = try value(.discountHalfLifeHours, discountHalfLifeHours)
        normalizeObservations = try value(.normalizeObservations, normalizeObservations)
        observationClip = try value(.observationClip, observationClip)
        conservativeAlpha = try value(.conservativeAlpha, conservativeAlpha)
        curveInterval = try value(.curveInterval, curveInterval)
    }

    /// Throws naming the first field out of range.
    public func validate() throws(AgentConfigurationError) {
        func check(_ ok: Bool, _ field: CodingKeys, _ message: String) throws(AgentConfigurationError) {
            if !ok { throw AgentConfigurationError(field: field.rawValue, message: message) }
        }
        try check(!hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 }, .hiddenSizes,
                  "expected one or more positive widths, got \(hiddenSizes)")
        try check(learningRate > 0 && learningRate.isFinite, .learningRate, "must be positive, got \(learningRate)")
        try check(batchSize > 0, .batchSize, "must be positive, got \(batchSize)")
        try check(steps >= 0, .steps, "must be non-negative, got \(steps)")
        switch targetUpdate {
        case .soft(let rate):
            try check(rate > 0 && rate <= 1, .targetUpdate, "the soft rate τ must be in (0, 1], got \(rate)")
        case .hard(let interval):
            try check(interval > 0, .targetUpdate, "the hard interval must be positive, got \(interval)")
        }
        try check(actionSamples > 0, .actionSamples, "must be positive, got \(actionSamples)")
        try check(discountHalfLifeHours >= 0 && discountHalfLifeHours.isFinite, .discountHalfLifeHours,
                  "must be non-negative (0: discount per request only), got \(discountHalfLifeHours)")
        if discountHalfLifeHours > 0 {
            try check(discount > 0 && discount <= 1, .discount, "must be in (0, 1] when discounting by time, got \(discount)")
        } else {
            try check(discount >= 0 && discount <= 1, .discount, "must be in [0, 1], got \(discount)")
        }
        try check(observationClip > 0, .observationClip, "must be positive, got \(observationClip)")
        try check(conservativeAlpha >= 0 && conservativeAlpha.isFinite, .conservativeAlpha,
                  "must be non-negative (0: plain FQE), got \(conservativeAlpha)")
        try check(curveInterval > 0, .curveInterval, "must be positive, got \(curveInterval)")
    }
}
