import EpisodeLog
import Foundation
import Rollout
import Simulator

extension OfflineDataset {
    /// Loading progress: transitions stored so far, of `total`.
    public typealias LoadProgress = (_ loaded: Int, _ total: Int) -> Void

    /// The dataset of one or more runs of one or more episode logs: every transition with an outcome
    /// (`LoggedTransition.hasOutcome`, by `TransitionRule`, the rule online training applies), in log order, then run
    /// order, then step order.
    ///
    /// Each log is read through one snapshot (`EpisodeLogSnapshot`): its transitions are first counted in SQL, so the
    /// buffer is allocated once at its exact size, `count × (2·state + action + 3)` floats, then streamed `batchSize`
    /// steps at a time (impressions and candidates are never read). A log still being written gives the sessions
    /// committed when the load began; an episode's last committed step whose user returned has no successor yet and
    /// is left out.
    ///
    /// Refused with one line (`OfflineDatasetError`), before anything is allocated: an unreadable, corrupt, foreign or
    /// newer log; a log without runs or without a requested run; a run without transitions; runs of different
    /// environments (name or environment file), state layouts or action boxes; an `environment` whose state or action
    /// names differ from the runs'; and, when `discounting` discounts by time, a run with unknown step times (logs
    /// before schema 3 read as they are).
    ///
    /// - Parameters:
    ///   - logs: episode log paths, in load order.
    ///   - runs: run ids to take from every log (`--run`); `nil` takes every run of each log.
    ///   - environment: the learner's state layout and action box, into which actions are normalised (a restricted
    ///     residual box clamps the logged actions to its bounds); `nil` takes the runs' own box, with the baseline of
    ///     their environment file.
    ///   - discounting: the learner's discounting, checked against the logged times; `nil` checks nothing.
    public static func load(logs: [String], runs: [Int]? = nil, environment: AgentEnvironment? = nil,
                            discounting: Discounting? = nil, batchSize: Int = 4096,
                            progress: LoadProgress? = nil) throws(OfflineDatasetError) -> OfflineDataset {
        guard !logs.isEmpty else { throw .noLogs }
        var seen = Set<String>()
        for log in logs where !seen.insert(URL(fileURLWithPath: log).standardizedFileURL.resolvingSymlinksInPath().path).inserted {
            throw .duplicate("episode log \(log)")
        }
        if let runs, let run = runs.enumerated().first(where: { runs[..<$0.offset].contains($0.element) })?.element {
            throw .duplicate("run \(run)")
        }
        var readers: [EpisodeLogReader] = []
        defer { for reader in readers { try? reader.close() } }
        do {
            for log in logs { readers.append(try EpisodeLogFile.open(path: log)) }
            return try withSnapshots(readers[...], []) { snapshots in
                try load(snapshots: snapshots, runs: runs, environment: environment, discounting: discounting,
                         batchSize: batchSize, progress: progress)
            }
        } catch let error as OfflineDatasetError {
            throw error
        } catch let error as EpisodeLogError {
            throw .log(error)
        } catch {
            // Opening names its file; past that, the snapshot read that failed could be any of them.
            let path = readers.count < logs.count ? logs[readers.count] : logs.joined(separator: ", ")
            throw .log(EpisodeLogError(path: path, kind: .io(String(describing: error))))
        }
    }

    /// The world the dataset's first run was simulated in (its environment file as logged, its seed;
    /// `Replay.world(of:path:)`), with that environment file's text: what evaluation on held-out users rebuilds.
    public func world() throws(OfflineDatasetError) -> (world: World, environmentText: String) {
        guard let source = sources.first else { throw .noLogs }
        let reference = OfflineDatasetError.RunReference(log: source.log, run: source.run)
        let run: RunInfo
        do {
            let reader = try EpisodeLogFile.open(path: source.log)
            defer { try? reader.close() }
            run = try reader.run(source.run)
        } catch let error as EpisodeLogError {
            throw .log(error)
        } catch {
            throw .log(EpisodeLogError(path: source.log, kind: .io(String(describing: error))))
        }
        do {
            return (try Replay.world(of: run, path: source.log), run.metadata.environmentYAML)
        } catch {
            throw .unreadableEnvironment(reference, reason: String(describing: error))
        }
    }

    // MARK: Loading

    /// One run to load, with what its snapshot holds.
    private struct PlannedRun {
        var reference: OfflineDatasetError.RunReference
        var info: RunInfo
        var contents: EpisodeLogSnapshot.RunContents
        var snapshot: EpisodeLogSnapshot
    }

    /// Opens a snapshot of every reader, nested, and calls `body` with all of them.
    private static func withSnapshots<T>(_ readers: ArraySlice<EpisodeLogReader>, _ open: [EpisodeLogSnapshot],
                                         _ body: ([EpisodeLogSnapshot]) throws -> T) throws -> T {
        guard let first = readers.first else { return try body(open) }
        return try first.snapshot { snapshot in try withSnapshots(readers.dropFirst(), open + [snapshot], body) }
    }

    private static func load(snapshots: [EpisodeLogSnapshot], runs selected: [Int]?, environment: AgentEnvironment?,
                             discounting: Discounting?, batchSize: Int, progress: LoadProgress?) throws -> OfflineDataset {
        var plan: [PlannedRun] = []
        for snapshot in snapshots {
            let available = try snapshot.runs()
            guard !available.isEmpty else { throw OfflineDatasetError.noRuns(log: snapshot.path) }
            let chosen: [RunInfo]
            if let selected {
                chosen = try selected.map { id in
                    guard let run = available.first(where: { $0.id == id }) else {
                        throw OfflineDatasetError.noSuchRun(log: snapshot.path, run: id, available: available.map(\.id))
                    }
                    return run
                }
            } else {
                chosen = available
            }
            for info in chosen {
                let reference = OfflineDatasetError.RunReference(log: snapshot.path, run: info.id)
                if let first = plan.first { try checkCompatible(first.info, first.reference, info, reference) }
                let contents = try snapshot.contents(run: info.id)
                guard contents.transitions > 0 else {
                    throw OfflineDatasetError.emptyRun(reference, sessions: contents.sessions)
                }
                if discounting?.needsElapsedTime == true, contents.untimedSteps > 0 {
                    throw OfflineDatasetError.untimed(reference, schemaVersion: snapshot.schemaVersion,
                                                      untimedSteps: contents.untimedSteps, steps: contents.steps)
                }
                plan.append(PlannedRun(reference: reference, info: info, contents: contents, snapshot: snapshot))
            }
        }
        let first = plan[0]
        let target = try environment.map { try checkLearner($0, first.info, first.reference) }
            ?? ownEnvironment(first.info, first.reference)

        let total = plan.reduce(0) { $0 + $1.contents.transitions }
        var dataset = OfflineDataset(environment: target, capacity: total)
        for run in plan {
            let before = dataset.count
            var lastEpisode: Int?
            try run.snapshot.transitions(run: run.info.id, batchSize: batchSize).forEach { logged in
                let batch = TransitionBatch(transitions: logged, actionSpace: target.actionSpace,
                                            stateDimension: target.stateDimension)
                guard dataset.count - before + batch.count <= run.contents.transitions else {
                    throw EpisodeLogError(path: run.reference.log, kind: .corrupt(
                        "run \(run.info.id) yields more transitions than its \(run.contents.transitions) counted"))
                }
                // The batch's rows are the transitions with an outcome, in order: a row begins an episode when its
                // episode differs from the row before (in this batch or the run's previous one).
                var starts: [Int] = [], row = 0
                for transition in logged where transition.hasOutcome {
                    if transition.episode != lastEpisode { starts.append(row) }
                    lastEpisode = transition.episode
                    row += 1
                }
                dataset.append(batch, episodeStarts: starts)
                progress?(dataset.count, total)
            }
            let read = dataset.count - before
            guard read == run.contents.transitions else {
                throw EpisodeLogError(path: run.reference.log, kind: .corrupt(
                    "run \(run.info.id) yields \(read) transitions, \(run.contents.transitions) counted"))
            }
            dataset.sources.append(Source(log: run.reference.log, run: run.info.id,
                                          environmentName: run.info.metadata.environmentName,
                                          policySpec: run.info.metadata.policySpec,
                                          sessions: run.contents.sessions, transitions: read))
        }
        return dataset
    }

    /// Refuses a run whose environment, state layout or action box differs from the first run's.
    private static func checkCompatible(_ a: RunInfo, _ refA: OfflineDatasetError.RunReference,
                                        _ b: RunInfo, _ refB: OfflineDatasetError.RunReference) throws {
        let (m, n) = (a.metadata, b.metadata)
        if m.environmentName != n.environmentName {
            throw OfflineDatasetError.differentEnvironments(
                refA, refB, what: "\"\(m.environmentName)\" against \"\(n.environmentName)\"")
        }
        if m.environmentYAML != n.environmentYAML {
            throw OfflineDatasetError.differentEnvironments(
                refA, refB, what: "both \"\(m.environmentName)\", but their environment files differ at "
                    + firstDifference(lines(m.environmentYAML), lines(n.environmentYAML), noun: "line"))
        }
        if m.stateNames != n.stateNames {
            throw OfflineDatasetError.differentStateLayouts(
                refA, refB, what: "\(m.stateNames.count) against \(n.stateNames.count) features, first difference at "
                    + firstDifference(m.stateNames, n.stateNames, noun: "feature"))
        }
        if let what = boxDifference(names: m.actionNames, low: m.actionLow, high: m.actionHigh,
                                    against: n.actionNames, n.actionLow, n.actionHigh) {
            throw OfflineDatasetError.differentActionBoxes(refA, refB, what: what)
        }
    }

    /// The learner's environment, when its state and action names are the run's (its bounds may differ).
    private static func checkLearner(_ environment: AgentEnvironment, _ run: RunInfo,
                                     _ reference: OfflineDatasetError.RunReference) throws -> AgentEnvironment {
        let m = run.metadata
        if environment.stateNames != m.stateNames {
            throw OfflineDatasetError.learnerEnvironment(
                reference, what: "\(environment.stateNames.count) state features against the log's \(m.stateNames.count), "
                    + "first difference at " + firstDifference(environment.stateNames, m.stateNames, noun: "feature"))
        }
        if environment.actionSpace.names != m.actionNames {
            throw OfflineDatasetError.learnerEnvironment(
                reference, what: "action dimensions differ at "
                    + firstDifference(environment.actionSpace.names, m.actionNames, noun: "dimension"))
        }
        return environment
    }

    /// The run's own state layout and action box, with the baseline weights of its environment file.
    private static func ownEnvironment(_ run: RunInfo, _ reference: OfflineDatasetError.RunReference) throws -> AgentEnvironment {
        let m = run.metadata
        let config: EnvironmentConfig
        do {
            config = try EnvironmentLoader.decode(yaml: m.environmentYAML, file: reference.description)
        } catch {
            throw OfflineDatasetError.unreadableEnvironment(reference, reason: String(describing: error))
        }
        let own = ActionSpace(config: config)
        guard own.names == m.actionNames else {
            throw OfflineDatasetError.unreadableEnvironment(
                reference, reason: "its environment file has action dimensions \(own.names), the run logged \(m.actionNames)")
        }
        return AgentEnvironment(stateNames: m.stateNames,
                                actionSpace: ActionSpace(names: m.actionNames, low: m.actionLow, high: m.actionHigh,
                                                         baseline: own.baseline))
    }

    /// How two action boxes differ, or `nil` when they are the same.
    private static func boxDifference(names: [String], low: [Float], high: [Float],
                                      against otherNames: [String], _ otherLow: [Float], _ otherHigh: [Float]) -> String? {
        if names != otherNames {
            return "dimensions differ at " + firstDifference(names, otherNames, noun: "dimension")
        }
        for i in names.indices where low[i] != otherLow[i] || high[i] != otherHigh[i] {
            return "\(names[i]) in [\(low[i]), \(high[i])] against [\(otherLow[i]), \(otherHigh[i])]"
        }
        return nil
    }

    private static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// `<noun> k: "x" against "y"` for the first index where the lists differ (1-based), an absent entry shown as
    /// `(none)`.
    private static func firstDifference(_ a: [String], _ b: [String], noun: String) -> String {
        let k = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        func shown(_ list: [String]) -> String {
            guard k < list.count else { return "(none)" }
            let value = list[k].trimmingCharacters(in: .whitespaces)
            return "\"" + (value.count > 60 ? String(value.prefix(57)) + "..." : value) + "\""
        }
        return "\(noun) \(k + 1): \(shown(a)) against \(shown(b))"
    }
}
