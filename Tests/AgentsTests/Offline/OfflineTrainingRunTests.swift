import Agents
import EpisodeLog
import Foundation
import NeuralNet
import Numerics
import Rollout
import Simulator
import Testing

/// `OfflineTrainingRun` in-process on logs of the tiny preset with small networks: what it reads, writes and reports,
/// its refusals (nothing written), determinism; `OfflineAgentSettings` and its factory.
@Suite("Offline training runs", .serialized)
struct OfflineTrainingRunTests {
    static let environment: (world: World, text: String) = {
        let (config, text) = try! EnvironmentLoader.resolve("tiny")
        return (try! World(config: config, seed: 17), text)
    }()

    /// A folder that lives as long as the test process, holding the shared logs.
    static let fixtures: URL = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("offline-run-fixtures-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }()

    /// A log of `sessions` sessions of the tiny world under `policy`.
    static func makeLog(_ name: String, policy: String = "mixture", sessions: Int = 300) throws -> String {
        let (world, text) = environment
        let path = fixtures.appendingPathComponent("\(name).sqlite").path
        if FileManager.default.fileExists(atPath: path) { return path }
        let run = SimulationRun(world: world, environmentText: text, policy: try PolicyResolver.resolve(policy, world: world),
                                ranker: OracleNoiseRanker(config: world.config), seed: 17, sessions: sessions, threads: 2)
        _ = try run.run(log: path)
        return path
    }

    static let mixtureLog: String = try! makeLog("mixture")

    static func settings(_ kind: OfflineAgentKind = .td3) -> OfflineTrainingSettings {
        var s = OfflineTrainingSettings(kind: kind)
        s.agent.hiddenSizes = [8, 8]
        s.agent.batchSize = 32
        s.steps = 300
        s.evaluationInterval = 120
        s.evaluationEpisodes = 4
        return s
    }

    static func withDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("offline-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    /// Actions of `policy` on a few fixed states, raw units.
    static func actions(_ policy: any FusionPolicy) -> [Float] {
        let world = environment.world
        var stream = RandomStream(seed: 9)
        let states = Matrix(rows: 6, columns: world.stateLayout.dimension) { _, _ in 2 * stream.normalFloat() }
        var output = PolicyOutput(batch: 6, actionDimension: world.actionSpace.dimension)
        var streams = (0..<6).map { RandomStream(seed: UInt64($0)) }
        streams.withUnsafeMutableBufferPointer { policy.act(states: states, streams: $0.baseAddress!, into: &output) }
        return output.actions.elements
    }

    /// Every file under `directory`.
    static func files(in directory: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.sorted() ?? []
    }

    @Test("td3: the checkpoint acts as the returned policy; curve file, report and dataset agree")
    func offlineRun() throws {
        try Self.withDirectory { directory in
            let checkpoint = directory.appendingPathComponent("sub/td3.ckpt").path
            let training = OfflineTrainingRun(settings: Self.settings(), logs: [Self.mixtureLog], seed: 3, threads: 2,
                                              checkpoint: checkpoint)
            var steps: [Int] = [], notes: [String] = []
            let result = try training.run(progress: { steps.append($0) }, note: { notes.append($0) })
            let report = result.report
            #expect(report.agent == "td3" && report.steps == 300 && report.updates == 300)
            #expect(report.curve.map(\.gradientSteps) == [120, 240, 300])
            #expect(steps.last == 300 && steps == steps.sorted() && steps.count >= 3)
            #expect(notes.count == 3 && notes.allSatisfy { $0.contains(OfflineTrainingRun.evaluationLabel) })
            #expect(report.evaluation == "simulator oracle (held-out users)" && report.evaluationWorldSeed == 17)
            #expect(report.heldOut == report.curve.last!.heldOut && report.heldOut.rewardPerUserDay.mean.isFinite)
            #expect(report.checkpointKind == ActorPolicy.checkpointKind)
            #expect(report.curve.allSatisfy { $0.diagnostics.meanQ?.isFinite == true && $0.diagnostics.criticLoss != nil })

            // The dataset: one source, every transition with an outcome of the logged run.
            let reader = try EpisodeLogFile.open(path: Self.mixtureLog)
            defer { try? reader.close() }
            var withOutcome = 0, sessions = Set<[Int]>()
            try reader.transitions(run: 1).forEach { batch in
                withOutcome += batch.filter(\.hasOutcome).count
                for t in batch { sessions.insert([t.episode, t.sessionIndex]) }
            }
            #expect(report.transitions == withOutcome && report.sources.count == 1)
            #expect(report.sources[0].sessions == sessions.count && report.sources[0].sessions == 300)
            #expect(report.sources[0].policySpec.hasPrefix("mixture"))

            let loaded = try ActorPolicy.load(contentsOf: URL(fileURLWithPath: checkpoint), world: Self.environment.world)
            #expect(Self.actions(loaded) == Self.actions(result.policy))

            let csv = try String(contentsOfFile: TrainingRun.curvePath(for: checkpoint), encoding: .utf8)
            let lines = csv.split(separator: "\n")
            #expect(lines[0].hasPrefix("gradient_steps,updates,wall_seconds,simulator_oracle_held_out_reward_per_user_day"))
            let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            #expect(rows.count == 3)
            for (row, point) in zip(rows, report.curve) {
                #expect(row.count == 13 && row[0] == "\(point.gradientSteps)")
                #expect(row[3] == "\(point.heldOut.rewardPerUserDay.mean)" && row[9] == "\(point.diagnostics.meanQ!)")
            }
        }
    }

    @Test("the same settings, logs and seed write the identical checkpoint, for any thread count; another seed does not")
    func deterministic() throws {
        try Self.withDirectory { directory in
            func run(_ name: String, seed: UInt64, threads: Int) throws -> (Data, OfflineTrainingReport) {
                let path = directory.appendingPathComponent("\(name).ckpt").path
                let report = try OfflineTrainingRun(settings: Self.settings(), logs: [Self.mixtureLog], seed: seed,
                                                    threads: threads, checkpoint: path).run().report
                return (try Data(contentsOf: URL(fileURLWithPath: path)), report)
            }
            let (a, ra) = try run("a", seed: 5, threads: 1)
            let (b, rb) = try run("b", seed: 5, threads: 2)
            let (c, _) = try run("c", seed: 6, threads: 2)
            #expect(a == b && a != c)
            #expect(ra.curve.map(\.heldOut) == rb.curve.map(\.heldOut))
            #expect(ra.curve.map(\.diagnostics) == rb.curve.map(\.diagnostics))
        }
    }

    @Test("two logs make one dataset; --run picks runs; the residual box normalises the logged actions into it")
    func severalLogsAndTheResidualBox() throws {
        let second = try Self.makeLog("gaussian", policy: "gaussian:0.2", sessions: 120)
        try Self.withDirectory { directory in
            var settings = Self.settings()
            settings.agent.actionBox = 0.25
            settings.agent.around = "baseline"
            settings.steps = 50
            settings.evaluationInterval = 50
            let path = directory.appendingPathComponent("box.ckpt").path
            let report = try OfflineTrainingRun(settings: settings, logs: [Self.mixtureLog, second], runs: [1], seed: 1,
                                                threads: 2, checkpoint: path).run().report
            #expect(report.sources.map(\.log) == [Self.mixtureLog, second] && report.sources.map(\.run) == [1, 1])
            #expect(report.transitions == report.sources.reduce(0) { $0 + $1.transitions })
            let space = Self.environment.world.actionSpace
            let restricted = space.restricted(toHalfWidth: 0.25)
            #expect(report.actionBox.low == restricted.low && report.actionBox.high == restricted.high)

            let environment = try settings.agent.environment(in: Self.environment.world)
            #expect(environment.actionSpace.low == restricted.low)
            let dataset = try OfflineTrainingRunTests.dataset(logs: [Self.mixtureLog], environment: environment)
            let actions = (0..<dataset.count).flatMap { dataset.transitions.transition(at: $0).action }
            #expect(actions.allSatisfy { $0 >= -1 && $0 <= 1 })
            // Some logged actions of the wider exploration lie outside the narrow box and sit on its faces.
            #expect(actions.contains { $0 == 1 || $0 == -1 })
        }
    }

    /// The transitions of run 1 of `log` as a dataset in `environment`, read as an offline run reads them.
    static func dataset(logs: [String], environment: AgentEnvironment) throws -> OfflineDataset {
        var batches: [TransitionBatch] = []
        for log in logs {
            let reader = try EpisodeLogFile.open(path: log)
            defer { try? reader.close() }
            try reader.transitions(run: 1).forEach { batch in
                batches.append(TransitionBatch(transitions: batch, actionSpace: environment.actionSpace,
                                               stateDimension: environment.stateDimension))
            }
        }
        var dataset = OfflineDataset(environment: environment, capacity: batches.reduce(0) { $0 + $1.count })
        for batch in batches { dataset.append(batch) }
        return dataset
    }

    @Test("refusals: no log, a missing run, an unreadable file, a state-dependent --around, bad settings; nothing written")
    func refusals() throws {
        try Self.withDirectory { directory in
            let checkpoint = directory.appendingPathComponent("out/x.ckpt").path
            func expectRefused(_ settings: OfflineTrainingSettings, logs: [String], runs: [Int] = [], saying words: String) {
                let training = OfflineTrainingRun(settings: settings, logs: logs, runs: runs, seed: 1, threads: 1, checkpoint: checkpoint)
                let error = #expect(throws: (any Error).self, "expected a refusal saying \(words)") { _ = try training.run() }
                let line = error.map { "\($0)" } ?? ""
                #expect(line.contains(words) && !line.contains("\n"), "\(line)")
                #expect(!FileManager.default.fileExists(atPath: checkpoint))
                #expect(!FileManager.default.fileExists(atPath: TrainingRun.curvePath(for: checkpoint)))
            }
            expectRefused(Self.settings(), logs: [], saying: "--log")
            expectRefused(Self.settings(), logs: [Self.mixtureLog], runs: [7], saying: "no run 7")
            let text = directory.appendingPathComponent("notes.txt")
            try Data("not a log\n".utf8).write(to: text)
            expectRefused(Self.settings(), logs: [text.path], saying: text.path)
            expectRefused(Self.settings(), logs: [directory.appendingPathComponent("missing.sqlite").path], saying: "missing.sqlite")

            // A state-dependent checkpoint is no centre for the box.
            let actor = directory.appendingPathComponent("actor.ckpt").path
            _ = try OfflineTrainingRun(settings: Self.settings(), logs: [Self.mixtureLog], seed: 1, threads: 1, checkpoint: actor).run()
            var around = Self.settings()
            around.agent.actionBox = 0.5
            around.agent.around = actor
            expectRefused(around, logs: [Self.mixtureLog], saying: "depend on the state")

            // A checkpoint path that cannot be written is refused before the logs are read.
            let folder = OfflineTrainingRun(settings: Self.settings(), logs: [Self.mixtureLog], seed: 1, threads: 1,
                                            checkpoint: directory.path)
            #expect(throws: UnwritablePathError("cannot write \(directory.path): it is a folder")) { _ = try folder.run() }

            var bad = Self.settings()
            bad.agent.discount = 1
            expectRefused(bad, logs: [Self.mixtureLog], saying: "--discount")
            bad = Self.settings()
            bad.evaluationInterval = 0
            expectRefused(bad, logs: [Self.mixtureLog], saying: "--eval-interval")
            #expect(Self.files(in: directory).allSatisfy { ["notes.txt", "actor.ckpt", "actor.curve.csv"].contains($0) })
        }
    }

    @Test("settings: nil keeps the learner's defaults, given values replace them; refusals name the option")
    func settingsAndFactory() throws {
        var s = OfflineAgentSettings(kind: .td3)
        let defaults = TD3Configuration()
        var c = s.configured(defaults)
        #expect(c.actorCritic.hiddenSizes == defaults.actorCritic.hiddenSizes && c.actorCritic.batchSize == defaults.actorCritic.batchSize)
        #expect(c.actorCritic.actorLearningRate == defaults.actorCritic.actorLearningRate)
        #expect(c.actorCritic.discount == 0.95 && c.actorCritic.discountHalfLifeHours == 0)
        #expect(c.policyNoise == defaults.policyNoise && c.policyDelay == defaults.policyDelay)
        s.hiddenSizes = [16, 8]
        s.learningRate = 1e-3
        s.batchSize = 64
        s.discountHalfLifeHours = 6
        c = s.configured(defaults)
        #expect(c.actorCritic.hiddenSizes == [16, 8] && c.actorCritic.batchSize == 64)
        #expect(c.actorCritic.actorLearningRate == 1e-3 && c.actorCritic.criticLearningRate == 1e-3)
        #expect(c.actorCritic.discount == 1 && c.actorCritic.discountHalfLifeHours == 6)

        func refusal(_ change: (inout OfflineAgentSettings) -> Void) -> String? {
            var s = OfflineAgentSettings(kind: .bcq)
            change(&s)
            do { try s.validate() } catch { return error.message }
            return nil
        }
        #expect(refusal { _ in } == nil)
        #expect(refusal { $0.learningRate = 0 }?.contains("--learning-rate") == true)
        #expect(refusal { $0.actionBox = 1.5 }?.contains("--action-box") == true)
        #expect(refusal { $0.around = "baseline" }?.contains("--around") == true)
        #expect(refusal { $0.hiddenSizes = [] }?.contains("--hidden") == true)
        #expect(refusal { $0.batchSize = 0 }?.contains("--batch-size") == true)
        #expect(refusal { $0.discountHalfLifeHours = -1 }?.contains("--discount-half-life-hours") == true)
        #expect(refusal { $0.discount = 1 }?.contains("--discount") == true)
        #expect(refusal { $0.discount = 1; $0.discountHalfLifeHours = 3 } == nil)

        // Discounting by time needs the logged time of every transition.
        let environment = AgentEnvironment(world: Self.environment.world)
        let n = 4, d = environment.stateDimension, a = environment.actionDimension
        let untimed = TransitionBatch(states: Matrix(rows: n, columns: d), actions: Matrix(rows: n, columns: a),
                                      rewards: [1, 2, 3, 4], nextStates: Matrix(rows: n, columns: d),
                                      terminals: [false, false, false, true])
        var timed = OfflineAgentSettings(kind: .td3)
        timed.discountHalfLifeHours = 6
        #expect(throws: SettingsError.self) { _ = try timed.makeLearner(dataset: OfflineDataset(environment: environment, batch: untimed), seed: 1) }
        let learner = try OfflineAgentSettings(kind: .td3).makeLearner(dataset: OfflineDataset(environment: environment, batch: untimed), seed: 1)
        #expect(type(of: learner).name == "td3")

        // A learner's own hyper-parameters reach its configuration; the paper's values stay otherwise; another
        // learner's are refused, naming the option.
        let dataset = OfflineDataset(environment: environment, batch: untimed)
        func built<L>(_ kind: OfflineAgentKind, as type: L.Type, _ change: (inout OfflineAgentSettings.LearnerParameters) -> Void) throws -> L {
            var s = OfflineAgentSettings(kind: kind)
            s.hiddenSizes = [8]
            change(&s.learnerParameters)
            return try #require(try s.makeLearner(dataset: dataset, seed: 1) as? L)
        }
        #expect(try built(.td3bc, as: TD3PlusBC.self) { _ in }.configuration.alpha == 2.5)
        #expect(try built(.td3bc, as: TD3PlusBC.self) { $0.td3bcAlpha = 10 }.configuration.alpha == 10)
        let iql = try built(.iql, as: ImplicitQLearning.self) { $0.iqlExpectile = 0.9; $0.iqlBeta = 10 }.configuration
        #expect(iql.expectile == 0.9 && iql.inverseTemperature == 10 && iql.maximumWeight == 100)
        let cql = try built(.cql, as: ConservativeQLearning.self) { $0.cqlAlpha = 1; $0.cqlLagrangeThreshold = 5 }.configuration
        #expect(cql.conservativeWeight == 1 && cql.lagrange && cql.lagrangeThreshold == 5)
        #expect(try built(.cql, as: ConservativeQLearning.self) { _ in }.configuration.lagrange == false)
        let lagrange = try built(.cql, as: ConservativeQLearning.self) { $0.cqlLagrangeThreshold = 10 }.configuration
        #expect(lagrange.lagrange && lagrange.conservativeWeight == 1 && CQLConfiguration().conservativeWeight == 5)
        let bcq = try built(.bcq, as: BCQ.self) { $0.bcqPhi = 0.05; $0.bcqVAEHiddenSizes = [16, 16] }.configuration
        #expect(bcq.perturbationLimit == 0.05 && bcq.vaeHiddenSizes == [16, 16] && bcq.targetMixing == 0.75)
        #expect(try built(.bcq, as: BCQ.self) { $0.bcqLambda = 1 }.configuration.targetMixing == 1)
        #expect(try built(.bc, as: BehaviourCloning.self) { _ in }.configuration.likelihood == .gaussian)
        #expect(try built(.bc, as: BehaviourCloning.self) { $0.bcLikelihood = .deterministic }.configuration.likelihood == .deterministic)
        var everyNetwork = OfflineAgentSettings(kind: .bcq)
        everyNetwork.hiddenSizes = [8]
        everyNetwork.learningRate = 5e-4
        let rates = try #require(try everyNetwork.makeLearner(dataset: dataset, seed: 1) as? BCQ).configuration
        #expect(rates.vaeLearningRate == 5e-4 && rates.actorCritic.criticLearningRate == 5e-4 && rates.actorCritic.actorLearningRate == 5e-4)
        #expect(refusal { $0.learnerParameters.iqlBeta = 3 }?.contains("--iql-beta belongs to --agent iql, not bcq") == true)
        #expect(refusal { $0.learnerParameters.bcqPhi = 0.1 } == nil)
        #expect(refusal { $0.learnerParameters.bcqLambda = 1.5 }?.contains("targetMixing") == true)
    }

    @Test("curve diagnostics are step-weighted means of the updates' diagnostics (actor loss over actor steps)")
    func diagnosticsAreStepWeighted() throws {
        // Through a run: a single interval's diagnostics equal the learner's own over the same steps and stream.
        try Self.withDirectory { directory in
            var settings = Self.settings()
            settings.steps = 40
            settings.evaluationInterval = 40
            let report = try OfflineTrainingRun(settings: settings, logs: [Self.mixtureLog], seed: 2, threads: 1,
                                                checkpoint: directory.appendingPathComponent("d.ckpt").path).run().report
            let world = Self.environment.world
            let dataset = try Self.dataset(logs: [Self.mixtureLog], environment: AgentEnvironment(world: world))
            var learner = try OfflineTD3(dataset: dataset, configuration: settings.agent.configured(TD3Configuration()), seed: 2)
            var stream = RandomStream(seed: 2, keys: streamKey("offline-updates"))
            let d = learner.update(steps: 40, stream: &stream)
            let diagnostics = report.curve[0].diagnostics
            #expect(abs(diagnostics.meanQ! - d.meanQ!) <= 1e-9 * max(1, abs(d.meanQ!)))
            #expect(abs(diagnostics.criticLoss! - d.criticLoss!) <= 1e-9 * max(1, abs(d.criticLoss!)))
            #expect(abs(diagnostics.actorLoss! - d.actorLoss!) <= 1e-9 * max(1, abs(d.actorLoss!)))
        }
    }
}

extension OfflineTrainingRunTests {
    @Test("the logged discounted return: Monte Carlo by hand on the log, per request and by time")
    func loggedDiscountedReturn() throws {
        try Self.withDirectory { directory in
            for halfLife: Float in [0, 6] {
                var settings = Self.settings()
                settings.agent.discountHalfLifeHours = halfLife
                settings.steps = 10
                settings.evaluationInterval = 10
                let report = try OfflineTrainingRun(settings: settings, logs: [Self.mixtureLog], seed: 1, threads: 2,
                                                    checkpoint: directory.appendingPathComponent("r\(halfLife).ckpt").path).run().report
                let discounting = Discounting(perDecision: settings.agent.resolvedDiscount,
                                              halfLifeHours: halfLife > 0 ? halfLife : nil)
                let reader = try EpisodeLogFile.open(path: Self.mixtureLog)
                defer { try? reader.close() }
                var byEpisode: [Int: [LoggedTransition]] = [:]
                try reader.transitions(run: 1).forEach { for t in $0 { byEpisode[t.episode, default: []].append(t) } }
                var total = 0.0, count = 0
                for (_, steps) in byEpisode {
                    for i in steps.indices where steps[i].hasOutcome {
                        // Forward sum: Σ_k (Π_{j<k} γ_j) r_k over the rest of the logged episode.
                        var g = 0.0, weight = 1.0
                        for k in i..<steps.count {
                            g += weight * steps[k].reward
                            weight *= Double(discounting.factor(for: steps[k])!)
                        }
                        total += g
                        count += 1
                    }
                }
                let expected = total / Double(count)
                let got = try #require(report.loggedDiscountedReturn)
                #expect(abs(got - expected) <= 1e-9 * abs(expected), "half-life \(halfLife): \(got) against \(expected)")
                #expect(count == report.transitions)
            }
        }
    }
}
