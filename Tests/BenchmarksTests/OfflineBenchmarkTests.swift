import Agents
import Benchmarks
import Foundation
import Numerics
import Rollout
import Simulator
import Synchronization
import Testing
import TestSupport

/// `bench offline` on tiny inputs: the load reads every transition of the log it wrote, the memory expected is the
/// formula's, every listed learner is timed on every thread count, and nothing is left behind.
@Suite struct OfflineBenchmarkTests {
    @Test func offlineLoadsTheLogTimesEveryLearnerAndCleansUp() throws {
        let config = SimulatorFixtures.tinyConfig
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-offline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let text = try String(contentsOfFile: SimulatorFixtures.presetPath("tiny"), encoding: .utf8)
        let threadsBefore = BLASRuntime.threads
        let report = try OfflineBenchmark(config: config, environmentText: text, sessions: 30, repeats: 1,
                                          memoryTransitions: 12_345, batchSize: 32, seconds: 0.02, blasThreads: [1, 2],
                                          threads: 1, scratchDirectory: scratch).run()
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
        #expect(BLASRuntime.threads == threadsBefore)

        let world = try World(config: config, seed: 1)
        let collected = Mutex<[SessionRecord]>([])
        _ = Simulation(world: world, ranker: OracleNoiseRanker(config: config),
                       policy: try PolicySpec.parse("mixture", world: world), seed: 1)
            .run(.init(sessions: 30, threads: 1, sessionSink: { batch in collected.withLock { $0 += batch } }))
        let expected = TransitionBatch(sessions: collected.withLock { $0 }, actionSpace: world.actionSpace,
                                       stateDimension: world.stateLayout.dimension)
        #expect(report.load.sessions == 30 && report.load.transitions == expected.count && expected.count > 0)
        #expect(report.load.logBytes > 0 && report.load.transitionsPerSecond > 0)
        #expect(abs(report.load.transitionsPerSecond * report.load.seconds - Double(expected.count)) < 1e-6 * Double(expected.count))

        let (s, a) = (world.stateLayout.dimension, world.actionSpace.dimension)
        #expect(report.stateDimension == s && report.actionDimension == a)
        let memory = try #require(report.memory)
        #expect(memory.transitions == 12_345 && memory.expectedBytes == 12_345 * (2 * s + a + 3) * 4)

        let names = OfflineBenchmark.offlineLearners.map(\.name)
        #expect(names.contains("td3"))
        #expect(report.learners.map(\.learner) == names + names)
        #expect(report.learners.map(\.blasThreads) == names.map { _ in 1 } + names.map { _ in 2 })
        #expect(report.learners.allSatisfy { $0.batchSize == 32 && $0.stepsPerSecond > 0 && $0.stepsPerSecond.isFinite })
    }
}
