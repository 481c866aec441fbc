import Agents
import EpisodeLog
import Foundation
import Numerics
import Rollout
import Simulator
import Testing

/// Offline datasets read from episode logs: the same transitions, bit for bit, as online training makes of the same
/// sessions; logs concatenated; the data's own statistics; one-line refusals; logs still being written.
@Suite("Offline dataset from episode logs")
struct OfflineDatasetLoadTests {
    /// The tiny preset with churn made common (every kind of session ending in a few episodes), and its file's text.
    static let fixture: (world: World, text: String) = {
        var (config, text) = try! EnvironmentLoader.resolve("tiny")
        config.returnModel.churnIntercept = -2.5
        return (try! World(config: config, seed: 23), text)
    }()

    static func sessions(seed: UInt64, episodes: Int = 16) -> [SessionRecord] {
        let world = fixture.world
        return Simulation(world: world, ranker: OracleNoiseRanker(config: world.config),
                          policy: try! PolicySpec.parse("mixture", world: world), seed: seed, users: .training)
            .episodes(0..<episodes, threads: 1, lanes: 8, trace: true)
            .sorted { ($0.episode, $0.sessionIndex) < ($1.episode, $1.sessionIndex) }
    }

    static let sessionsA = sessions(seed: 5)
    static let sessionsB = sessions(seed: 6, episodes: 10)

    /// A fresh folder, removed by `defer` in each test.
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mtfsim-offline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func metadata(seed: UInt64 = 5, sessions: Int) -> RunMetadata {
        let world = fixture.world
        return SimulationLog.metadata(
            name: "offline", world: world, environmentText: fixture.text, seed: seed,
            policy: try! PolicySpec.parse("mixture", world: world), ranker: OracleNoiseRanker(config: world.config),
            sessions: sessions, lanes: 8, logCandidates: false)
    }

    /// Writes one complete run per element of `runs` into a new log at `path`.
    static func writeLog(_ path: String, runs: [(metadata: RunMetadata, sessions: [SessionRecord])]) throws {
        let writer = try EpisodeLogFile.create(path: path)
        for run in runs {
            _ = try writer.beginRun(run.metadata)
            if !run.sessions.isEmpty { try writer.append(sessions: run.sessions) }
            try writer.finishRun()
        }
        try writer.close()
    }

    /// Every stored transition of the dataset, with its elapsed hours, in slot order.
    static func contents(_ dataset: OfflineDataset) -> ReplayBatch {
        var batch = ReplayBatch(size: dataset.count, stateDimension: dataset.environment.stateDimension,
                                actionDimension: dataset.environment.actionDimension)
        batch.indices = Array(0..<dataset.count)
        dataset.transitions.gather(into: &batch)
        return batch
    }

    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    /// Checks that `dataset` holds exactly `expected`'s transitions, bit for bit, elapsed hours included.
    static func expectEqual(_ dataset: OfflineDataset, _ expected: TransitionBatch,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(dataset.count == expected.count, "\(dataset.count) loaded, \(expected.count) expected",
                     sourceLocation: sourceLocation)
        let stored = contents(dataset)
        #expect(bits(stored.states.elements) == bits(expected.states.elements), sourceLocation: sourceLocation)
        #expect(bits(stored.actions.elements) == bits(expected.actions.elements), sourceLocation: sourceLocation)
        #expect(bits(stored.rewards.elements) == bits(expected.rewards), sourceLocation: sourceLocation)
        #expect(bits(stored.nextStates.elements) == bits(expected.nextStates.elements), sourceLocation: sourceLocation)
        #expect(stored.notDone.elements == expected.terminals.map { $0 ? 0 : 1 }, sourceLocation: sourceLocation)
        let hours = try #require(expected.elapsedHours, sourceLocation: sourceLocation)
        #expect(bits(stored.elapsedHours.elements) == bits(hours), sourceLocation: sourceLocation)
    }

    static func batch(_ sessions: [SessionRecord], actionSpace: ActionSpace? = nil) -> TransitionBatch {
        let world = fixture.world
        return TransitionBatch(sessions: sessions, actionSpace: actionSpace ?? world.actionSpace,
                               stateDimension: world.stateLayout.dimension)
    }

    static func concatenated(_ a: TransitionBatch, _ b: TransitionBatch) -> TransitionBatch {
        func stack(_ x: Matrix, _ y: Matrix) -> Matrix {
            Matrix(rows: x.rows + y.rows, columns: x.columns, elements: x.elements + y.elements)
        }
        return TransitionBatch(states: stack(a.states, b.states), actions: stack(a.actions, b.actions),
                               rewards: a.rewards + b.rewards, nextStates: stack(a.nextStates, b.nextStates),
                               terminals: a.terminals + b.terminals, elapsedHours: a.elapsedHours! + b.elapsedHours!)
    }

    // MARK: Equal to online training's transitions

    @Test("a loaded log equals TransitionBatch(sessions:) of its sessions, bit for bit")
    func equalsTracedSessions() throws {
        let sessions = Self.sessionsA
        let ends = Set(sessions.map(\.end))
        try #require(ends == [.churned, .horizon, .returned], "\(ends)")
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.sqlite").path
        try Self.writeLog(path, runs: [(Self.metadata(sessions: sessions.count), sessions)])

        var reported: [(Int, Int)] = []
        let dataset = try OfflineDataset.load(logs: [path], batchSize: 37) { reported.append(($0, $1)) }
        let expected = Self.batch(sessions)
        try Self.expectEqual(dataset, expected)
        #expect(dataset.environment == AgentEnvironment(world: Self.fixture.world))
        #expect(dataset.isTimed)
        #expect(dataset.transitions.capacity == expected.count, "allocated once, at the exact size")
        #expect(dataset.sources == [.init(log: path, run: 1, environmentName: "tiny",
                                          policySpec: Self.metadata(sessions: 0).policySpec,
                                          sessions: sessions.count, transitions: expected.count)])
        #expect(reported.last.map { $0 == (expected.count, expected.count) } ?? false)
        #expect(zip(reported, reported.dropFirst()).allSatisfy { $0.0 < $1.0 })
        // Episodes: each user's first transition with an outcome, by the logged episode; continuity infers the same.
        let starts = Self.episodeStarts(sessions)
        #expect(Set(sessions.map(\.episode)).count == starts.count)
        #expect(dataset.episodeStarts == starts)
        #expect(OfflineDataset(environment: dataset.environment, batch: expected).episodeStarts == starts)
    }

    /// The index of each episode's first transition with an outcome among the sessions' transitions.
    static func episodeStarts(_ sessions: [SessionRecord]) -> [Int] {
        let kept = TransitionRule.transitions(of: sessions.filter { !$0.steps.isEmpty }).filter(\.hasOutcome)
        return kept.indices.filter { $0 == 0 || kept[$0].episode != kept[$0 - 1].episode }
    }

    @Test("actions are normalised into the learner's box: a residual box clamps them")
    func learnerBox() throws {
        let sessions = Self.sessionsA
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.sqlite").path
        try Self.writeLog(path, runs: [(Self.metadata(sessions: sessions.count), sessions)])
        let world = Self.fixture.world
        let box = world.actionSpace.restricted(toHalfWidth: 0.25)
        let environment = AgentEnvironment(stateNames: world.stateLayout.names, actionSpace: box)
        let dataset = try OfflineDataset.load(logs: [path], environment: environment)
        #expect(dataset.environment == environment)
        try Self.expectEqual(dataset, Self.batch(sessions, actionSpace: box))
        let actions = Self.contents(dataset).actions.elements
        #expect(actions.allSatisfy { abs($0) <= 1 } && actions.contains { abs($0) == 1 }, "some logged actions lie outside the box")
    }

    @Test("two logs, and two runs of one log, concatenate in order; --run selects in every log")
    func concatenation() throws {
        let (a, b) = (Self.sessionsA, Self.sessionsB)
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = folder.appendingPathComponent("first.sqlite").path
        let second = folder.appendingPathComponent("second.sqlite").path
        try Self.writeLog(first, runs: [(Self.metadata(sessions: a.count), a), (Self.metadata(seed: 6, sessions: b.count), b)])
        try Self.writeLog(second, runs: [(Self.metadata(seed: 6, sessions: b.count), b)])

        let both = try OfflineDataset.load(logs: [first, second], batchSize: 100)
        let (batchA, batchB) = (Self.batch(a), Self.batch(b))
        try Self.expectEqual(both, Self.concatenated(Self.concatenated(batchA, batchB), batchB))
        #expect(both.sources.map { "\($0.log == first ? "first" : "second"):\($0.run)" } == ["first:1", "first:2", "second:1"])
        #expect(both.sources.map(\.transitions) == [batchA.count, batchB.count, batchB.count])
        // A run's first transition begins an episode even where its episode index repeats the previous run's.
        let (startsA, startsB) = (Self.episodeStarts(a), Self.episodeStarts(b))
        #expect(both.episodeStarts == startsA + startsB.map { $0 + batchA.count } + startsB.map { $0 + batchA.count + batchB.count })

        let selected = try OfflineDataset.load(logs: [second, first], runs: [1])
        try Self.expectEqual(selected, Self.concatenated(batchB, batchA))
    }

    @Test("observation and reward statistics are the data's own")
    func statistics() throws {
        let sessions = Self.sessionsA
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.sqlite").path
        try Self.writeLog(path, runs: [(Self.metadata(sessions: sessions.count), sessions)])
        let dataset = try OfflineDataset.load(logs: [path], batchSize: 50)
        let expected = Self.batch(sessions)
        let (n, d) = (expected.count, expected.states.columns)

        let observed = dataset.observationStatistics
        #expect(observed.count == Double(n))
        for j in 0..<d {
            let column = (0..<n).map { Double(expected.states[$0, j]) }
            let mean = column.reduce(0, +) / Double(n)
            let squares = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            #expect(abs(observed.mean[j] - mean) <= 1e-9 * max(1, abs(mean)), "feature \(j)")
            #expect(abs(observed.sumOfSquaredDeviations[j] - squares) <= 1e-7 * max(1, squares), "feature \(j)")
        }
        let rewards = expected.rewards.map(Double.init)
        let rewardMean = rewards.reduce(0, +) / Double(n)
        let r = dataset.rewardStatistics
        #expect(r.count == n)
        #expect(abs(r.mean - rewardMean) <= 1e-9 * max(1, abs(rewardMean)))
        #expect(abs(r.sumOfSquaredDeviations - rewards.reduce(0) { $0 + ($1 - rewardMean) * ($1 - rewardMean) })
                <= 1e-7 * max(1, r.sumOfSquaredDeviations))
        #expect(r.minimum == rewards.min() && r.maximum == rewards.max())
    }

    // MARK: Logs being written

    @Test("a log still being written gives its committed sessions, while its writer keeps the file open")
    func inProgress() throws {
        let sessions = Self.sessionsA
        let committed = sessions.filter { $0.sessionIndex < 2 }
        try #require(committed.contains { $0.sessionIndex == 1 && $0.end == .returned }, "some episodes go on")
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("live.sqlite").path
        let writer = try EpisodeLogFile.create(path: path)
        defer { try? writer.close() }
        let run = try writer.beginRun(Self.metadata(sessions: sessions.count))
        try writer.append(sessions: committed)

        let dataset = try OfflineDataset.load(logs: [path])
        try Self.expectEqual(dataset, Self.batch(committed))
        #expect(dataset.sources.first?.sessions == committed.count)

        // The snapshot a load reads through sees neither sessions committed after it began nor their transitions.
        let reader = try EpisodeLogFile.open(path: path)
        defer { try? reader.close() }
        let later = sessions.filter { $0.sessionIndex >= 2 }
        let (counted, streamed) = try reader.snapshot { snapshot in
            let counted = try snapshot.contents(run: run)
            try writer.append(sessions: later)
            var streamed = 0
            try snapshot.transitions(run: run, batchSize: 64).forEach { streamed += $0.filter(\.hasOutcome).count }
            return (counted, streamed)
        }
        #expect(counted.transitions == Self.batch(committed).count && streamed == counted.transitions)
        #expect(counted.sessions == committed.count && counted.untimedSteps == 0)
        let whole = try OfflineDataset.load(logs: [path])
        try Self.expectEqual(whole, Self.batch(sessions))
    }

    // MARK: The logged world

    @Test("world() rebuilds the world of the dataset's first run, with its environment text")
    func loggedWorld() throws {
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("a.sqlite").path
        try Self.writeLog(path, runs: [(Self.metadata(seed: 9, sessions: Self.sessionsB.count), Self.sessionsB)])
        let dataset = try OfflineDataset.load(logs: [path])
        let (world, text) = try dataset.world()
        #expect(text == Self.fixture.text)
        #expect(world.seed == 9 && world.config.name == "tiny")
        #expect(AgentEnvironment(world: world) == dataset.environment)
    }

    // MARK: Refusals

    /// The folder's files, leaving out SQLite's shared-memory and write-ahead side files, which any reader of a WAL
    /// database may leave beside it (the log itself is not written).
    static func files(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { !$0.hasSuffix("-shm") && !$0.hasSuffix("-wal") }.sorted()
    }

    /// Loads `logs` expecting a refusal; checks it is one line naming `mentions`, and that no file was added or changed.
    static func refusal(_ logs: [String], runs: [Int]? = nil, environment: AgentEnvironment? = nil,
                        discounting: Discounting? = nil, folder: URL, mentions: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> OfflineDatasetError {
        let before = try files(folder)
        let bytes = try before.map { try Data(contentsOf: folder.appendingPathComponent($0)) }
        let error = try #require(throws: OfflineDatasetError.self, sourceLocation: sourceLocation) {
            _ = try OfflineDataset.load(logs: logs, runs: runs, environment: environment, discounting: discounting)
        }
        let line = error.description
        #expect(!line.contains("\n"), "\(line)", sourceLocation: sourceLocation)
        for text in mentions { #expect(line.contains(text), "\(line) should mention \(text)", sourceLocation: sourceLocation) }
        #expect(try files(folder) == before, sourceLocation: sourceLocation)
        #expect(try before.map { try Data(contentsOf: folder.appendingPathComponent($0)) } == bytes,
                "the logs are unchanged", sourceLocation: sourceLocation)
        return error
    }

    @Test("runs of different environments, state layouts or action boxes are refused, naming both")
    func mixedRuns() throws {
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sessions = Self.sessionsB
        let base = folder.appendingPathComponent("base.sqlite").path
        try Self.writeLog(base, runs: [(Self.metadata(sessions: sessions.count), sessions)])

        func other(_ name: String, _ change: (inout RunMetadata) -> Void) throws -> String {
            var metadata = Self.metadata(sessions: sessions.count)
            change(&metadata)
            let path = folder.appendingPathComponent(name + ".sqlite").path
            try Self.writeLog(path, runs: [(metadata, sessions)])
            return path
        }
        let renamed = try other("renamed") { $0.environmentName = "short-video" }
        var error = try Self.refusal([base, renamed], folder: folder,
                                     mentions: [base + " run 1", renamed + " run 1", "\"tiny\"", "\"short-video\""])
        guard case .differentEnvironments = error else { Issue.record("\(error)"); return }

        let edited = try other("edited") { $0.environmentYAML = $0.environmentYAML.replacingOccurrences(of: "name: tiny", with: "name: tiny2") }
        error = try Self.refusal([base, edited], folder: folder, mentions: [base, edited, "name: tiny\"", "name: tiny2\""])
        guard case .differentEnvironments = error else { Issue.record("\(error)"); return }

        let features = Self.fixture.world.stateLayout.names
        let relabelled = try other("relabelled") { $0.stateNames[2] = "something.else" }
        error = try Self.refusal([base, relabelled], folder: folder,
                                 mentions: [base, relabelled, "\"\(features[2])\"", "\"something.else\""])
        guard case .differentStateLayouts = error else { Issue.record("\(error)"); return }

        let widened = try other("widened") { $0.actionHigh[1] += 1 }
        let high = Self.fixture.world.actionSpace.high[1]
        error = try Self.refusal([base, widened], folder: folder,
                                 mentions: [base, widened, Self.fixture.world.actionSpace.names[1], "\(high)", "\(high + 1)"])
        guard case .differentActionBoxes = error else { Issue.record("\(error)"); return }

        var learner = AgentEnvironment(world: Self.fixture.world)
        learner.stateNames[0] = "not.logged"
        error = try Self.refusal([base], environment: learner, folder: folder, mentions: [base, "\"not.logged\""])
        guard case .learnerEnvironment = error else { Issue.record("\(error)"); return }
    }

    @Test("an empty run, a log without runs, a missing run id, unreadable and newer files are refused")
    func unusableLogs() throws {
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sessions = Self.sessionsB
        let good = folder.appendingPathComponent("good.sqlite").path
        try Self.writeLog(good, runs: [(Self.metadata(sessions: sessions.count), sessions)])

        let empty = folder.appendingPathComponent("empty-run.sqlite").path
        try Self.writeLog(empty, runs: [(Self.metadata(sessions: sessions.count), [])])
        var error = try Self.refusal([good, empty], folder: folder, mentions: [empty + " run 1", "no transition"])
        #expect(error == .emptyRun(.init(log: empty, run: 1), sessions: 0))

        // Sessions whose only transitions are cut at the horizon give nothing to learn from either.
        let cut = sessions.filter { $0.end == .horizon && $0.requests == 1 && $0.sessionIndex == 0 }
        if !cut.isEmpty {
            let horizonOnly = folder.appendingPathComponent("horizon-only.sqlite").path
            try Self.writeLog(horizonOnly, runs: [(Self.metadata(sessions: cut.count), cut)])
            error = try Self.refusal([horizonOnly], folder: folder, mentions: [horizonOnly])
            #expect(error == .emptyRun(.init(log: horizonOnly, run: 1), sessions: cut.count))
        }

        let noRuns = folder.appendingPathComponent("no-runs.sqlite").path
        try EpisodeLogFile.create(path: noRuns).close()
        error = try Self.refusal([noRuns], folder: folder, mentions: [noRuns, "no run"])
        #expect(error == .noRuns(log: noRuns))

        error = try Self.refusal([good], runs: [1, 7], folder: folder, mentions: [good, "no run 7", "its runs: 1"])
        #expect(error == .noSuchRun(log: good, run: 7, available: [1]))

        let text = folder.appendingPathComponent("notes.sqlite").path
        try Data("these are notes, not a log\n".utf8).write(to: URL(fileURLWithPath: text))
        error = try Self.refusal([good, text], folder: folder, mentions: [text, "not a SQLite database"])
        guard case .log(let cause) = error, case .notSQLite = cause.kind else { Issue.record("\(error)"); return }

        let missing = folder.appendingPathComponent("missing.sqlite").path
        error = try Self.refusal([missing], folder: folder, mentions: [missing, "no such file"])

        // A log from a newer MTFSim: the header's user_version (bytes 60–63, big-endian) says 99.
        let newer = folder.appendingPathComponent("newer.sqlite").path
        var bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        bytes.replaceSubrange(60..<64, with: [0, 0, 0, 99])
        try bytes.write(to: URL(fileURLWithPath: newer))
        error = try Self.refusal([newer], folder: folder, mentions: [newer, "schema version 99"])
        guard case .log(let newerCause) = error, case .newerSchema(99, _) = newerCause.kind else { Issue.record("\(error)"); return }

        #expect(throws: OfflineDatasetError.noLogs) { _ = try OfflineDataset.load(logs: []) }
        // The same log twice, under another spelling of its path, or a run twice: its transitions would count twice.
        let respelled = (folder.path as NSString).appendingPathComponent("./" + (good as NSString).lastPathComponent)
        error = try Self.refusal([good, respelled], folder: folder, mentions: [respelled, "twice"])
        #expect(error == .duplicate("episode log \(respelled)"))
        #expect(throws: OfflineDatasetError.duplicate("run 1")) { _ = try OfflineDataset.load(logs: [good], runs: [1, 1]) }
    }

    @Test("discounting by time is refused, with one line, for a run whose step times are unknown")
    func untimedRuns() throws {
        let folder = try Self.directory()
        defer { try? FileManager.default.removeItem(at: folder) }
        var sessions = Self.sessionsB
        for s in sessions.indices {
            for r in sessions[s].steps.indices { sessions[s].steps[r].elapsedMinutes = nil }
        }
        let steps = sessions.reduce(0) { $0 + $1.requests }
        let path = folder.appendingPathComponent("untimed.sqlite").path
        try Self.writeLog(path, runs: [(Self.metadata(sessions: sessions.count), sessions)])

        let byTime = Discounting(perDecision: 1, halfLifeHours: 6)
        let error = try Self.refusal([path], discounting: byTime, folder: folder,
                                     mentions: [path + " run 1", "\(steps) of its \(steps) steps", "per request"])
        #expect(error == .untimed(.init(log: path, run: 1), schemaVersion: EpisodeLogFile.schemaVersion,
                                  untimedSteps: steps, steps: steps))
        // Per-request discounting needs no clock: the same run loads, without elapsed times.
        let dataset = try OfflineDataset.load(logs: [path], discounting: Discounting(perDecision: 0.95))
        #expect(dataset.count == Self.batch(Self.sessionsB).count && !dataset.isTimed)
    }
}
