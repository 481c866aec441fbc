import EpisodeLog
import Foundation
import Rollout
import Simulator
import Testing
import TestSupport

/// The shared log lifecycle: a logged simulation, a run that fails part-way and is resumed to the uninterrupted log,
/// and refusals that leave the file untouched.
@Suite("Logged runs")
struct LoggedRunTests {
    static func simulationRun(threads: Int) throws -> SimulationRun {
        let text = try String(contentsOfFile: Fixtures.presetPath("tiny"), encoding: .utf8)
        let world = try World(config: try EnvironmentLoader.decode(yaml: text, file: "tiny"), seed: 5)
        var run = SimulationRun(world: world, environmentText: text, policy: try PolicySpec.parse("mixture", world: world),
                                ranker: OracleNoiseRanker(config: world.config), seed: 5, sessions: 120, threads: threads)
        run.lanes = 8
        return run
    }

    /// Logs the first two episodes of `run` at `path` and fails: an interrupted run with whole sessions. Returns them
    /// (each session draws only from its own streams, so they are the ones the whole run logs).
    static func interruptedLog(of run: SimulationRun, at path: String) throws -> [SessionRecord] {
        struct Stop: Error {}
        let partial = Simulation(world: run.world, ranker: run.ranker, policy: run.policy, seed: run.seed)
            .episodes(0..<2, threads: 1, lanes: 8, trace: true)
        #expect(throws: Stop.self) {
            try LoggedRun.create(path: path, metadata: run.metadata).record { logged in
                try logged.append(partial)
                throw Stop()
            }
        }
        return partial
    }

    @Test("a run that fails part-way is interrupted with whole sessions; resumed, it is the uninterrupted log")
    func failThenResume() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("logged-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = directory.appendingPathComponent("a/ref.sqlite").path, broken = directory.appendingPathComponent("broken.sqlite").path
        let run = try Self.simulationRun(threads: 2)
        let complete = try run.run(log: reference)
        #expect(complete.log == reference && complete.summary.sessions == 120)

        let partial = try Self.interruptedLog(of: run, at: broken)
        #expect(!partial.isEmpty && partial.allSatisfy { !$0.steps.isEmpty })
        let interrupted = try LoggedRun.unfinishedRuns(path: broken)
        #expect(interrupted.count == 1 && interrupted[0].status == .interrupted)

        let logged = try LoggedRun.resume(path: broken)
        #expect(logged.committed.count == partial.count && logged.run.id == interrupted[0].id)
        let resumed = try SimulationRun.resume(logged, threads: 1, policy: { try PolicySpec.parse($0, world: $1) })
        #expect(resumed.summary.sessions == 120 && resumed.run.seed == 5 && resumed.run.lanes == 8)
        let (a, b) = (try EpisodeLogFile.open(path: reference), try EpisodeLogFile.open(path: broken))
        defer { try? a.close(); try? b.close() }
        #expect(try b.runs().map(\.status) == [.complete])
        #expect(try a.logicalDigest() == b.logicalDigest())

        // Nothing left to resume or discard: refused, and the file is unchanged.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: broken))
        #expect(throws: LoggedRun.Refusal.self) { _ = try LoggedRun.resume(path: broken) }
        #expect(throws: LoggedRun.Refusal.self) { _ = try LoggedRun.discardUnfinishedRuns(path: broken) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: broken)) == bytes)
    }

    @Test("writing on the simulation threads logs what the writer thread logs, resumes alike, and reports failures")
    func inlineWrites() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inline-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = directory.appendingPathComponent("thread.sqlite").path
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var run = try Self.simulationRun(threads: 2)
        _ = try run.run(log: reference)
        let a = try EpisodeLogFile.open(path: reference)
        defer { try? a.close() }

        run.logWrites = .inline
        for threads in [1, 2] {
            run.threads = threads
            let path = directory.appendingPathComponent("inline\(threads).sqlite").path
            #expect(try run.run(log: path).summary.sessions == 120)
            let b = try EpisodeLogFile.open(path: path)
            defer { try? b.close() }
            #expect(try a.logicalDigest() == b.logicalDigest(), "threads \(threads)")
        }

        // An interrupted run resumed with inline writes is the uninterrupted log too.
        let broken = directory.appendingPathComponent("broken.sqlite").path
        _ = try Self.interruptedLog(of: run, at: broken)
        _ = try SimulationRun.resume(try LoggedRun.resume(path: broken), threads: 1,
                                     policy: { try PolicySpec.parse($0, world: $1) }, writes: .inline)
        let c = try EpisodeLogFile.open(path: broken)
        defer { try? c.close() }
        #expect(try a.logicalDigest() == c.logicalDigest())

        // A writer that cannot append (no run begun): both ways the simulation's run throws the writer's error.
        let simulation = Simulation(world: run.world, ranker: run.ranker, policy: run.policy, seed: run.seed)
        for writes in [SimulationLog.Writes.inline, .writerThread] {
            let writer = try EpisodeLogFile.create(path: directory.appendingPathComponent("norun-\(writes).sqlite").path)
            defer { try? writer.close() }
            #expect(throws: EpisodeLogError.self) {
                _ = try SimulationLog.run(simulation, options: .init(sessions: 20, threads: 1, lanes: 8), writer: writer,
                                          writes: writes)
            }
        }
    }
}
