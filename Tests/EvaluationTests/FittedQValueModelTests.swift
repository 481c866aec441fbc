import Agents
import EpisodeLog
import Evaluation
import Foundation
import Numerics
import Rollout
import Simulator
import Synchronization
import Testing
import TestSupport

/// FQE as the evaluation's value model on logs of the tiny preset: its transitions are the decisions step for step,
/// FQE of the logging policy lands on the logged returns, the catalog's fqe/conservative-fqe/sequential-dr/wdr share
/// one fit per target, and the refusals.
@Suite("FQE as the value model", .serialized)
struct FittedQValueModelTests {
    /// A log of the tiny world (seed 5) under the mixture, 1,000 sessions: about a hundred complete episodes, so that
    /// the logged mean return has a standard error near 5%.
    static let mixtureLog = try! EpisodeLogEvaluationTests.log("fqe-mixture.sqlite", policy: "mixture", sessions: 1_000)
    static var deterministicLog: String { EpisodeLogEvaluationTests.deterministicLog }

    /// Small, fast FQE settings for a debug build: 32 × 32, K = 2.
    static func fast(steps: Int = 2_000) -> FittedQValueModel.Settings {
        var s = FittedQValueModel.Settings()
        s.steps = steps
        s.hiddenSizes = [32, 32]
        s.actionSamples = 2
        return s
    }

    static func settings(_ log: String, _ policies: [String], _ estimand: Estimand, estimators: [String]?,
                         fqe: FittedQValueModel.Settings = fast()) -> OffPolicyEvaluation.Settings {
        var s = EpisodeLogEvaluationTests.settings(log, policies, estimand, estimators: estimators)
        s.fqe = fqe
        return s
    }

    /// Each episode's realised return Σ_t d_t r_t (d_t ≡ 1 for reward per user-day), from the decisions.
    static func returns(_ data: LoggedDecisions, discounted: Bool) -> [Double] {
        (0..<data.episodes).map { e in data.range(ofEpisode: e).reduce(0.0) { $0 + (discounted ? data.discounts[$1] : 1) * data.rewards[$1] } }
    }

    static func meanAndStandardError(_ values: [Double]) -> (mean: Double, standardError: Double) {
        var statistics = RunningStatistics()
        for v in values { statistics.add(v) }
        return (statistics.mean, statistics.standardDeviation / Double(values.count).squareRoot())
    }

    @Test func theTransitionsAreTheDecisionsStepForStep() throws {
        let discounting = Discounting(perDecision: 0.9)
        let data = try EpisodeLogDecisions.load(path: Self.mixtureLog, discounting: discounting)
        let dataset = try data.offlineDataset(chunk: 100)
        let d = data.decisions
        #expect(dataset.count == d.steps && dataset.episodeStarts == Array(d.episodeOffsets.dropLast()))
        for e in 0..<d.episodes {
            for t in d.range(ofEpisode: e) {
                let slot = dataset.transitions.transition(at: t)
                #expect(slot.reward == Float(d.rewards[t]) && slot.terminal == (t == d.episodeOffsets[e + 1] - 1))
                #expect(slot.state == Array(data.states.row(t)))
                if t + 1 < d.episodeOffsets[e + 1] { #expect(slot.nextState == Array(data.states.row(t + 1))) }
            }
        }
        // The dataset's Monte Carlo returns are the decisions' discounted returns: the same steps and discounts.
        assertClose(dataset.loggedDiscountedReturns(discounting: discounting), Self.returns(d, discounted: true), relative: 1e-5)
        // By time too: the logged hours give the same discounts as the decisions' d_t.
        let byTime = Discounting(perDecision: 1, halfLifeHours: 6)
        let timed = try EpisodeLogDecisions.load(path: Self.mixtureLog, discounting: byTime)
        assertClose(try timed.offlineDataset().loggedDiscountedReturns(discounting: byTime),
                    Self.returns(timed.decisions, discounted: true), relative: 1e-4)
    }

    @Test func fqeOfTheLoggingPolicyLandsOnTheLoggedDiscountedReturn() throws {
        // π_e = π_b: FQE's V̂ averaged over the initial states estimates the same value as the logged returns' mean.
        // Tolerance: 3 standard errors of that mean (the returns scatter around E[G | s_0], which FQE smooths, so the
        // two differ by about one standard error) plus 5% for the critic's approximation and the steps' budget.
        var settings = Self.settings(Self.mixtureLog, ["mixture"], .discountedReturn, estimators: ["fqe", "pdis"])
        settings.discount = 0.9
        let report = try OffPolicyEvaluation(settings: settings).run()
        let data = try EpisodeLogDecisions.load(path: Self.mixtureLog, discounting: Discounting(perDecision: 0.9))
        let logged = Self.meanAndStandardError(Self.returns(data.decisions, discounted: true))
        let estimates = report.policies[0].estimates
        #expect(estimates.map(\.estimator) == ["FQE", "PDIS"])
        assertClose(estimates[1].value, logged.mean, relative: 1e-4)
        let fqe = estimates[0]
        #expect(abs(fqe.value - logged.mean) < 3 * logged.standardError + 0.05 * abs(logged.mean),
                "FQE \(fqe.value), logged \(logged.mean) ± \(logged.standardError)")
        #expect(fqe.lower < fqe.value && fqe.value < fqe.upper && fqe.diagnostics == nil)
        #expect(report.valueModels.count == 1 && report.valueModels[0].hasPrefix("FQE (Le et al. 2019): critic 32 × 32"))
    }

    @Test func perUserDayIsUndiscountedAndConvergesOnFiniteEpisodes() throws {
        // γ = 1 exactly: the undiscounted return to the episode's end, divided by the user-days. The steps are at
        // least one target copy per request of the longest episode, so the value has stopped moving.
        let data = try EpisodeLogDecisions.load(path: Self.mixtureLog, discounting: nil)
        let model = FittedQValueModel(settings: Self.fast(), seed: 1)
        let configuration = try model.configuration(for: .rewardPerUserDay, discounting: nil,
                                                    longestEpisode: data.decisions.longestEpisode)
        #expect(configuration.discount == 1 && configuration.discountHalfLifeHours == 0)
        #expect(configuration.steps == max(2_000, (data.decisions.longestEpisode + 1) * 10))
        // The discounted return with γ = 1 and no half-life is undiscounted too: the same floor; discounted, none.
        let undiscounted = try model.configuration(for: .discountedReturn, discounting: Discounting(perDecision: 1),
                                                   longestEpisode: data.decisions.longestEpisode)
        #expect(undiscounted.steps == configuration.steps && undiscounted.discount == 1)
        let discounted = try model.configuration(for: .discountedReturn, discounting: Discounting(perDecision: 0.9),
                                                 longestEpisode: data.decisions.longestEpisode)
        #expect(discounted.steps == 2_000 && discounted.discount == Float(0.9))
        #expect(throws: OffPolicyEvaluationError.self) {
            _ = try model.configuration(for: .discountedReturn, discounting: nil, longestEpisode: 10)
        }
        let target = try TargetPolicy.resolve("mixture", world: try data.world(), runActionNames: data.run.metadata.actionNames)
        let (fqe, curve) = try model.fit(target: target, data: data, estimand: .rewardPerUserDay)
        let logged = Self.meanAndStandardError(Self.returns(data.decisions, discounted: false))
        let value = fqe.estimate().value
        #expect(abs(value - logged.mean) < 3 * logged.standardError + 0.05 * abs(logged.mean),
                "FQE \(value), logged \(logged.mean) ± \(logged.standardError); curve \(curve.map(\.value))")
        let last = curve.suffix(3).map(\.value)
        #expect(last.max()! - last.min()! < 0.05 * abs(value), "still moving: \(curve.map(\.value))")

        var settings = Self.settings(Self.mixtureLog, ["mixture"], .rewardPerUserDay, estimators: ["fqe"])
        settings.seed = 1
        let report = try OffPolicyEvaluation(settings: settings).run()
        assertClose(report.policies[0].estimates[0].value, value / data.config.episode.horizonDays, relative: 1e-4)
    }

    /// A value model that returns Q̂ = V̂ = 0 and counts its fits.
    final class ZeroModel: SequentialValueModel {
        let fits = Mutex(0)
        var name: String { "zero" }
        var supportedEstimands: [Estimand] { [.discountedReturn, .rewardPerUserDay] }
        func values(target: TargetPolicy, data: EpisodeLogDecisions, estimand: Estimand) throws -> LoggedDecisions.RewardModel {
            fits.withLock { $0 += 1 }
            let zeros = [Double](repeating: 0, count: data.decisions.steps)
            return .init(loggedActionValues: zeros, targetValues: zeros)
        }
    }

    @Test func oneFitPerTargetIsSharedAndAZeroModelMakesSequentialDRThePDIS() throws {
        let zero = ZeroModel()
        let settings = Self.settings(Self.mixtureLog, ["mixture", "baseline"], .discountedReturn,
                                     estimators: ["pdis", "wpdis", "sequential-dr", "wdr", "fqe"])
        let report = try OffPolicyEvaluation(settings: settings, valueModels: [.fqe: zero]).run()
        #expect(zero.fits.withLock { $0 } == 2)
        for policy in report.policies {
            let value = Dictionary(uniqueKeysWithValues: policy.estimates.map { ($0.estimator, $0.value) })
            assertClose(try #require(value["sequential DR"]), try #require(value["PDIS"]), relative: 1e-12, policy.policy)
            assertClose(try #require(value["WDR"]), try #require(value["WPDIS"]), relative: 1e-12, policy.policy)
            #expect(value["FQE"] == 0)
        }
        #expect(report.valueModels == ["zero"])
    }

    @Test func theCatalogRefusesFQEForPerRequestAndRunsItOnlyWhenAsked() throws {
        for name in ["fqe", "conservative-fqe"] {
            let entry = try EstimatorCatalog.entry(name)
            #expect(!entry.estimator.supportedEstimands.contains(.perRequestReward) && entry.needsValueModel && !entry.needsWeights)
        }
        let text = EpisodeLogEvaluationTests.message {
            _ = try OffPolicyEvaluation(settings: Self.settings(Self.mixtureLog, ["mixture"], .perRequestReward,
                                                               estimators: ["fqe"])).run()
        }
        #expect(text == "FQE does not estimate perRequestReward; it estimates discountedReturn, rewardPerUserDay")
        var withFQE = Self.settings(Self.mixtureLog, ["mixture"], .perRequestReward, estimators: nil)
        withFQE.withFQE = true
        let refused = EpisodeLogEvaluationTests.message { _ = try OffPolicyEvaluation(settings: withFQE).run() }
        #expect(refused.hasPrefix("--with-fqe: FQE estimates returns"), "\(refused)")

        #expect(EstimatorCatalog.defaults(for: .discountedReturn) == ["trajectory-is", "pdis", "wpdis"])
        #expect(EstimatorCatalog.defaults(for: .rewardPerUserDay, withFQE: true)
                == ["trajectory-is", "pdis", "wpdis", "sequential-dr", "wdr", "fqe"])
        #expect(EstimatorCatalog.defaults(for: .perRequestReward, withFQE: true).count == 9)
    }

    @Test func aDeterministicLogRefusesTheISFamilyAndFQEStillWorks() throws {
        let log = Self.deterministicLog
        let pdis = EpisodeLogEvaluationTests.message {
            _ = try OffPolicyEvaluation(settings: Self.settings(log, ["baseline"], .discountedReturn, estimators: ["pdis"])).run()
        }
        #expect(pdis.hasPrefix("PDIS on fixed:") && pdis.contains("have no behaviour density") && !pdis.contains("\n"), "\(pdis)")
        let report = try OffPolicyEvaluation(settings: Self.settings(log, ["baseline"], .discountedReturn,
                                                                     estimators: ["fqe", "conservative-fqe"])).run()
        for policy in report.policies {
            #expect(policy.estimates.map(\.estimator) == ["FQE", "conservative FQE"])
            #expect(policy.estimates.allSatisfy { $0.value.isFinite && $0.lower <= $0.value && $0.value <= $0.upper })
            // Conservative FQE lies at most at FQE's value (Kumar et al. 2020, Theorem 3.2), here with a margin of the
            // fits' noise.
            #expect(policy.estimates[1].value <= policy.estimates[0].value + 0.05 * abs(policy.estimates[0].value))
        }
        // FQE of the logging policy on its own deterministic log: the logged mean return, as on the mixture log.
        let data = try EpisodeLogDecisions.load(path: log, discounting: Discounting(perDecision: 0.95))
        let logged = Self.meanAndStandardError(Self.returns(data.decisions, discounted: true))
        #expect(abs(report.policies[0].estimates[0].value - logged.mean) < 3 * logged.standardError + 0.05 * abs(logged.mean),
                "FQE \(report.policies[0].estimates[0].value), logged \(logged.mean) ± \(logged.standardError)")

        var all = Self.settings(log, ["baseline"], .rewardPerUserDay, estimators: nil)
        all.withFQE = true
        let listed = try OffPolicyEvaluation(settings: all).run().policies[0]
        #expect(listed.estimates.map(\.estimator) == ["FQE"])
        #expect(listed.refusals.map(\.estimator) == ["trajectory IS", "PDIS", "WPDIS", "sequential DR", "WDR"])
        #expect(listed.refusals.allSatisfy { $0.reason.contains("no behaviour density") })
    }

    @Test func badFQESettingsAreRefusedWithOneLine() throws {
        var settings = Self.settings(Self.mixtureLog, ["mixture"], .discountedReturn, estimators: ["fqe"])
        settings.fqe.steps = 0
        #expect(EpisodeLogEvaluationTests.message { _ = try OffPolicyEvaluation(settings: settings).run() }
                == "--fqe-steps must be positive, got 0")
        settings.fqe = Self.fast()
        settings.fqe.conservativeAlpha = -1
        #expect(EpisodeLogEvaluationTests.message { _ = try OffPolicyEvaluation(settings: settings).run() }
                == "--fqe-alpha must be positive, got -1.0")
    }
}
