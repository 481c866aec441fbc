import Evaluation
import Numerics
import Testing
import TestSupport

/// What the estimators refuse, and with which message; and the −∞ target density that is not an error.
@Suite("Refusals")
struct RefusalTests {
    static func data(behaviour: [Double]? = [-1, -1, -1, -1], target: [Double] = [-1, -1, -1, -1],
                     model: Bool = true, userDays: [Double]? = nil) throws -> LoggedDecisions {
        try LoggedDecisions(rewards: [1, 2, 3, 4], episodeOffsets: [0, 2, 4], behaviourLogDensities: behaviour,
                            target: .logDensities(target),
                            rewardModel: model ? .init(loggedActionValues: [1, 1, 1, 1], targetValues: [2, 2, 2, 2]) : nil,
                            userDays: userDays)
    }

    /// Runs `body`, expecting an `EvaluationError`, and returns its one-line message.
    static func message(_ body: () throws -> Void) -> String {
        do {
            try body()
        } catch let error as EvaluationError {
            return error.description
        } catch {
            return "unexpected \(error)"
        }
        return "no error"
    }

    @Test func minusInfiniteTargetDensityGivesWeightZero() throws {
        let input = try EvaluationInput(Self.data(target: [-1, -.infinity, -1, -.infinity]))
        #expect(try #require(input.weights).weights == [1, 0, 1, 0])
        assertClose(try InverseProbabilityWeighting().estimate(input, estimand: .perRequestReward).value, (1.0 + 3) / 4)
        // PDIS: the second decision of each episode has ρ_{0:1} = 0.
        assertClose(try PerDecisionImportanceSampling().estimate(input, estimand: .discountedReturn).value, (1.0 + 3) / 2)
        #expect(try TrajectoryImportanceSampling().estimate(input, estimand: .discountedReturn).value == 0)
    }

    @Test func invalidBehaviourDensityIsRefusedNamingTheStep() throws {
        for bad in [-Double.infinity, .nan, .infinity] {
            let text = Self.message { _ = try EvaluationInput(Self.data(behaviour: [-1, -1, bad, -1])) }
            #expect(text.hasPrefix("step 2 (episode 1, decision 0): behaviour log-density"), "\(text)")
        }
        let nanTarget = Self.message { _ = try EvaluationInput(Self.data(target: [-1, .nan, -1, -1])) }
        #expect(nanTarget.hasPrefix("step 1 (episode 0, decision 1): target log-density"), "\(nanTarget)")
    }

    @Test func missingBehaviourDensitiesRefuseTheImportanceFamilyButNotDM() throws {
        let input = try EvaluationInput(Self.data(behaviour: nil))
        #expect(input.weights == nil)
        let ips = Self.message { _ = try InverseProbabilityWeighting().estimate(input, estimand: .perRequestReward) }
        #expect(ips == "IPS weights by π_e/π_b, but the data has no behaviour or no target densities")
        let pdis = Self.message { _ = try PerDecisionImportanceSampling().estimate(input, estimand: .discountedReturn) }
        #expect(pdis.hasPrefix("PDIS weights by π_e/π_b"))
        assertClose(try DirectMethod().estimate(input, estimand: .perRequestReward).value, 2)
    }

    @Test func unsupportedEstimandsAndMissingColumnsAreRefused() throws {
        let input = try EvaluationInput(Self.data(model: false))
        let text = Self.message { _ = try InverseProbabilityWeighting().estimate(input, estimand: .discountedReturn) }
        #expect(text == "IPS does not estimate discountedReturn; it estimates perRequestReward")
        let pdis = Self.message { _ = try PerDecisionImportanceSampling().estimate(input, estimand: .perRequestReward) }
        #expect(pdis == "PDIS does not estimate perRequestReward; it estimates discountedReturn, rewardPerUserDay")
        #expect(Self.message { _ = try DoublyRobust().estimate(input, estimand: .perRequestReward) }
            == "DR needs reward-model values q̂(s, a) and v̂(s), but the data has none")
        #expect(Self.message { _ = try WeightedPerDecisionImportanceSampling().estimate(input, estimand: .rewardPerUserDay) }
            == "reward per user-day needs each episode's user-days, but the data has none")
        let zero = try EvaluationInput(Self.data(target: [-.infinity, -.infinity, -.infinity, -.infinity]))
        #expect(Self.message { _ = try SelfNormalizedInverseProbabilityWeighting().estimate(zero, estimand: .perRequestReward) }
            .hasPrefix("SNIPS: no logged step has a positive target density"))
    }

    @Test func malformedColumnsAreRefused() {
        #expect(Self.message { _ = try LoggedDecisions(rewards: [1, 2], episodeOffsets: [0, 1]) }
            == "logged decisions: episode offsets must run from 0 to the 2 steps, with at least one episode")
        #expect(Self.message { _ = try LoggedDecisions(rewards: [1, 2], episodeOffsets: [0, 0, 2]) }
            .hasPrefix("logged decisions: episode 0 is empty"))
        #expect(Self.message { _ = try LoggedDecisions(rewards: [1, 2], episodeOffsets: [0, 2], behaviourLogDensities: [0]) }
            == "logged decisions: 1 behaviour log-densities for 2 steps")
        #expect(Self.message { _ = try LoggedDecisions(rewards: [1, .nan], episodeOffsets: [0, 2]) }
            == "logged decisions: reward nan at step 1")
        #expect(Self.message { _ = try LoggedDecisions(rewards: [1, 2], episodeOffsets: [0, 2], userDays: [0]) }
            .hasPrefix("logged decisions: user-days 0.0 of episode 0"))
    }

    /// Trajectory weights beyond the `Double` range: the unnormalised estimators refuse, the weighted ones rescale.
    @Test func overflowingTrajectoryWeights() throws {
        let n = 20
        let data = try LoggedDecisions(rewards: [Double](repeating: 1, count: 2 * n), episodeOffsets: [0, n, 2 * n],
                                       behaviourLogDensities: [Double](repeating: -60, count: 2 * n),
                                       target: .logDensities([Double](repeating: 0, count: 2 * n)))
        let input = try EvaluationInput(data)
        #expect(Self.message { _ = try PerDecisionImportanceSampling().estimate(input, estimand: .discountedReturn) }
            .hasPrefix("step 11 (episode 0, decision 11): importance weight exp("))
        // Equal weights across episodes at every decision: WPDIS is the mean return, 20.
        let wpdis = try WeightedPerDecisionImportanceSampling().estimate(input, estimand: .discountedReturn)
        assertClose(wpdis.value, Double(n), relative: 1e-12)
        assertClose(wpdis.episodeTerms, [Double(n), Double(n)], relative: 1e-12)
        #expect(try #require(wpdis.diagnostics).effectiveSampleSize == 2)
    }
}
