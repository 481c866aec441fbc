import EpisodeLog

/// Why an offline dataset could not be built from episode logs; `description` is one line that names the file(s),
/// the run(s) and both values that disagree. Nothing is written when a load is refused.
public enum OfflineDatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One run of one log.
    public struct RunReference: Sendable, Equatable, CustomStringConvertible {
        public var log: String
        public var run: Int

        public init(log: String, run: Int) {
            self.log = log
            self.run = run
        }

        public var description: String { "\(log) run \(run)" }
    }

    /// The log cannot be read: missing, not an episode log, corrupt, newer schema (`EpisodeLogFile.open`'s refusals).
    case log(EpisodeLogError)
    /// No log was given.
    case noLogs
    /// A log, or a run id, is given twice (its transitions would count twice).
    case duplicate(String)
    /// A log holds no run.
    case noRuns(log: String)
    /// A requested run id is not in a log (`available`: the ids it has).
    case noSuchRun(log: String, run: Int, available: [Int])
    /// A run without one transition to learn from (`sessions` committed sessions).
    case emptyRun(RunReference, sessions: Int)
    /// Two runs of different environments: `what` says how they differ (names, or the first differing line of
    /// their environment files).
    case differentEnvironments(RunReference, RunReference, what: String)
    /// Two runs whose states have different features.
    case differentStateLayouts(RunReference, RunReference, what: String)
    /// Two runs with different action boxes (names or bounds).
    case differentActionBoxes(RunReference, RunReference, what: String)
    /// The environment the learner asked for does not describe a run's states or actions.
    case learnerEnvironment(RunReference, what: String)
    /// Discounting by time needs every step's elapsed time, and this run lacks some.
    case untimed(RunReference, schemaVersion: Int, untimedSteps: Int, steps: Int)
    /// The run's environment file cannot be read back (to rebuild its world or its action box's baseline).
    case unreadableEnvironment(RunReference, reason: String)

    public var description: String {
        switch self {
        case .log(let error):
            return error.description
        case .duplicate(let what):
            return "offline dataset: \(what) is given twice; each log and run is read once"
        case .noLogs:
            return "offline dataset: no episode log given (pass one or more --log)"
        case .noRuns(let log):
            return "offline dataset: episode log \(log) holds no run"
        case .noSuchRun(let log, let run, let available):
            return "offline dataset: episode log \(log) has no run \(run) (its runs: \(available.map(String.init).joined(separator: ", ")))"
        case .emptyRun(let run, let sessions):
            return "offline dataset: \(run) has no transition to learn from (\(sessions) committed sessions)"
        case .differentEnvironments(let a, let b, let what):
            return "offline dataset: runs of different environments: \(a) and \(b): \(what)"
        case .differentStateLayouts(let a, let b, let what):
            return "offline dataset: runs with different state layouts: \(a) and \(b): \(what)"
        case .differentActionBoxes(let a, let b, let what):
            return "offline dataset: runs with different action boxes: \(a) and \(b): \(what)"
        case .learnerEnvironment(let run, let what):
            return "offline dataset: the learner's environment does not fit \(run): \(what)"
        case .untimed(let run, let schemaVersion, let untimed, let steps):
            return "offline dataset: \(run) has no elapsed time for \(untimed) of its \(steps) steps (schema version "
                + "\(schemaVersion)), and discounting by time needs them; discount per request (no half-life), or "
                + "upgrade the log with its world model (`EpisodeLogFile.openForWriting` with `LegacyStepTiming`)"
        case .unreadableEnvironment(let run, let reason):
            return "offline dataset: cannot read the environment of \(run): \(reason)"
        }
    }
}
