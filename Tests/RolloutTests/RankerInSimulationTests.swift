import Numerics
import Rollout
import Simulator
import Testing
import TestSupport

@Suite("Oracle-noise ranker in simulation")
struct RankerInSimulationTests {
    /// In simulation on tiny: with more noise, the ranker's AUC against the realised labels falls, and
    /// the ceiling (AUC of the true probabilities on the same impressions) is at least the ranker's.
    @Test func aucFallsWithNoise() throws {
        let world = Fixtures.tinyWorld
        let hate = try #require(world.config.taskIndex("hate"))
        var previous = [Double](repeating: 1.01, count: world.response.taskCount)
        for sigma: Float in [0, 0.7, 2] {
            let ranker = OracleNoiseRanker(noise: [Float](repeating: sigma, count: world.response.taskCount))
            let output = Simulation(world: world, ranker: ranker, policy: Fixtures.baselinePolicy(world), seed: 99)
                .run(.init(sessions: 600, threads: 2, impressionSampleLimit: 15_000))
            let samples = output.impressionSamples
            // Samples come from the blocks that make up the run, up to the limit.
            #expect(samples.count <= 15_000 && samples.count >= 5_000, "\(samples.count) samples")
            #expect(samples.allSatisfy { s in s.predictions.allSatisfy { $0 > 0 && $0 < 1 } }, "σ = \(sigma)")
            for task in 0..<world.response.taskCount {
                if sigma == 0 {
                    for s in samples { assertClose(Double(s.predictions[task]), Double(s.truth[task]), relative: 1e-6, absolute: 1e-6) }
                }
                let auc = Calibration.rankerAUC(samples, task: task)
                let ceiling = Calibration.ceilingAUC(samples, task: task)
                #expect(auc > 0.5 && auc < 1, "σ = \(sigma) task \(task): AUC \(auc)")
                #expect(ceiling >= auc - (sigma == 0 ? 1e-3 : 0), "σ = \(sigma) task \(task): ceiling \(ceiling) < AUC \(auc)")
                if sigma == 0 { assertClose(auc, ceiling, absolute: 1e-3) }
                // Hate is rare in tiny: its AUC is noisy, so only the common tasks must strictly fall.
                let margin = task == hate ? -0.03 : 0.01
                #expect(auc < previous[task] - margin, "σ = \(sigma) task \(task): AUC \(auc), previous \(previous[task])")
                previous[task] = auc
            }
        }
    }
}
