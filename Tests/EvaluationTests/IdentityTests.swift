import Evaluation
import Numerics
import Testing
import TestSupport

/// Identities every estimator must satisfy exactly, whatever the data: on-policy weights, an exact reward model,
/// self-normalisation's range.
@Suite("Identities")
struct IdentityTests {
    /// Logged data whose target is the behaviour policy itself: random densities, equal for both.
    static func onPolicy(seed: UInt64) throws -> LoggedDecisions {
        var stream = RandomStream(seed: seed)
        var offsets = [0], rewards = [Double](), densities = [Double](), discounts = [Double]()
        for _ in 0..<40 {
            let length = 1 + stream.nextIndex(below: 9)
            for t in 0..<length {
                rewards.append(stream.normal(mean: 1, standardDeviation: 2))
                densities.append(stream.normal(mean: -3, standardDeviation: 4))
                discounts.append(Elementary.pow(0.95, Double(t)))
            }
            offsets.append(rewards.count)
        }
        return try LoggedDecisions(rewards: rewards, discounts: discounts, episodeOffsets: offsets,
                                   behaviourLogDensities: densities, target: .logDensities(densities),
                                   userDays: [Double](repeating: 7, count: 40))
    }

    @Test func onPolicyWeightsAreOneAndISIsTheOnPolicyMean() throws {
        let data = try Self.onPolicy(seed: 1)
        let input = try EvaluationInput(data)
        let weights = try #require(input.weights)
        #expect(weights.weights.allSatisfy { $0 == 1 })
        #expect(weights.cumulativeLogWeights.allSatisfy { $0 == 0 })

        let meanReward = data.rewards.reduce(0, +) / Double(data.steps)
        let returns = (0..<data.episodes).map { e in data.range(ofEpisode: e).reduce(0.0) { $0 + data.discounts[$1] * data.rewards[$1] } }
        let meanReturn = returns.reduce(0, +) / Double(data.episodes)
        let totals = (0..<data.episodes).map { e in data.range(ofEpisode: e).reduce(0.0) { $0 + data.rewards[$1] } }
        let perUserDay = totals.reduce(0, +) / Double(data.episodes) / 7

        for estimator: any Estimator in [InverseProbabilityWeighting(), SelfNormalizedInverseProbabilityWeighting(),
                                          try ClippedInverseProbabilityWeighting(lambda: 1),
                                          try SubGaussianInverseProbabilityWeighting(lambda: 0.3)] {
            assertClose(try estimator.estimate(input, estimand: .perRequestReward).value, meanReward, relative: 1e-12, estimator.name)
        }
        for estimator: any Estimator in [TrajectoryImportanceSampling(), PerDecisionImportanceSampling(),
                                          WeightedPerDecisionImportanceSampling()] {
            let estimate = try estimator.estimate(input, estimand: .discountedReturn)
            assertClose(estimate.value, meanReturn, relative: 1e-12, estimator.name)
            // The terms of an on-policy estimate are the episodes' own returns.
            assertClose(estimate.episodeTerms, returns, relative: 1e-10, absolute: 1e-12, estimator.name)
            assertClose(try estimator.estimate(input, estimand: .rewardPerUserDay).value, perUserDay, relative: 1e-12,
                        "\(estimator.name) per user-day")
            let diagnostics = try #require(estimate.diagnostics)
            #expect(diagnostics.effectiveSampleSize == Double(data.episodes) && diagnostics.warning == nil)
        }
    }

    /// With r = q̂ at every logged step the correction terms vanish: DR and its variants equal DM, whatever the
    /// (here constant) propensity.
    @Test func exactRewardModelMakesDREqualDM() throws {
        var stream = RandomStream(seed: 2)
        let n = 60
        var rewards = [Double](), target = [Double](), v = [Double]()
        for _ in 0..<n {
            rewards.append(stream.normal(mean: 2, standardDeviation: 1))
            target.append(Elementary.log(0.1 + 0.8 * stream.nextUniform()))
            v.append(stream.normal(mean: 1, standardDeviation: 1))
        }
        let data = try LoggedDecisions(
            rewards: rewards, episodeOffsets: Array(stride(from: 0, through: n, by: 3)),
            behaviourLogDensities: [Double](repeating: Elementary.log(0.25), count: n), target: .logDensities(target),
            rewardModel: .init(loggedActionValues: rewards, targetValues: v))
        let input = try EvaluationInput(data)
        let dm = try DirectMethod().estimate(input, estimand: .perRequestReward).value
        assertClose(dm, v.reduce(0, +) / Double(n), relative: 1e-13)
        for estimator: any Estimator in [DoublyRobust(), SelfNormalizedDoublyRobust(), try SwitchDoublyRobust(lambda: 2),
                                          try DoublyRobustWithShrinkage(lambda: 1)] {
            assertClose(try estimator.estimate(input, estimand: .perRequestReward).value, dm, relative: 1e-13, estimator.name)
        }
    }

    /// Sequential DR and WDR with an exact model (one-step episodes with q̂ = r) leave only the model's value of the
    /// first states, the mean of v̂, whatever the weights.
    @Test func sequentialDRWithAnExactModelIsTheModelsValue() throws {
        let rewards = [1.0, 3, 2, 5]
        let data = try LoggedDecisions(
            rewards: rewards, episodeOffsets: [0, 1, 2, 3, 4],
            behaviourLogDensities: [-1, -2, -0.5, -1.5], target: .logDensities([-0.7, -2.5, -0.1, -3]),
            rewardModel: .init(loggedActionValues: rewards, targetValues: [0.5, 1, 1.5, 2]), userDays: [1, 1, 1, 1])
        let input = try EvaluationInput(data)
        for estimator: any Estimator in [PerDecisionDoublyRobust(), WeightedDoublyRobust()] {
            assertClose(try estimator.estimate(input, estimand: .discountedReturn).value, 1.25, relative: 1e-13, estimator.name)
        }
    }

    /// Per-decision DR with Q̂ = V̂ = 0 is PDIS, and WDR with them is WPDIS, term for term (Jiang & Li 2016: PDIS is
    /// DR's zero-model case), on both sequential estimands.
    @Test func sequentialDRWithAZeroModelIsPerDecisionIS() throws {
        var data = try EpisodeStatisticTests.data(episodes: 30, seed: 8)
        data.rewardModel = .init(loggedActionValues: [Double](repeating: 0, count: data.steps),
                                 targetValues: [Double](repeating: 0, count: data.steps))
        let input = try EvaluationInput(data)
        for estimand in [Estimand.discountedReturn, .rewardPerUserDay] {
            let dr = try PerDecisionDoublyRobust().estimate(input, estimand: estimand)
            let pdis = try PerDecisionImportanceSampling().estimate(input, estimand: estimand)
            assertClose(dr.value, pdis.value, relative: 1e-13, "\(estimand)")
            assertClose(dr.episodeTerms, pdis.episodeTerms, relative: 1e-12, "\(estimand)")
            let wdr = try WeightedDoublyRobust().estimate(input, estimand: estimand)
            let wpdis = try WeightedPerDecisionImportanceSampling().estimate(input, estimand: estimand)
            assertClose(wdr.value, wpdis.value, relative: 1e-13, "\(estimand)")
        }
        #expect(try PerDecisionImportanceSampling().estimate(input, estimand: .discountedReturn).value != 0)
    }

    /// SNIPS is a weighted mean of the rewards, so it stays within [min r, max r] however wild the weights.
    @Test func snipsStaysWithinTheRewardRange() throws {
        var stream = RandomStream(seed: 3)
        for trial in 0..<200 {
            let n = 1 + stream.nextIndex(below: 30)
            let rewards = (0..<n).map { _ in stream.normal(mean: 0, standardDeviation: 5) }
            let behaviour = (0..<n).map { _ in stream.normal(mean: 0, standardDeviation: 3) }
            let target = (0..<n).map { _ in stream.normal(mean: 0, standardDeviation: 3) }
            let data = try LoggedDecisions(rewards: rewards, episodeOffsets: Array(0...n),
                                           behaviourLogDensities: behaviour, target: .logDensities(target))
            let value = try SelfNormalizedInverseProbabilityWeighting().estimate(try EvaluationInput(data), estimand: .perRequestReward).value
            let (lo, hi) = (rewards.min()!, rewards.max()!)
            #expect(value >= lo - 1e-12 * abs(lo) && value <= hi + 1e-12 * abs(hi), "trial \(trial): \(value) outside [\(lo), \(hi)]")
        }
    }
}
