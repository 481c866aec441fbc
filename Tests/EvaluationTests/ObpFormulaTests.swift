import Evaluation
import Numerics
import Testing
import TestSupport

/// The per-request estimators against obp 0.5.7's formulas (`obp/ope/estimators.py`, `_estimate_round_rewards` then
/// the mean over rounds) on five hand-made rounds, the expected values worked out by hand below.
@Suite("obp formulas")
struct ObpFormulaTests {
    // Five rounds in two episodes. π_b(a_i|x_i) (obp's pscore), π_e(a_i|x_i), so w = [1.6, 2, 0.5, 3, 0.5].
    static let rewards = [1.0, 0, 2, 1, 0]
    static let pscore = [0.5, 0.25, 0.5, 0.2, 0.8]
    static let targetProbability = [0.8, 0.5, 0.25, 0.6, 0.4]
    // q̂(x_i, a_i) and q̂(x_i, π_e): r − q̂ = [0.1, −0.2, 0.5, 0.5, −0.1].
    static let qLogged = [0.9, 0.2, 1.5, 0.5, 0.1]
    static let qTarget = [1.0, 0.4, 1.2, 0.8, 0.3]

    static func input() throws -> EvaluationInput {
        try EvaluationInput(LoggedDecisions(
            rewards: rewards, episodeOffsets: [0, 2, 5],
            behaviourLogDensities: pscore.map { Elementary.log($0) },
            target: .logDensities(targetProbability.map { Elementary.log($0) }),
            rewardModel: .init(loggedActionValues: qLogged, targetValues: qTarget)))
    }

    static func value(_ estimator: some Estimator) throws -> Double {
        try estimator.estimate(input(), estimand: .perRequestReward).value
    }

    @Test func weightsAreTheDensityRatios() throws {
        assertClose(try #require(Self.input().weights).weights, [1.6, 2, 0.5, 3, 0.5], relative: 1e-14)
    }

    @Test func importanceWeightedEstimators() throws {
        // IPS: Σ w r / n = (1.6·1 + 2·0 + 0.5·2 + 3·1 + 0.5·0) / 5.
        assertClose(try Self.value(InverseProbabilityWeighting()), (1.6 + 0 + 1 + 3 + 0) / 5, relative: 1e-14)
        // SNIPS: Σ w r / Σ w = 5.6 / 7.6.
        assertClose(try Self.value(SelfNormalizedInverseProbabilityWeighting()), 5.6 / 7.6, relative: 1e-14)
        // Clipped IPS, λ = 1.5: ŵ = [1.5, 1.5, 0.5, 1.5, 0.5], Σ ŵ r = 1.5 + 1 + 1.5.
        assertClose(try Self.value(ClippedInverseProbabilityWeighting(lambda: 1.5)), 4.0 / 5, relative: 1e-14)
        // λ = 0 clips every weight to 0.
        #expect(try Self.value(ClippedInverseProbabilityWeighting(lambda: 0)) == 0)
        // SG-IPS, λ = 0.2: ŵ = w / (0.8 + 0.2 w); only rounds 0, 2 and 3 have r ≠ 0.
        let sg = (1.6 / (0.8 + 0.32) * 1 + 0.5 / (0.8 + 0.1) * 2 + 3 / (0.8 + 0.6) * 1) / 5
        assertClose(try Self.value(SubGaussianInverseProbabilityWeighting(lambda: 0.2)), sg, relative: 1e-14)
        // λ = 0 is IPS, λ = 1 gives every positive weight 1 (the mean reward).
        assertClose(try Self.value(SubGaussianInverseProbabilityWeighting(lambda: 0)), 5.6 / 5, relative: 1e-14)
        assertClose(try Self.value(SubGaussianInverseProbabilityWeighting(lambda: 1)), 4.0 / 5, relative: 1e-14)
    }

    @Test func modelBasedEstimators() throws {
        // DM: mean q̂(x, π_e) = 3.7 / 5.
        assertClose(try Self.value(DirectMethod()), 3.7 / 5, relative: 1e-14)
        // DR: DM + Σ w (r − q̂) / n, with w (r − q̂) = [0.16, −0.4, 0.25, 1.5, −0.05], Σ = 1.46.
        assertClose(try Self.value(DoublyRobust()), 0.74 + 1.46 / 5, relative: 1e-14)
        // SNDR: DM + Σ w (r − q̂) / Σ w.
        assertClose(try Self.value(SelfNormalizedDoublyRobust()), 0.74 + 1.46 / 7.6, relative: 1e-14)
        // Switch-DR, λ = 1.8: rounds with w ≤ 1.8 are 0, 2, 4: 0.16 + 0.25 − 0.05.
        assertClose(try Self.value(SwitchDoublyRobust(lambda: 1.8)), 0.74 + 0.36 / 5, relative: 1e-14)
        // λ = 0 keeps no correction (every weight here is positive): DM. λ = ∞ is DR.
        assertClose(try Self.value(SwitchDoublyRobust(lambda: 0)), 0.74, relative: 1e-14)
        assertClose(try Self.value(SwitchDoublyRobust(lambda: .infinity)), 0.74 + 1.46 / 5, relative: 1e-14)
        // DR-OS, λ = 2: ŵ = 2w / (w² + 2) = [3.2/4.56, 4/6, 1/2.25, 6/11, 1/2.25].
        let shrunk = 3.2 / 4.56 * 0.1 - 4.0 / 6 * 0.2 + 1 / 2.25 * 0.5 + 6.0 / 11 * 0.5 - 1 / 2.25 * 0.1
        assertClose(try Self.value(DoublyRobustWithShrinkage(lambda: 2)), 0.74 + shrunk / 5, relative: 1e-14)
        // λ = 0 is DM, λ = ∞ is DR.
        assertClose(try Self.value(DoublyRobustWithShrinkage(lambda: 0)), 0.74, relative: 1e-14)
        assertClose(try Self.value(DoublyRobustWithShrinkage(lambda: .infinity)), 0.74 + 1.46 / 5, relative: 1e-14)
    }

    /// Grouping rounds into episodes changes the intervals, never the point estimate; the terms' mean is the estimate.
    @Test func episodeTermsAverageToTheEstimate() throws {
        let input = try Self.input()
        for estimator: any Estimator in [InverseProbabilityWeighting(), SelfNormalizedInverseProbabilityWeighting(),
                                          DirectMethod(), DoublyRobust(), SelfNormalizedDoublyRobust()] {
            let estimate = try estimator.estimate(input, estimand: .perRequestReward)
            #expect(estimate.episodeTerms.count == 2)
            assertClose(estimate.episodeTerms.reduce(0, +) / 2, estimate.value, relative: 1e-13, estimator.name)
            assertClose(estimate.statistic.value(multiplicities: [1, 1]), estimate.value, relative: 1e-14, estimator.name)
        }
        // Counting the first episode twice is the estimate on the data with it duplicated: IPS over 7 rounds.
        let ips = try InverseProbabilityWeighting().estimate(input, estimand: .perRequestReward)
        assertClose(ips.statistic.value(multiplicities: [2, 1]), (2 * 1.6 + 1 + 3) / 7, relative: 1e-14)
    }

    @Test func parametersOutOfRangeAreRefused() {
        #expect(throws: EvaluationError.self) { try ClippedInverseProbabilityWeighting(lambda: -1) }
        #expect(throws: EvaluationError.self) { try SubGaussianInverseProbabilityWeighting(lambda: 1.5) }
        #expect(throws: EvaluationError.self) { try SwitchDoublyRobust(lambda: .nan) }
        #expect(throws: EvaluationError.self) { try DoublyRobustWithShrinkage(lambda: -0.1) }
    }
}
