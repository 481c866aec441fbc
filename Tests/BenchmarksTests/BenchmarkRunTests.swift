import Benchmarks
import Foundation
import Ranking
import Rollout
import Simulator
import Testing
import TestSupport

/// The benchmarks run end to end on tiny inputs and report what they measured: shapes, counts and sizes that
/// have exact values.
@Suite struct BenchmarkRunTests {
    @Test func numericsReportsEveryShapeLayerAndSampler() {
        let benchmark = NumericsBenchmark(seconds: 0.004, gemmShapes: [.init(m: 2, k: 3, n: 4), .init(m: 1, k: 8, n: 8)],
                                          mlpLayers: [4, 8, 2], mlpBatch: 4, variateBlock: 16)
        let report = benchmark.run()
        #expect(report.gemm.map { [$0.m, $0.k, $0.n] } == [[2, 3, 4], [1, 8, 8]])
        #expect(report.gemm.allSatisfy { $0.gflops > 0 && $0.gflops.isFinite })
        // gflops · µs = 2MNK / 1000 whatever the measured time.
        for g in report.gemm {
            let flops = Double(BenchTiming.gemmFlops(m: g.m, k: g.k, n: g.n))
            #expect(abs(g.gflops * g.microseconds * 1e3 - flops) < 1e-6 * flops)
        }
        #expect(report.mlp.layers == [4, 8, 2] && report.mlp.batch == 4)
        #expect(report.mlp.forwardSamplesPerSecond > 0 && report.mlp.forwardBackwardSamplesPerSecond > 0)
        #expect(report.random.map(\.name) == ["uniform", "normal", "normalFloat", "exponential", "gamma(2)", "alias(1000)",
                                              "zipf(1e5, 1.1)"])
        #expect(report.blasThreads >= 1)
    }

    @Test func simulateCountsTheRequestsOfTheSimulationOnEachThreadCount() throws {
        let config = SimulatorFixtures.tinyConfig
        let report = try SimulateBenchmark(config: config, sessions: 40, repeats: 1, threadCounts: [1, 2]).run()
        let world = try World(config: config, seed: 1)
        let simulation = Simulation(world: world, ranker: OracleNoiseRanker(config: config),
                                    policy: SimulatorFixtures.baselinePolicy(world), seed: 1)
        let direct = simulation.run(.init(sessions: 40, threads: 1)).simulatedRequests
        #expect(report.rows.map(\.threads) == [1, 2])
        // One thread simulates exactly the blocks needed; more threads also count blocks in flight past the
        // requested sessions (how many depends on timing).
        #expect(report.rows[0].requests == direct)
        #expect(report.rows[1].requests >= direct)
        #expect(report.slateSize == config.slate.size && report.candidates == config.retrieval.candidates)
        #expect(report.tasks == config.tasks.count)
        for row in report.rows {
            #expect(abs(row.impressionsPerSecond - row.requestsPerSecond * Double(config.slate.size)) < 1e-6 * row.impressionsPerSecond)
        }
    }

    @Test func logWritesTheSimulatedSessionsAndCleansUp() throws {
        let config = SimulatorFixtures.tinyConfig
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let text = try String(contentsOfFile: SimulatorFixtures.presetPath("tiny"), encoding: .utf8)
        let report = try LogBenchmark(config: config, environmentText: text, sessions: 30, repeats: 1, threads: 1,
                                      scratchDirectory: scratch).run()
        let world = try World(config: config, seed: 1)
        let direct = Simulation(world: world, ranker: OracleNoiseRanker(config: config),
                                policy: try PolicySpec.parse("mixture", world: world), seed: 1).run(.init(sessions: 30))
        #expect(report.sessions == direct.sessions.count)
        #expect(report.steps == direct.sessions.reduce(0) { $0 + $1.requests })
        #expect(report.impressions == direct.sessions.reduce(0) { $0 + $1.impressions })
        #expect(report.fileBytes > 0)
        #expect(report.threads == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "the log files were not removed")
    }

    @Test func referenceMMoEHasItsKnownSize() {
        // Experts 8 · (128·256 + 256 + 256·128 + 128), gates 7 · (128·8 + 8), towers 7 · (128·64 + 64 + 64 + 1).
        let report = RankerBenchmark(config: SimulatorFixtures.tinyConfig, seconds: 0.002, batch: 8).reference()
        #expect(report.parameters == 8 * 65_920 + 7 * 1_032 + 7 * 8_321)
        #expect(report.batch == 8)
        #expect(report.simulation == nil)
        #expect(report.trainingSamplesPerSecond > 0 && report.scoringSamplesPerSecond > 0)
    }

    @Test func rankerSimulationCountsTheDefaultRankersFlopsOnEveryCandidate() throws {
        let config = SimulatorFixtures.tinyConfig
        let simulation = try RankerBenchmark(config: config, sessions: 10, seconds: 0.002, threadCounts: [1]).simulation()
        let model = RankerArchitecture.simulationDefault.makeRanker(world: try World(config: config, seed: 1), seed: 1)
        let world = try World(config: config, seed: 1)
        #expect(simulation.flopsPerRequest == model.simulationDenseFlopsPerExample(world: world) * config.retrieval.candidates)
        #expect(simulation.gemmShape == [64 * config.retrieval.candidates, model.layout.encodedDimension, model.largestLayerWidth])
        #expect(simulation.rankerParameters == model.parameterCount)
        #expect(simulation.ranker == RankerBenchmark.defaultRankerName)
        let row = try #require(simulation.rows.first)
        #expect(simulation.rows.count == 1 && row.threads == 1)
        #expect(row.rankerTimeShare > 0 && row.rankerTimeShare <= 1.05, "ranker share \(row.rankerTimeShare)")
    }
}
