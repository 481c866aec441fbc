import EpisodeLog

/// Why an evaluation of targets on an episode log was refused: the log, the run, a target policy, the settings or an
/// estimator. Each `description` is one line naming what is wrong (the file, the run, the policy).
public enum OffPolicyEvaluationError: Error, Sendable, CustomStringConvertible {
    /// The log could not be opened or read (missing, corrupt, foreign, newer); names the file.
    case log(EpisodeLogError)
    /// The log holds no run.
    case noRuns(log: String)
    /// The log holds several runs and none was chosen.
    case severalRuns(log: String, available: [Int])
    /// The chosen run is not in the log.
    case noSuchRun(log: String, run: Int, available: [Int])
    /// The run has no complete episode (ended by churn or at the horizon).
    case noCompleteEpisodes(log: String, run: Int, incomplete: Int)
    /// Discounting by time needs each step's minutes, which the log did not record.
    case untimed(log: String, run: Int, schemaVersion: Int)
    /// The run's environment file could not be rebuilt.
    case unreadableEnvironment(log: String, run: Int, reason: String)
    /// A target policy could not be resolved in the logged world (unknown spec, unreadable checkpoint, another
    /// environment's state layout or action box).
    case target(spec: String, reason: String)
    /// An estimator name that is not in the catalog.
    case unknownEstimator(String, known: [String])
    /// An estimator asked for by name that cannot estimate on this log or target.
    case estimatorRefused(estimator: String, policy: String, reason: String)
    /// A setting out of range.
    case invalidSetting(String)
    /// The run's steps cannot be made into the value model's (FQE's) transitions, or the model refused them.
    case valueModel(log: String, run: Int, reason: String)

    public var description: String {
        switch self {
        case .log(let error):
            return error.description
        case .noRuns(let log):
            return "episode log \(log): it holds no run"
        case .severalRuns(let log, let available):
            return "episode log \(log) holds runs \(available.map(String.init).joined(separator: ", ")); choose one with --run"
        case .noSuchRun(let log, let run, let available):
            return "episode log \(log) has no run \(run); it has runs \(available.map(String.init).joined(separator: ", "))"
        case .noCompleteEpisodes(let log, let run, let incomplete):
            return "episode log \(log), run \(run): no complete episode (ended by churn or at the horizon) among its \(incomplete) episode(s)"
        case .untimed(let log, let run, let version):
            return "episode log \(log), run \(run): discounting by time needs each step's minutes, which schema \(version) did not record; discount per request (--discount) instead"
        case .unreadableEnvironment(let log, let run, let reason):
            return "episode log \(log), run \(run): its environment cannot be rebuilt: \(reason)"
        case .target(let spec, let reason):
            return "target policy \(spec): \(reason)"
        case .unknownEstimator(let name, let known):
            return "unknown estimator \"\(name)\"; known: \(known.joined(separator: ", "))"
        case .estimatorRefused(let estimator, let policy, let reason):
            return "\(estimator) on \(policy): \(reason)"
        case .invalidSetting(let why):
            return why
        case .valueModel(let log, let run, let reason):
            return "episode log \(log), run \(run): FQE: \(reason)"
        }
    }
}

extension OffPolicyEvaluationError {
    /// Why `error` stopped one estimator: a refusal's own reason, or the error's description. With `explicit` (the
    /// estimator was named by the user) the refusal is thrown; otherwise it is returned to be reported beside the
    /// other estimates.
    static func refusal(of error: any Error, estimator: String, policy: String, explicit: Bool) throws(OffPolicyEvaluationError) -> String {
        let reason: String
        switch error {
        case OffPolicyEvaluationError.estimatorRefused(_, _, let why): reason = why
        default: reason = "\(error)"
        }
        if explicit { throw .estimatorRefused(estimator: estimator, policy: policy, reason: reason) }
        return reason
    }
}
