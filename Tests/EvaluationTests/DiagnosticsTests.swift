import Evaluation
import Numerics
import Testing
import TestSupport

/// Effective sample size, largest weight, quantiles and the low-ESS warning, on weights worked out by hand.
@Suite("Weight diagnostics")
struct DiagnosticsTests {
    @Test func handWorkedWeights() {
        // Weights 1, 1, 2, 4: ESS = 8² / (1 + 1 + 4 + 16) = 64/22.
        let diagnostics = WeightDiagnostics(logWeights: [0, 0, Elementary.log(2), Elementary.log(4)])
        assertClose(diagnostics.effectiveSampleSize, 64.0 / 22, relative: 1e-14)
        assertClose(diagnostics.effectiveSampleFraction, 16.0 / 22, relative: 1e-14)
        assertClose(diagnostics.largestWeight, 4, relative: 1e-14)
        assertClose(diagnostics.largestWeightShare, 0.5, relative: 1e-14)
        // Type-7 quantiles of the log-weights, exponentiated: median between 1 and 2 geometrically, √2.
        assertClose(diagnostics.weightQuantiles, [Double(2).squareRoot(), Elementary.pow(2, 1 + 0.7), Elementary.pow(2, 1 + 0.97), 4],
                    relative: 1e-12)
        #expect(diagnostics.warning == nil)
    }

    @Test func warnsBelowFivePercent() {
        // One weight of e^10 among 1,000 weights of 1: ESS ≈ (e^10 + 999)² / (e^20 + 999) ≈ 1.09.
        let diagnostics = WeightDiagnostics(logWeights: [10] + [Double](repeating: 0, count: 999))
        #expect(diagnostics.effectiveSampleFraction < 0.05)
        let warning = diagnostics.warning ?? "none"
        #expect(warning.hasPrefix("effective sample size 1 of 1000 (0.1%) is below 5%"), "\(warning)")
        let zero = WeightDiagnostics(logWeights: [-.infinity, -.infinity])
        #expect(zero.effectiveSampleSize == 0 && zero.warning != nil)
    }

    /// Per-request estimators describe the steps' weights, sequential ones the trajectories'.
    @Test func scopes() throws {
        let data = try LoggedDecisions(rewards: [1, 1, 1], episodeOffsets: [0, 2, 3], behaviourLogDensities: [0, 0, 0],
                                       target: .logDensities([Elementary.log(2), Elementary.log(3), 0]))
        let input = try EvaluationInput(data)
        let perStep = try #require(try InverseProbabilityWeighting().estimate(input, estimand: .perRequestReward).diagnostics)
        #expect(perStep.count == 3)
        assertClose(perStep.largestWeight, 3, relative: 1e-14)
        let trajectory = try #require(try PerDecisionImportanceSampling().estimate(input, estimand: .discountedReturn).diagnostics)
        #expect(trajectory.count == 2)
        assertClose(trajectory.largestWeight, 6, relative: 1e-14)
        #expect(try DirectMethod().estimate(EvaluationInput(LoggedDecisions(
            rewards: [1], episodeOffsets: [0, 1], rewardModel: .init(loggedActionValues: [1], targetValues: [1]))),
            estimand: .perRequestReward).diagnostics == nil)
    }
}
