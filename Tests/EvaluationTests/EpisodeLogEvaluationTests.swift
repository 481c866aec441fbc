import Agents
import EpisodeLog
import Evaluation
import Foundation
import Numerics
import Rollout
import Simulator
import Testing
import TestSupport

/// Off-policy evaluation from episode logs of the tiny preset: the identities of evaluating the logging policy itself,
/// logs without behaviour densities, deterministic targets with kernel weights, and the refusals.
@Suite("Evaluation from episode logs", .serialized)
struct EpisodeLogEvaluationTests {
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mtfsim-ope-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A log of `sessions` sessions of the tiny world (seed 5) under `policy`.
    static func log(_ name: String, policy: String, sessions: Int = 300) throws -> String {
        let path = directory.appendingPathComponent(name).path
        let (config, text) = try EnvironmentLoader.resolve("tiny")
        let world = try World(config: config, seed: 5)
        let run = SimulationRun(world: world, environmentText: text, policy: try PolicyResolver.resolve(policy, world: world),
                                ranker: OracleNoiseRanker(config: config), seed: 5, sessions: sessions, threads: 2)
        _ = try run.run(log: path)
        return path
    }

    static let mixtureLog = try! log("mixture.sqlite", policy: "mixture")
    static let deterministicLog = try! log("baseline.sqlite", policy: "baseline", sessions: 150)

    /// The run's complete episodes read independently of `EpisodeColumns`: episodes with a session that did not end
    /// in a return, with their steps in order.
    static func completeEpisodes(_ path: String) throws -> [[LoggedStep]] {
        let reader = try EpisodeLogFile.open(path: path)
        defer { try? reader.close() }
        let run = try reader.runs()[0].id
        var complete = Set<Int>()
        try reader.sessions(run: run).forEach { batch in
            for s in batch where s.end != .returned { complete.insert(s.episode) }
        }
        var steps: [Int: [LoggedStep]] = [:]
        try reader.steps(run: run).forEach { batch in
            for s in batch where complete.contains(s.episode) { steps[s.episode, default: []].append(s.step) }
        }
        return complete.sorted().map { steps[$0]! }
    }

    static func settings(_ log: String, _ policies: [String], _ estimand: Estimand, estimators: [String]?) -> OffPolicyEvaluation.Settings {
        var s = OffPolicyEvaluation.Settings(log: log, policies: policies)
        s.estimand = estimand
        s.estimators = estimators
        s.threads = 2
        return s
    }

    /// Runs `body`, expecting an `OffPolicyEvaluationError`, and returns its message.
    static func message(_ body: () throws -> Void) -> String {
        do {
            try body()
        } catch let error as OffPolicyEvaluationError {
            return error.description
        } catch {
            return "unexpected \(error)"
        }
        return "no error"
    }

    @Test func evaluatingTheLoggingPolicyGivesWeightOneAndTheLoggedMeans() throws {
        let episodes = try Self.completeEpisodes(Self.mixtureLog)
        let data = try EpisodeLogDecisions.load(path: Self.mixtureLog, discounting: Discounting(perDecision: 0.9))
        #expect(data.decisions.episodes == episodes.count && data.decisions.steps == episodes.reduce(0) { $0 + $1.count })
        #expect(data.users == .all && data.missingBehaviourDensities == nil)
        let target = try TargetPolicy.resolve("mixture", world: try data.world(), runActionNames: data.run.metadata.actionNames)
        #expect(target.kind == .stochastic)
        var decisions = data.decisions
        decisions.target = .logDensities(try #require(try target.logDensities(states: data.states, actions: data.actions, smoothing: nil)))
        let input = try EvaluationInput(decisions)
        let weights = try #require(input.weights).weights
        #expect(weights.allSatisfy { abs($0 - 1) < 1e-4 }, "largest |w − 1| = \(weights.map { abs($0 - 1) }.max()!)")

        let rewards = episodes.flatMap { $0.map(\.reward) }
        let meanReward = rewards.reduce(0, +) / Double(rewards.count)
        assertClose(try InverseProbabilityWeighting().estimate(input, estimand: .perRequestReward).value, meanReward, relative: 1e-4)
        let discountedReturns = episodes.map { steps in
            steps.enumerated().reduce(0.0) { $0 + Elementary.pow(Double(Float(0.9)), Double($1.offset)) * $1.element.reward }
        }
        let meanReturn = discountedReturns.reduce(0, +) / Double(episodes.count)
        assertClose(try PerDecisionImportanceSampling().estimate(input, estimand: .discountedReturn).value, meanReturn, relative: 1e-4)
    }

    @Test func theTruthOfTheLoggingPolicyLiesInItsEstimatesInterval() throws {
        var settings = Self.settings(Self.mixtureLog, ["mixture"], .perRequestReward, estimators: ["ips", "dr"])
        settings.truthSessions = 1200
        let report = try OffPolicyEvaluation(settings: settings).run()
        let entry = report.policies[0]
        let truth = try #require(entry.truth)
        #expect(report.truth?.seed == 6 && report.truth?.users == "all")
        for estimate in entry.estimates {
            #expect(estimate.lower <= truth.value && truth.value <= estimate.upper, "\(estimate.estimator): \(estimate) against \(truth)")
            #expect(estimate.covers == true && estimate.error == estimate.value - truth.value)
        }
    }

    @Test func replicatedTruthRerunsTheLoggedEpisodesAndAveragesOverSeeds() throws {
        let data = try EpisodeLogDecisions.load(path: Self.mixtureLog, discounting: nil)
        let world = try data.world()
        let users = data.users ?? .all
        #expect(data.episodeIDs.count == data.decisions.episodes && data.episodeIDs == data.episodeIDs.sorted())
        // The logging policy itself, seeded as the log: the log's own episodes, step for step.
        let behaviour = try TargetPolicy.resolve("mixture", world: world, runActionNames: data.run.metadata.actionNames)
        let again = try OnPolicyTruth.loggedEpisodes(target: behaviour, log: data, world: world, users: users,
                                                     estimand: .rewardPerUserDay, seed: data.run.metadata.seed, threads: 2)
        #expect(again.episodes == data.decisions.episodes && again.steps == data.decisions.steps)
        let loggedPerUserDay = data.decisions.rewards.reduce(0, +) / data.decisions.userDays!.reduce(0, +)
        assertClose(again.value, loggedPerUserDay, relative: 1e-9)

        let target = try TargetPolicy.resolve("baseline", world: world, runActionNames: data.run.metadata.actionNames)
        let single = try (0..<3).map { r in
            try OnPolicyTruth.loggedEpisodes(target: target, log: data, world: world, users: users,
                                             estimand: .rewardPerUserDay, seed: 40 + UInt64(r), threads: 2)
        }
        #expect(single.allSatisfy { $0.episodes == data.decisions.episodes })
        let replicated = try OnPolicyTruth.replicated(target: target, log: data, world: world, users: users,
                                                      estimand: .rewardPerUserDay, seed: 40, replicates: 3, threads: 1)
        #expect(replicated.replicateValues == single.map(\.value))
        let interval = tInterval(values: single.map(\.value))
        assertClose(replicated.value, interval.estimate, relative: 1e-12)
        assertClose(replicated.lower, interval.lower, relative: 1e-12)
        assertClose(replicated.upper, interval.upper, relative: 1e-12)
        #expect(replicated.lower < replicated.value && replicated.value < replicated.upper)
        for run in single { assertClose(run.rewardPerUserDay, run.value, relative: 1e-9) }
        let one = try OnPolicyTruth.replicated(target: target, log: data, world: world, users: users, estimand: .perRequestReward,
                                               seed: 40, replicates: 1, threads: 2)
        #expect(one.replicateValues == nil)
        assertClose(one.perRequestReward, one.value, relative: 1e-9)
        assertClose(one.rewardPerUserDay, single[0].value, relative: 1e-12)
        #expect(Self.message {
            _ = try OnPolicyTruth.replicated(target: target, log: data, world: world, users: users, estimand: .rewardPerUserDay,
                                             seed: 40, replicates: 0, threads: 1)
        }.contains("--truth-replicates must be positive"))
        // The first episodes only: the same steps as the full load's first episodes, and the truth on them.
        let limit = data.episodeIDs[data.episodeIDs.count / 2]
        let first = try EpisodeLogDecisions.load(path: Self.mixtureLog, discounting: nil, episodeLimit: limit)
        #expect(first.episodeIDs == data.episodeIDs.filter { $0 < limit } && first.decisions.episodes < data.decisions.episodes)
        #expect(first.decisions.rewards == Array(data.decisions.rewards.prefix(first.decisions.steps)))
        let firstTruth = try OnPolicyTruth.loggedEpisodes(target: target, log: first, world: world, users: users,
                                                          estimand: .rewardPerUserDay, seed: 40, threads: 2)
        #expect(firstTruth.episodes == first.decisions.episodes)
        var both = Self.settings(Self.mixtureLog, ["baseline"], .rewardPerUserDay, estimators: ["pdis"])
        both.truthSessions = 300
        both.truthReplicates = 2
        #expect(Self.message { _ = try OffPolicyEvaluation(settings: both).run() }.contains("not both"))
    }

    @Test func aDeterministicLogRefusesTheWeightingEstimatorsAndDMStillWorks() throws {
        let data = try EpisodeLogDecisions.load(path: Self.deterministicLog, discounting: nil)
        #expect(data.decisions.behaviourLogDensities == nil)
        let text = Self.message {
            _ = try OffPolicyEvaluation(settings: Self.settings(Self.deterministicLog, ["baseline"], .perRequestReward,
                                                               estimators: ["ips"])).run()
        }
        #expect(text.hasPrefix("IPS on fixed:") && text.contains("(exploration group deterministic) have no behaviour density"), "\(text)")
        #expect(!text.contains("\n"))
        let report = try OffPolicyEvaluation(settings: Self.settings(Self.deterministicLog, ["baseline", "mixture"],
                                                                     .perRequestReward, estimators: ["dm"])).run()
        #expect(report.policies.allSatisfy { $0.estimates.count == 1 && $0.estimates[0].value.isFinite })
        // Without an explicit list, the refusals are reported beside DM.
        let all = try OffPolicyEvaluation(settings: Self.settings(Self.deterministicLog, ["baseline"], .perRequestReward,
                                                                  estimators: nil)).run()
        #expect(all.policies[0].estimates.map(\.estimator) == ["DM"])
        #expect(all.policies[0].refusals.count == 8)
    }

    @Test func aDeterministicTargetOnAMixtureLogIsKernelWeighted() throws {
        let report = try OffPolicyEvaluation(settings: Self.settings(Self.mixtureLog, ["baseline"], .perRequestReward,
                                                                     estimators: ["ips", "snips", "dr"])).run()
        let entry = report.policies[0]
        #expect(entry.kind == .deterministic)
        let smoothing = try #require(entry.smoothing)
        #expect(smoothing.rule == "Scott's rule" && smoothing.bandwidths.count == 3 && smoothing.bandwidths.allSatisfy { $0 > 0 })
        for estimate in entry.estimates {
            #expect(estimate.value.isFinite && estimate.lower.isFinite && estimate.upper.isFinite)
            let diagnostics = try #require(estimate.diagnostics)
            #expect(diagnostics.effectiveSampleFraction < 1 && diagnostics.largestWeight > 1)
        }
        var byHand = Self.settings(Self.mixtureLog, ["baseline"], .perRequestReward, estimators: ["ips"])
        byHand.bandwidth = 0.2
        byHand.kernel = .epanechnikov
        let set = try OffPolicyEvaluation(settings: byHand).run().policies[0]
        #expect(set.smoothing?.rule == "set by hand" && set.smoothing?.bandwidths == [0.2, 0.2, 0.2])
        #expect(set.smoothing?.kernel == .epanechnikov && set.estimates[0].value.isFinite)
    }

    @Test func aTargetOfAnotherEnvironmentIsRefused() throws {
        var stream = RandomStream(seed: 3)
        let actor = ActorNetwork(stateDimension: 3, actionDimension: 2, hiddenSizes: [4], head: .deterministic, stream: &stream)
        let environment = AgentEnvironment(stateNames: ["x0", "x1", "time"],
                                           actionSpace: ActionSpace(names: ["w.a", "w.b"], low: [0, -1], high: [1, 1], baseline: [0.5, 0]))
        let policy = ActorPolicy(agentName: "test", actor: actor,
                                 normalizer: NormalizerStatistics(mean: [0, 0, 0], scale: [1, 1, 1], clip: 5),
                                 environment: environment, mode: .deterministic)
        let url = Self.directory.appendingPathComponent("toy.ckpt")
        try policy.save(to: url)
        let text = Self.message {
            _ = try OffPolicyEvaluation(settings: Self.settings(Self.mixtureLog, [url.path], .perRequestReward, estimators: ["ips"])).run()
        }
        #expect(text.hasPrefix("target policy \(url.path): ") && text.contains("state"), "\(text)")
        #expect(!text.contains("\n"))
    }

    @Test func corruptForeignAndMissingLogsAndUnknownEstimatorsAreRefused() throws {
        let notes = Self.directory.appendingPathComponent("notes.txt")
        try Data("These are notes, not an episode log.\n".utf8).write(to: notes)
        let missing = Self.directory.appendingPathComponent("missing.sqlite").path
        for path in [notes.path, missing] {
            let text = Self.message { _ = try EpisodeLogDecisions.load(path: path, discounting: nil) }
            #expect(text.contains(path) && !text.contains("\n"), "\(text)")
        }
        let unknown = Self.message {
            _ = try OffPolicyEvaluation(settings: Self.settings(Self.mixtureLog, ["mixture"], .perRequestReward, estimators: ["ips", "magic"])).run()
        }
        #expect(unknown.hasPrefix("unknown estimator \"magic\"; known: ips, snips"), "\(unknown)")
        let wrongEstimand = Self.message {
            _ = try OffPolicyEvaluation(settings: Self.settings(Self.mixtureLog, ["mixture"], .rewardPerUserDay, estimators: ["ips"])).run()
        }
        #expect(wrongEstimand == "IPS does not estimate rewardPerUserDay; it estimates perRequestReward")
        let noRun = Self.message { _ = try EpisodeLogDecisions.load(path: Self.mixtureLog, run: 9, discounting: nil) }
        #expect(noRun == "episode log \(Self.mixtureLog) has no run 9; it has runs 1")
    }

    @Test func perUserDayAndDiscountedByTimeAreEstimated() throws {
        let data = try EpisodeLogDecisions.load(path: Self.mixtureLog, discounting: Discounting(perDecision: 1, halfLifeHours: 6))
        // d_t falls with the hours since the episode began, and starts at 1.
        for e in 0..<data.decisions.episodes {
            let range = data.decisions.range(ofEpisode: e)
            #expect(data.decisions.discounts[range.lowerBound] == 1)
            #expect(zip(data.decisions.discounts[range].dropFirst(), data.decisions.discounts[range]).allSatisfy { $0 < $1 })
        }
        var settings = Self.settings(Self.mixtureLog, ["mixture"], .discountedReturn, estimators: ["pdis", "wpdis"])
        settings.discountHalfLifeHours = 6
        let discounted = try OffPolicyEvaluation(settings: settings).run()
        #expect(discounted.discount == 1 && discounted.discountHalfLifeHours == 6)
        let perDay = try OffPolicyEvaluation(settings: Self.settings(Self.mixtureLog, ["mixture"], .rewardPerUserDay, estimators: nil)).run()
        #expect(perDay.policies[0].estimates.map(\.estimator) == ["trajectory IS", "PDIS", "WPDIS"])
        #expect(perDay.policies[0].refusals.isEmpty && perDay.userDaysPerEpisode == 2)
        let episodes = try Self.completeEpisodes(Self.mixtureLog)
        let meanReturn = episodes.map { $0.reduce(0) { $0 + $1.reward } }.reduce(0, +) / Double(episodes.count)
        assertClose(perDay.policies[0].estimates[1].value, meanReturn / 2, relative: 1e-4)
    }
}
