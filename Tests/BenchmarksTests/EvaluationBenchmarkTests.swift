import Benchmarks
import Evaluation
import Foundation
import Simulator
import Testing
import TestSupport

/// `bench evaluate` on the tiny preset: the generated log holds the steps asked for, the phases time what
/// `OffPolicyEvaluation.run` computes (the same estimates and intervals), a kept log is reused, FQE is timed.
@Suite struct EvaluationBenchmarkTests {
    @Test func timesThePhasesOfTheEvaluationItReproduces() throws {
        let config = SimulatorFixtures.tinyConfig
        let text = try String(contentsOfFile: SimulatorFixtures.presetPath("tiny"), encoding: .utf8)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-evaluate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let path = scratch.appendingPathComponent("kept.sqlite").path
        let benchmark = EvaluationBenchmark(config: config, environmentText: text, steps: 3_000, log: path, fqeSteps: 3,
                                            threads: 2, scratchDirectory: scratch)
        let report = try benchmark.run()
        let generation = try #require(report.generation)
        #expect(generation.requests >= 3_000 && report.steps >= 3_000 && report.steps <= generation.requests)
        #expect(report.log == path && report.loggingPolicy.hasPrefix("mixture"))
        #expect(report.targets.map(\.kind) == [.stochastic, .deterministic])
        #expect(report.rewardModelFeatures == 1 + report.stateDimension + 2 * report.actionDimension
                + report.stateDimension * report.actionDimension)
        let phases = [report.readSeconds, report.worldSeconds, report.rewardModelSeconds]
            + report.targets.flatMap { [$0.densitySeconds, $0.weightSeconds, $0.targetValueSeconds, $0.estimatorSeconds] }
        #expect(phases.allSatisfy { $0 > 0 } && abs(report.totalSeconds - phases.reduce(0, +)) < 1e-9)
        #expect(report.endToEndSeconds.map { $0 > 0 } == true)

        var settings = OffPolicyEvaluation.Settings(log: path, policies: ["gaussian:0.2", "baseline"])
        settings.estimand = .perRequestReward
        settings.estimators = EvaluationBenchmark.estimators
        let evaluation = try OffPolicyEvaluation(settings: settings).run()
        #expect(EvaluationBenchmark.estimators.count == 9)
        for (timed, evaluated) in zip(report.targets, evaluation.policies) {
            #expect(timed.policy == evaluated.policy)
            let expected = evaluated.estimates.map {
                EvaluationBenchReport.Estimate(estimator: $0.estimator, value: $0.value, lower: $0.lower, upper: $0.upper)
            }
            #expect(timed.estimates == expected)
        }

        let fqe = try #require(report.fqe)
        #expect(fqe.transitions > 0 && fqe.rates.count == 2)
        #expect(fqe.rates.allSatisfy { $0.steps == 3 && $0.stepsPerSecond > 0 && $0.stepsPerSecond.isFinite })

        // A second run reuses the kept log: nothing generated, the same steps and estimates.
        var again = benchmark
        again.fqeSteps = 0
        again.endToEnd = false
        let reused = try again.run()
        #expect(reused.generation == nil && reused.fqe == nil && reused.endToEndSeconds == nil)
        #expect(reused.steps == report.steps && reused.targets.map(\.estimates) == report.targets.map(\.estimates))
    }
}
