/// A logged step named for messages: its index among all steps, its episode, and its position in that episode.
public struct StepLocation: Sendable, Equatable, CustomStringConvertible {
    /// Index among all logged steps.
    public var step: Int
    /// Index of the step's episode.
    public var episode: Int
    /// Position of the step in its episode (0 = the episode's first decision).
    public var position: Int

    public init(step: Int, episode: Int, position: Int) {
        self.step = step
        self.episode = episode
        self.position = position
    }

    public var description: String { "step \(step) (episode \(episode), decision \(position))" }
}

/// Why an estimate was refused. Each case's `description` is one line that says what is wrong and where.
public enum EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Columns of `LoggedDecisions` that do not fit together (lengths, offsets, non-finite values).
    case malformedData(String)
    /// A behaviour log-density that is −∞ (the logged action was impossible under the behaviour policy), +∞ or NaN.
    case invalidBehaviourDensity(StepLocation, Double)
    /// A target log-density (or a precomputed log-weight) that is NaN or +∞.
    case invalidTargetDensity(StepLocation, Double)
    /// An importance weight beyond the largest `Double`: the estimate would be infinite.
    case weightOverflow(StepLocation, logWeight: Double)
    /// The estimator weights by π_e/π_b, and the data has no behaviour densities or no target densities.
    case missingImportanceWeights(estimator: String)
    /// The estimator needs reward-model values q̂ and v̂, and the data has none.
    case missingRewardModel(estimator: String)
    /// Reward per user-day needs each episode's user-days, and the data has none.
    case missingUserDays
    /// The estimator does not estimate this quantity.
    case unsupportedEstimand(estimator: String, estimand: Estimand, supported: [Estimand])
    /// No logged step has a positive target density, so a self-normalised estimate is 0/0.
    case noTargetSupport(estimator: String)
    /// A parameter out of its range (λ, bandwidth, level, resamples, bounds).
    case invalidParameter(String)

    public var description: String {
        switch self {
        case .malformedData(let why):
            return "logged decisions: \(why)"
        case .invalidBehaviourDensity(let at, let value):
            return "\(at): behaviour log-density \(value); a logged action must have a finite behaviour density"
        case .invalidTargetDensity(let at, let value):
            return "\(at): target log-density (or log-weight) \(value); it must be finite or −∞"
        case .weightOverflow(let at, let logWeight):
            return "\(at): importance weight exp(\(logWeight)) exceeds the largest Double"
        case .missingImportanceWeights(let estimator):
            return "\(estimator) weights by π_e/π_b, but the data has no behaviour or no target densities"
        case .missingRewardModel(let estimator):
            return "\(estimator) needs reward-model values q̂(s, a) and v̂(s), but the data has none"
        case .missingUserDays:
            return "reward per user-day needs each episode's user-days, but the data has none"
        case .unsupportedEstimand(let estimator, let estimand, let supported):
            return "\(estimator) does not estimate \(estimand.rawValue); it estimates "
                + supported.map(\.rawValue).joined(separator: ", ")
        case .noTargetSupport(let estimator):
            return "\(estimator): no logged step has a positive target density, so the self-normalised estimate is 0/0"
        case .invalidParameter(let why):
            return why
        }
    }
}
