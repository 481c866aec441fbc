import EpisodeLog
import Foundation
import Numerics
import Rollout
import Simulator

/// One run of an episode log as logged decisions: the estimators' columns (`LoggedDecisions`, without a target),
/// and the raw states and actions that a target's densities and the reward model are computed from.
///
/// Episodes are users' runs of sessions (the agents' episode, `TransitionRule`), complete ones only (see
/// `EpisodeColumns`: the same episodes as `compare`'s reward per user-day). Each complete episode spans the
/// horizon (a churned user counts the whole horizon), so its user-days are the environment's `horizonDays`.
///
/// Memory: per step three `Double` columns, plus `(state + action)` `Float`s while `states` and `actions` are held
/// (43 + 7 on `short-video`: about 230 MB for 10⁶ steps); `releaseFeatures()` drops them once every target's
/// densities and the reward model are computed.
public struct EpisodeLogDecisions: Sendable {
    /// The log's path, as given.
    public let path: String
    /// The run read.
    public let run: RunInfo
    /// The run's environment, rebuilt from the environment file it logged.
    public let config: EnvironmentConfig
    /// The run's action box (raw bounds as logged, baseline of its environment file).
    public let actionSpace: ActionSpace
    /// Rewards, discounts, episodes, user-days, and the behaviour log-densities unless the run has none.
    public var decisions: LoggedDecisions
    /// Raw states, steps × state dimension (empty after `releaseFeatures`).
    public private(set) var states: Matrix
    /// Raw logged actions, steps × action dimension (empty after `releaseFeatures`).
    public private(set) var actions: Matrix
    /// Hours from each step's decision to the next, NaN where the log has no time (empty after `releaseFeatures`):
    /// FQE's discounts by time. Each episode's steps are its transitions in order (a step's next state is the
    /// following step's state, as `TransitionRule` makes them), which `offlineDataset()` relies on.
    public private(set) var elapsedHours: [Float]
    /// Why the run has no behaviour densities (a deterministic or implicit logging policy), or nil.
    public let missingBehaviourDensities: String?
    /// Episodes left out as incomplete.
    public let incompleteEpisodes: Int
    /// The run's episode number of each complete episode (its user is `users`' user of that episode), in order.
    public let episodeIDs: [Int]
    /// The discounting the discounts were computed with (nil: every d_t = 1).
    public let discounting: Discounting?
    /// The users the run's episodes were drawn from: the first `UserPool` (all, training, held-out) whose user of
    /// each episode is the logged one; nil when none matches.
    public internal(set) var users: UserPool?

    /// Reads run `run` (nil: the log's only run) of the log at `path` through one snapshot: its transitions as columns
    /// (`EpisodeLogSnapshot.transitionColumns`, one prepared statement), then each episode's user.
    ///
    /// Refused with one line (`OffPolicyEvaluationError`): an unreadable, corrupt, foreign or newer log (naming the
    /// file), no run, several runs and none chosen, no such run, a run without a complete episode, an environment
    /// file that cannot be rebuilt, and discounting by time on a log without step times. With `episodeLimit` E only
    /// the episodes numbered below E count (the first E users' runs: logs of several policies in one world then cover
    /// the same users).
    public static func load(path: String, run requested: Int? = nil, discounting: Discounting?,
                            episodeLimit: Int? = nil) throws(OffPolicyEvaluationError) -> EpisodeLogDecisions {
        do {
            let reader = try EpisodeLogFile.open(path: path)
            defer { try? reader.close() }
            return try reader.snapshot { snapshot in
                var loaded = try load(snapshot: snapshot, path: path, requested: requested, discounting: discounting,
                                      episodeLimit: episodeLimit)
                let population = loaded.config.users.count
                var pools = [UserPool.all, .training, .heldOut]
                for (episode, user) in try snapshot.episodeUsers(run: loaded.run.id) {
                    pools.removeAll { $0.user(episode: episode, population: population) != user }
                    if pools.isEmpty { break }
                }
                loaded.users = pools.first
                return loaded
            }
        } catch let error as OffPolicyEvaluationError {
            throw error
        } catch let error as EpisodeLogError {
            throw .log(error)
        } catch {
            throw .log(EpisodeLogError(path: path, kind: .io(String(describing: error))))
        }
    }

    private static func load(snapshot: EpisodeLogSnapshot, path: String, requested: Int?,
                             discounting: Discounting?, episodeLimit: Int?) throws -> EpisodeLogDecisions {
        let runs = try snapshot.runs()
        guard !runs.isEmpty else { throw OffPolicyEvaluationError.noRuns(log: path) }
        let run: RunInfo
        if let requested {
            guard let found = runs.first(where: { $0.id == requested }) else {
                throw OffPolicyEvaluationError.noSuchRun(log: path, run: requested, available: runs.map(\.id))
            }
            run = found
        } else {
            guard runs.count == 1 else { throw OffPolicyEvaluationError.severalRuns(log: path, available: runs.map(\.id)) }
            run = runs[0]
        }
        let m = run.metadata
        let config: EnvironmentConfig
        do {
            config = try EnvironmentLoader.decode(yaml: m.environmentYAML, file: "\(path) (run \(run.id))")
        } catch {
            throw OffPolicyEvaluationError.unreadableEnvironment(log: path, run: run.id, reason: String(describing: error))
        }
        let own = ActionSpace(config: config)
        guard own.names == m.actionNames else {
            throw OffPolicyEvaluationError.unreadableEnvironment(
                log: path, run: run.id, reason: "its environment file has action dimensions \(own.names), the run logged \(m.actionNames)")
        }
        let actionSpace = ActionSpace(names: m.actionNames, low: m.actionLow, high: m.actionHigh, baseline: own.baseline)
        if discounting?.needsElapsedTime == true, try snapshot.stepCount(run: run.id, untimed: true) > 0 {
            throw OffPolicyEvaluationError.untimed(log: path, run: run.id, schemaVersion: snapshot.schemaVersion)
        }
        let (ds, da) = (m.stateNames.count, m.actionNames.count)
        var transitions = try snapshot.transitionColumns(run: run.id, stateDimension: ds, actionDimension: da,
                                                         expectedSteps: try snapshot.stepCount(run: run.id))
        var columns = EpisodeColumns(discounting: discounting, expectedSteps: transitions.count)
        // The columns are in (episode, session, request) order, so the episodes below the limit are a prefix.
        let rows = episodeLimit.map { limit in transitions.episodes.firstIndex { $0 >= limit } ?? transitions.count }
            ?? transitions.count
        for r in 0..<rows { columns.add(transitions, row: r) }
        columns.finish()
        if columns.untimedStep { throw OffPolicyEvaluationError.untimed(log: path, run: run.id, schemaVersion: snapshot.schemaVersion) }
        guard columns.episodes > 0 else {
            throw OffPolicyEvaluationError.noCompleteEpisodes(log: path, run: run.id, incomplete: columns.incompleteEpisodes)
        }
        var missing: String? = nil
        if let group = columns.groupWithoutDensity {
            missing = "run \(run.id) was logged by \(m.policySpec), whose steps (exploration group \(group.name)) have no "
                + "behaviour density"
        }
        let decisions = try LoggedDecisions(
            rewards: columns.rewards, discounts: columns.discounts, episodeOffsets: columns.offsets,
            behaviourLogDensities: missing == nil ? columns.behaviourLogDensities : nil,
            userDays: [Double](repeating: config.episode.horizonDays, count: columns.episodes))
        let n = columns.rewards.count
        let states = keep(columns.keptRows, of: &transitions.states, width: ds)
        let actions = keep(columns.keptRows, of: &transitions.actions, width: da)
        let elapsedHours = columns.keptRows.flatMap { range in
            range.map { r in
                let minutes = transitions.elapsedMinutes[r]
                return minutes.isNaN ? Float.nan : Discounting.hours(minutes: minutes)
            }
        }
        return EpisodeLogDecisions(
            path: path, run: run, config: config, actionSpace: actionSpace, decisions: decisions,
            states: Matrix(rows: n, columns: ds, elements: states),
            actions: Matrix(rows: n, columns: da, elements: actions), elapsedHours: elapsedHours,
            missingBehaviourDensities: missing, incompleteEpisodes: columns.incompleteEpisodes,
            episodeIDs: columns.episodeIDs, discounting: discounting, users: nil)
    }

    /// The rows `kept` of a row-major `values` of `width` columns, moved to the front in place (the array is taken,
    /// not copied: most runs keep all rows but the last episode's).
    private static func keep(_ kept: [Range<Int>], of values: inout [Float], width: Int) -> [Float] {
        var out = values
        values = []
        var written = 0
        out.withUnsafeMutableBufferPointer { buffer in
            for range in kept {
                let (from, count) = (range.lowerBound * width, range.count * width)
                if from != written {
                    (buffer.baseAddress! + written).update(from: buffer.baseAddress! + from, count: count)
                }
                written += count
            }
        }
        out.removeLast(out.count - written)
        return out
    }

    /// Drops the raw states and actions (their memory) once nothing needs them.
    public mutating func releaseFeatures() {
        states = Matrix(rows: 0, columns: states.columns)
        actions = Matrix(rows: 0, columns: actions.columns)
        elapsedHours = []
    }

    /// The world the run was simulated in (its environment file as logged, its seed; `Replay.world(of:path:)`).
    public func world() throws(OffPolicyEvaluationError) -> World {
        do {
            return try Replay.world(of: run, path: path)
        } catch {
            throw .unreadableEnvironment(log: path, run: run.id, reason: String(describing: error))
        }
    }
}
