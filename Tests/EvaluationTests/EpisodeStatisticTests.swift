import Evaluation
import Numerics
import Testing
import TestSupport

/// Every estimator's `EpisodeStatistic`: counting an episode c times is the estimator on the data with that episode
/// repeated c times, and the per-episode terms are the linearisation V̂ + m ∂V̂/∂c_i (checked by central differences).
@Suite("Episode statistics")
struct EpisodeStatisticTests {
    /// Episodes of 1–6 steps with random densities, rewards, discounts, model values and user-days.
    static func data(episodes: Int, seed: UInt64) throws -> LoggedDecisions {
        var stream = RandomStream(seed: seed)
        var offsets = [0], rewards = [Double](), discounts = [Double](), behaviour = [Double](), target = [Double]()
        var q = [Double](), v = [Double](), days = [Double]()
        for _ in 0..<episodes {
            let length = 1 + stream.nextIndex(below: 6)
            for t in 0..<length {
                rewards.append(stream.normal(mean: 1, standardDeviation: 1))
                discounts.append(Elementary.pow(0.9, Double(t)))
                behaviour.append(stream.normal(mean: 0, standardDeviation: 0.5))
                target.append(stream.normal(mean: 0, standardDeviation: 0.5))
                q.append(stream.normal(mean: 1, standardDeviation: 0.5))
                v.append(stream.normal(mean: 1, standardDeviation: 0.5))
            }
            offsets.append(rewards.count)
            days.append(5 + 4 * stream.nextUniform())
        }
        return try LoggedDecisions(rewards: rewards, discounts: discounts, episodeOffsets: offsets,
                                   behaviourLogDensities: behaviour, target: .logDensities(target),
                                   rewardModel: .init(loggedActionValues: q, targetValues: v), userDays: days)
    }

    /// The data with episode e repeated `counts[e]` times (in order).
    static func repeated(_ data: LoggedDecisions, counts: [Int]) throws -> LoggedDecisions {
        var indices = [Int](), offsets = [0], days = [Double]()
        for e in 0..<data.episodes {
            for _ in 0..<counts[e] {
                indices += Array(data.range(ofEpisode: e))
                offsets.append(indices.count)
                days.append(data.userDays![e])
            }
        }
        guard case .logDensities(let target)? = data.target else { fatalError("test data has target densities") }
        let model = data.rewardModel!
        return try LoggedDecisions(
            rewards: indices.map { data.rewards[$0] }, discounts: indices.map { data.discounts[$0] }, episodeOffsets: offsets,
            behaviourLogDensities: indices.map { data.behaviourLogDensities![$0] }, target: .logDensities(indices.map { target[$0] }),
            rewardModel: .init(loggedActionValues: indices.map { model.loggedActionValues[$0] },
                               targetValues: indices.map { model.targetValues[$0] }),
            userDays: days)
    }

    static let cases: [(any Estimator, Estimand)] = {
        var cases: [(any Estimator, Estimand)] = []
        let perRequest: [any Estimator] = [
            InverseProbabilityWeighting(), SelfNormalizedInverseProbabilityWeighting(),
            try! ClippedInverseProbabilityWeighting(lambda: 1.5), try! SubGaussianInverseProbabilityWeighting(lambda: 0.3),
            DirectMethod(), DoublyRobust(), SelfNormalizedDoublyRobust(), try! SwitchDoublyRobust(lambda: 1.5),
            try! DoublyRobustWithShrinkage(lambda: 2),
        ]
        cases += perRequest.map { ($0, Estimand.perRequestReward) }
        let sequential: [any Estimator] = [
            TrajectoryImportanceSampling(), PerDecisionImportanceSampling(), PerDecisionDoublyRobust(),
            WeightedPerDecisionImportanceSampling(), WeightedDoublyRobust(),
        ]
        for estimand in [Estimand.discountedReturn, .rewardPerUserDay] { cases += sequential.map { ($0, estimand) } }
        return cases
    }()

    @Test func multiplicitiesAreRepeatedEpisodes() throws {
        let data = try Self.data(episodes: 12, seed: 31)
        var stream = RandomStream(seed: 32)
        let counts = (0..<12).map { _ in stream.nextIndex(below: 4) }
        let repeatedInput = try EvaluationInput(Self.repeated(data, counts: counts))
        let input = try EvaluationInput(data)
        for (estimator, estimand) in Self.cases {
            let statistic = try estimator.statistic(input, estimand: estimand)
            let direct = try estimator.estimate(repeatedInput, estimand: estimand).value
            assertClose(statistic.value(multiplicities: counts.map(Double.init)), direct, relative: 1e-11,
                        "\(estimator.name), \(estimand)")
        }
    }

    @Test func termsAreTheLinearisation() throws {
        let data = try Self.data(episodes: 15, seed: 33)
        let input = try EvaluationInput(data)
        let m = data.episodes
        for (estimator, estimand) in Self.cases {
            let statistic = try estimator.statistic(input, estimand: estimand)
            #expect(statistic.episodeTerms.count == m)
            assertClose(statistic.episodeTerms.reduce(0, +) / Double(m), statistic.value, relative: 1e-11,
                        "\(estimator.name), \(estimand): the terms' mean")
            let epsilon = 1e-5
            var differences = [Double]()
            for i in 0..<m {
                var up = [Double](repeating: 1, count: m), down = up
                up[i] += epsilon
                down[i] -= epsilon
                let derivative = (statistic.value(multiplicities: up) - statistic.value(multiplicities: down)) / (2 * epsilon)
                differences.append(statistic.value + Double(m) * derivative)
            }
            assertClose(statistic.episodeTerms, differences, relative: 1e-6, absolute: 1e-6, "\(estimator.name), \(estimand)")
        }
    }
}
