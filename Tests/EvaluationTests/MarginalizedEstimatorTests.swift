import EpisodeLog
import Evaluation
import Foundation
import Numerics
import Simulator
import Testing
import TestSupport

/// MWL's occupancy weights and the marginalised estimator: the telescoping identity that makes a constant weight exact
/// when the target takes the logged actions, on made-up data and on a log of a deterministic policy, and the logging
/// policy's value on a mixture log.
@Suite("Marginalised importance sampling (MWL)", .serialized)
struct MarginalizedEstimatorTests {
    /// When the target's action at every logged state is the logged one, E_d[(n/m)(φ − φ′)] = E_{s₀}[φ] telescopes
    /// within each episode, so w ≡ n/m (the mean episode length) solves MWL's equations and MWL is the mean logged
    /// undiscounted return, whatever the states, actions, rewards and episode lengths.
    @Test func theDirectSolveRecoversAKnownSolutionAndRefusesASingularSystem() throws {
        // A non-symmetric system whose first pivot is 0 (row exchange needed), θ known.
        let p = 4
        let m: [Double] = [0, 2, -1, 3,
                           4, 1, 0, -2,
                           -1, 5, 2, 1,
                           3, 0, -4, 2]
        let theta: [Double] = [1.5, -2, 0.25, 3]
        let b = (0..<p).map { i in (0..<p).reduce(0.0) { $0 + m[i * p + $1] * theta[$1] } }
        let solved = try #require(MinimaxWeightLearning.luSolve(m, b, p))
        for i in 0..<p { #expect(abs(solved[i] - theta[i]) < 1e-12, "θ[\(i)] = \(solved[i]), expected \(theta[i])") }
        var singular = m
        for j in 0..<p { singular[3 * p + j] = singular[j] + singular[p + j] }
        #expect(MinimaxWeightLearning.luSolve(singular, b, p) == nil)
    }

    @Test func aTargetTakingTheLoggedActionsGetsTheMeanEpisodeLength() throws {
        var stream = RandomStream(seed: 12)
        let space = ActionSpace(names: ["w.a", "w.b"], low: [0, -1], high: [2, 1], baseline: [1, 0])
        var offsets = [0], rewards = [Double](), stateValues = [Float](), actionValues = [Float]()
        for _ in 0..<60 {
            for _ in 0..<(1 + stream.nextIndex(below: 12)) {
                stateValues += (0..<3).map { _ in Float(stream.normal()) }
                actionValues += [Float(2 * stream.nextUniform()), Float(2 * stream.nextUniform() - 1)]
                rewards.append(stream.normal(mean: 1, standardDeviation: 2))
            }
            offsets.append(rewards.count)
        }
        let n = rewards.count, m = offsets.count - 1
        let states = Matrix(rows: n, columns: 3, elements: stateValues)
        let actions = Matrix(rows: n, columns: 2, elements: actionValues)
        let x = (0..<n).flatMap { r in (0..<2).map { Double(space.normalize(actions[r, $0], dimension: $0)) } }
        let w = try MinimaxWeightLearning.weights(states: states, actions: actions, episodeOffsets: offsets,
                                                  transitionDiscounts: [Double](repeating: 1, count: n),
                                                  moments: (x, x.map { $0 * $0 }), runSpace: space)
        let length = Double(n) / Double(m)
        #expect(w.allSatisfy { abs($0 - length) < 1e-3 * length }, "w in [\(w.min()!), \(w.max()!)], n/m = \(length)")

        var data = try LoggedDecisions(rewards: rewards, episodeOffsets: offsets, userDays: [Double](repeating: 3, count: m))
        data.occupancyWeights = w
        let estimate = try MarginalizedImportanceSampling().estimate(try EvaluationInput(data), estimand: .rewardPerUserDay)
        assertClose(estimate.value, rewards.reduce(0, +) / Double(m) / 3, relative: 1e-3)
        // The same actions under another target: the weights move away from the constant.
        let shifted = x.map { $0 * 0.5 }
        let other = try MinimaxWeightLearning.weights(states: states, actions: actions, episodeOffsets: offsets,
                                                      transitionDiscounts: [Double](repeating: 1, count: n),
                                                      moments: (shifted, shifted.map { $0 * $0 }), runSpace: space)
        #expect(other.contains { abs($0 - length) > 0.05 * length })
    }

    @Test func mwlOfTheLoggingPolicyOnItsOwnDeterministicLogIsTheLoggedMean() throws {
        let log = EpisodeLogEvaluationTests.deterministicLog
        let report = try OffPolicyEvaluation(settings: EpisodeLogEvaluationTests.settings(log, ["baseline"], .rewardPerUserDay,
                                                                                          estimators: ["mwl"])).run()
        let data = try EpisodeLogDecisions.load(path: log, discounting: nil)
        let mean = data.decisions.rewards.reduce(0, +) / Double(data.decisions.episodes) / data.config.episode.horizonDays
        let estimate = report.policies[0].estimates[0]
        #expect(estimate.estimator == "MWL" && estimate.diagnostics == nil)
        assertClose(estimate.value, mean, relative: 1e-3)
    }

    @Test func mwlOfTheLoggingPolicyOnAMixtureLogLandsOnTheLoggedReturn() throws {
        // Not exact here (the target's sampled actions are not the logged ones): 3 standard errors of the logged mean,
        // plus 5% for the linear class.
        let log = FittedQValueModelTests.mixtureLog
        var settings = EpisodeLogEvaluationTests.settings(log, ["mixture"], .discountedReturn, estimators: ["mwl", "pdis"])
        settings.discount = 0.9
        let report = try OffPolicyEvaluation(settings: settings).run()
        let data = try EpisodeLogDecisions.load(path: log, discounting: Discounting(perDecision: 0.9))
        let logged = FittedQValueModelTests.meanAndStandardError(FittedQValueModelTests.returns(data.decisions, discounted: true))
        let mwl = report.policies[0].estimates[0].value
        #expect(abs(mwl - logged.mean) < 3 * logged.standardError + 0.05 * abs(logged.mean),
                "MWL \(mwl), logged \(logged.mean) ± \(logged.standardError)")
        #expect(!EstimatorCatalog.defaults(for: .discountedReturn, withFQE: true).contains("mwl"))
    }
}
