import Agents
import EpisodeLog
import Foundation
import Numerics
import Rollout
import Simulator
import Testing

/// `TrainingRun` in-process on the tiny preset with small networks: what it saves, writes and logs, what a failure
/// leaves, and determinism; `TrainingSettings` refusals and the agent factory.
@Suite("Training runs", .serialized)
struct TrainingRunTests {
    static let environment: (world: World, text: String) = {
        let (config, text) = try! EnvironmentLoader.resolve("tiny")
        return (try! World(config: config, seed: 17), text)
    }()

    static func settings(_ kind: AgentKind) -> TrainingSettings {
        var s = TrainingSettings(kind: kind)
        s.agent.hiddenSizes = [8, 8]
        s.steps = 4_000
        s.evaluationInterval = 2_000
        s.evaluationEpisodes = 4
        s.cemPopulation = 3
        s.cemIterations = 2
        s.cemEpisodes = 4
        return s
    }

    static func run(_ settings: TrainingSettings, in directory: URL, name: String, log: Bool = false, threads: Int = 2)
        -> TrainingRun {
        TrainingRun(settings: settings, world: environment.world, environmentText: environment.text, seed: 3,
                    threads: threads, checkpoint: directory.appendingPathComponent("\(name)/\(name).ckpt").path,
                    log: log ? directory.appendingPathComponent("\(name).sqlite").path : nil)
    }

    static func withDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("training-run-\(UUID().uuidString)")
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

    @Test("TD3: the checkpoint acts as the returned policy, the curve file has the report's points, the log the run's sessions")
    func onlineRun() throws {
        try Self.withDirectory { directory in
            let training = Self.run(Self.settings(.td3), in: directory, name: "td3", log: true)
            var steps: [Int] = [], notes: [String] = []
            let result = try training.run(progress: { steps.append($0) }, note: { notes.append($0) })
            let report = result.report
            #expect(report.agent == "td3" && report.environmentSteps >= 4_000 && report.updates > 0)
            #expect(steps.last == 4_000 && steps.count >= 2 && steps == steps.sorted())
            #expect(notes.count == report.curve.count && report.curve.count >= 2)
            #expect(report.heldOut == report.curve.last!.heldOut)

            let loaded = try ActorPolicy.load(contentsOf: URL(fileURLWithPath: training.checkpoint), world: Self.environment.world)
            #expect(Self.actions(loaded) == Self.actions(result.policy))
            #expect(loaded.updates == result.policy.updates)

            let csv = try String(contentsOfFile: TrainingRun.curvePath(for: training.checkpoint), encoding: .utf8)
            let rows = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
            #expect(rows.count == report.curve.count)
            for (row, point) in zip(rows, report.curve) {
                #expect(row.count == 9)
                #expect(row[0] == "\(point.environmentSteps)" && row[1] == "\(point.updates)")
                #expect(row[3] == "\(point.heldOut.rewardPerUserDay.mean)" && row[8] == "\(point.heldOut.sessionsPerUserDay)")
            }

            let reader = try EpisodeLogFile.open(path: training.log!)
            defer { try? reader.close() }
            let runs = try reader.runs()
            #expect(runs.count == 1 && runs[0].status == .complete)
            #expect(runs[0].metadata.name == "train-td3-seed3" && runs[0].metadata.policySpec == "train:td3")
            var requests = 0, sessions = 0
            try reader.sessions(run: runs[0].id).forEach { batch in
                sessions += batch.count
                requests += batch.reduce(0) { $0 + $1.requests }
            }
            #expect(sessions > 0 && requests == report.environmentSteps)
        }
    }

    @Test("a failure mid-run leaves the logged run interrupted with whole sessions, and no checkpoint")
    func failureMidRun() throws {
        struct Stop: Error {}
        try Self.withDirectory { directory in
            let training = Self.run(Self.settings(.sac), in: directory, name: "sac", log: true)
            var calls = 0
            #expect(throws: Stop.self) {
                _ = try training.run(progress: { _ in
                    calls += 1
                    if calls == 2 { throw Stop() }
                })
            }
            #expect(!FileManager.default.fileExists(atPath: training.checkpoint))
            #expect(!FileManager.default.fileExists(atPath: TrainingRun.curvePath(for: training.checkpoint)))
            let reader = try EpisodeLogFile.open(path: training.log!)
            defer { try? reader.close() }
            let runs = try reader.runs()
            #expect(runs.count == 1 && runs[0].status == .interrupted)
            var sessions = 0
            try reader.sessions(run: runs[0].id).forEach { sessions += $0.count }
            #expect(sessions > 0)
        }
    }

    @Test("the same settings and seed write the identical checkpoint, for any thread count")
    func deterministic() throws {
        try Self.withDirectory { directory in
            for kind in [AgentKind.ddpg, .cem] {
                var settings = Self.settings(kind)
                if kind == .ddpg { settings.agent.actionPenalty = 0.5 }
                let a = Self.run(settings, in: directory, name: "\(kind)-a", threads: 1)
                let b = Self.run(settings, in: directory, name: "\(kind)-b", threads: 2)
                let (ra, rb) = (try a.run(), try b.run())
                #expect(try Data(contentsOf: URL(fileURLWithPath: a.checkpoint)) == Data(contentsOf: URL(fileURLWithPath: b.checkpoint)))
                #expect(ra.report.curve.map(\.heldOut) == rb.report.curve.map(\.heldOut))
                if kind == .cem {
                    #expect(ra.report.curve.count == 1 && ra.report.updates == 0)
                    let weights = try #require(ra.report.fixedWeights)
                    let acted = Self.actions(ra.policy)
                    for (k, w) in acted.enumerated() { #expect(abs(w - weights[k % weights.count]) < 1e-4 * max(1, abs(w))) }
                }
            }
        }
    }

    @Test("settings refusals keep train's messages; cem with a log is refused")
    func refusals() {
        func message(_ change: (inout TrainingSettings) -> Void, logging: Bool = false) -> String? {
            var s = TrainingSettings(kind: .td3)
            change(&s)
            do {
                try s.validate(logging: logging)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message { _ in } == nil)
        #expect(message { $0.steps = 0 } == "--steps, --eval-interval, --eval-episodes, --learning-rate and the --cem-* options must be positive")
        #expect(message { $0.agent.actionBox = 1.5 }?.hasPrefix("--steps") == true)
        #expect(message { $0.agent.discount = 1 } == "--discount must be in (0, 1), or (0, 1] with --discount-half-life-hours; got 1.0")
        #expect(message { $0.agent.discount = 1; $0.agent.discountHalfLifeHours = 6 } == nil)
        #expect(message { $0.agent.discountHalfLifeHours = -1 }?.hasPrefix("--discount-half-life-hours") == true)
        #expect(message { $0.agent.hiddenSizes = [8, 0] }?.hasPrefix("--hidden") == true)
        #expect(message { $0.agent.targetEntropy = 0 } == "--target-entropy sets SAC's temperature target; td3 has none")
        #expect(message { $0.agent.kind = .sac; $0.agent.actionPenalty = 1 }
                == "--action-penalty acts on DDPG's and TD3's deterministic actor; sac has none")
        #expect(message { $0.agent.around = "baseline" } == "--around centres the residual box: give --action-box below 1")
        #expect(message({ $0.agent.kind = .cem }, logging: true) == "--log stores actor-critic training episodes; cem has none")
        #expect(message({ $0.agent.kind = .td3 }, logging: true) == nil)
    }

    @Test("a checkpoint path that cannot be written is refused before training: no log, no curve")
    func unwritableCheckpoint() throws {
        try Self.withDirectory { directory in
            let log = directory.appendingPathComponent("run.sqlite").path
            let run = TrainingRun(settings: Self.settings(.td3), world: Self.environment.world,
                                  environmentText: Self.environment.text, seed: 3, threads: 1, checkpoint: directory.path,
                                  log: log)
            #expect(throws: UnwritablePathError("cannot write \(directory.path): it is a folder")) { _ = try run.run() }
            #expect(!FileManager.default.fileExists(atPath: log))
            #expect(!FileManager.default.fileExists(atPath: TrainingRun.curvePath(for: directory.path)))
        }
    }

    @Test("the factory builds the agent the settings describe, in the box around the centre")
    func factory() throws {
        let world = Self.environment.world
        var settings = AgentSettings(kind: .sac)
        settings.hiddenSizes = [8, 4]
        settings.learningRate = 1e-3
        settings.discountHalfLifeHours = 6
        settings.targetEntropy = -1
        settings.actionBox = 0.25
        let weights = world.actionSpace.baseline.map { $0 * 0.5 }
        settings.around = "fixed:" + weights.map { "\($0)" }.joined(separator: ",")
        let agent = try #require(try settings.makeAgent(world: world, seed: 1) as? SACAgent)
        #expect(agent.configuration.actorCritic.hiddenSizes == [8, 4])
        #expect(agent.configuration.actorCritic.criticLearningRate == 1e-3 && agent.configuration.actorCritic.actorLearningRate == 1e-3)
        #expect(agent.configuration.actorCritic.discount == 1 && agent.configuration.targetEntropy == -1)
        #expect(agent.environment.actionSpace == world.actionSpace.restricted(toHalfWidth: 0.25, around: weights))
        settings.kind = .td3
        settings.targetEntropy = nil
        settings.actionBox = 1
        settings.around = nil
        let td3 = try #require(try settings.makeAgent(world: world, seed: 1) as? TD3Agent)
        #expect(td3.environment.actionSpace == world.actionSpace && td3.configuration.actorCritic.discount == 1)
        settings.kind = .cem
        #expect(throws: SettingsError.self) { _ = try settings.makeAgent(world: world, seed: 1) }
    }
}
