import Agents
import EpisodeLog
import Foundation
import Numerics
import Rollout
import Simulator
import Testing

/// `BatchRLLoop` in-process on the tiny preset: what each round logs and trains, the files it keeps, its report,
/// determinism, refusals; the exploration specs.
///
/// Until `PolicyResolver` takes exploration around a checkpoint (`mixture:σ,b@round-k.ckpt`), these tests resolve a
/// round's spec with the same kernel around the baseline weights, after checking that the checkpoint it names loads.
@Suite("Batch RL loop", .serialized)
struct BatchRLLoopTests {
    static let environment: (world: World, text: String) = {
        let (config, text) = try! EnvironmentLoader.resolve("tiny")
        return (try! World(config: config, seed: 23), text)
    }()

    /// The spec's kernel around the baseline weights when it names a checkpoint, which must load as a policy.
    static let resolve: @Sendable (String, World) throws -> any FusionPolicy = { spec, world in
        if spec.hasSuffix(".ckpt"), let at = spec.firstIndex(of: "@") {
            _ = try ActorPolicy.load(contentsOf: URL(fileURLWithPath: String(spec[spec.index(after: at)...])), world: world)
            let weights = world.actionSpace.baseline.map { "\($0)" }.joined(separator: ",")
            return try PolicyResolver.resolve(String(spec[..<at]) + "@" + weights, world: world)
        }
        return try PolicyResolver.resolve(spec, world: world)
    }

    static func settings() -> BatchRLSettings {
        var s = BatchRLSettings(kind: .td3)
        s.agent.hiddenSizes = [8, 8]
        s.agent.batchSize = 32
        s.rounds = 2
        s.sessionsPerRound = 150
        s.stepsPerRound = 60
        s.evaluationEpisodes = 4
        return s
    }

    static func loop(_ settings: BatchRLSettings = settings(), directory: URL, threads: Int = 2, seed: UInt64 = 23) -> BatchRLLoop {
        BatchRLLoop(settings: settings, world: environment.world, environmentText: environment.text, seed: seed,
                    threads: threads, directory: directory.path, resolve: resolve)
    }

    static func withDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("batch-rl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    @Test("two rounds: logs of fresh training-user episodes, learners on every log so far, the report and its file")
    func twoRounds() throws {
        try Self.withDirectory { directory in
            let loop = Self.loop(directory: directory)
            var progress: [BatchRLLoop.Progress] = [], notes: [String] = []
            let report = try loop.run(progress: { progress.append($0) }, note: { notes.append($0) })
            #expect(report.rounds.map(\.round) == [0, 1] && notes.count == 4)
            #expect(progress.contains(.logging(round: 0, sessions: 150)) && progress.contains(.logging(round: 1, sessions: 150)))
            #expect(progress.contains(.training(round: 0, steps: 60)) && progress.last == .training(round: 1, steps: 60))

            let world = Self.environment.world
            let baseline = world.actionSpace.baseline.map { "\($0)" }.joined(separator: ",")
            #expect(report.exploration == "mixture:0.1,0.15")
            #expect(report.rounds[0].behaviourPolicy == "mixture:0.1,0.15@\(baseline)")
            #expect(report.rounds[1].behaviourPolicy == "mixture:0.1,0.15@\(loop.checkpointPath(round: 0))")
            #expect(report.rounds[0].firstEpisode == 0 && report.rounds[1].firstEpisode == report.rounds[0].episodes)
            #expect(report.rounds[0].episodes % BatchRLLoop.episodesPerChunk == 0)
            #expect(report.rounds[1].transitions > report.rounds[0].transitions)
            #expect(report.rounds.allSatisfy { $0.sessions == 150 && $0.heldOut.rewardPerUserDay.mean.isFinite })
            #expect(report.baseline.rewardPerUserDay.mean.isFinite && report.evaluation == OfflineTrainingRun.evaluationLabel)

            let training = UserPool.training.users(population: world.population.count)
            for round in report.rounds {
                #expect(FileManager.default.fileExists(atPath: round.checkpoint))
                let reader = try EpisodeLogFile.open(path: round.log)
                defer { try? reader.close() }
                let runs = try reader.runs()
                #expect(runs.count == 1 && runs[0].status == .complete && runs[0].metadata.name == "batch-rl-round-\(round.round)")
                var sessions: [LoggedSession] = []
                try reader.sessions(run: runs[0].id).forEach { sessions += $0 }
                #expect(sessions.count == 150)
                let episodes = round.firstEpisode..<(round.firstEpisode + round.episodes)
                #expect(sessions.allSatisfy { episodes.contains($0.episode) && training.contains($0.user) })
            }
            let decoded = try JSONDecoder().decode(BatchRLReport.self, from: Data(contentsOf: URL(fileURLWithPath: loop.reportPath)))
            #expect(decoded.rounds == report.rounds && decoded.seed == 23 && decoded.agent == "td3")
        }
    }

    @Test("the same seed writes identical logs and checkpoints, for any thread count")
    func deterministic() throws {
        try Self.withDirectory { directory in
            let a = Self.loop(directory: directory.appendingPathComponent("a"), threads: 1)
            let b = Self.loop(directory: directory.appendingPathComponent("b"), threads: 2)
            let (ra, rb) = (try a.run(), try b.run())
            #expect(ra.rounds.map(\.heldOut) == rb.rounds.map(\.heldOut))
            for k in 0..<2 {
                #expect(try Data(contentsOf: URL(fileURLWithPath: a.checkpointPath(round: k)))
                        == Data(contentsOf: URL(fileURLWithPath: b.checkpointPath(round: k))))
                func digest(_ path: String) throws -> UInt64 {
                    let reader = try EpisodeLogFile.open(path: path)
                    defer { try? reader.close() }
                    return try reader.logicalDigest()
                }
                #expect(try digest(a.logPath(round: k)) == digest(b.logPath(round: k)))
            }
            #expect(a.learnerSeed(round: 0) != a.learnerSeed(round: 1))
        }
    }

    @Test("refusals before anything is written: a folder that holds a round, bad exploration, bad counts")
    func refusals() throws {
        try Self.withDirectory { directory in
            let existing = directory.appendingPathComponent("round-1.ckpt")
            try Data("x".utf8).write(to: existing)
            #expect(throws: OfflineRunError.self) { _ = try Self.loop(directory: directory).run() }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["round-1.ckpt"])
            try FileManager.default.removeItem(at: existing)

            var s = Self.settings()
            s.exploration.boxHalfWidth = 1.5
            #expect(throws: SettingsError("--exploration-box must be in (0, 1], got 1.5")) { _ = try Self.loop(s, directory: directory).run() }
            s = Self.settings()
            s.rounds = 0
            #expect(throws: SettingsError.self) { _ = try Self.loop(s, directory: directory).run() }
            s = Self.settings()
            s.agent.actionBox = 0.5
            s.agent.around = "fixed:1"
            #expect(throws: PolicySpec.ParseError.self) { _ = try Self.loop(s, directory: directory).run() }
            // A learner's own parameter out of its range is refused before round 0 logs.
            s = Self.settings()
            s.agent = OfflineAgentSettings(kind: .iql)
            s.agent.learnerParameters.iqlExpectile = 1.5
            let refusal = #expect(throws: SettingsError.self) { _ = try Self.loop(s, directory: directory).run() }
            #expect(refusal?.message.hasPrefix("--agent iql: expectile") == true, "\(String(describing: refusal))")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        }
    }

    @Test("exploration specs: the kernel's parameters, then the centre")
    func explorationSpecs() throws {
        #expect(BatchRLExploration().spec(around: "runs/round-0.ckpt") == "mixture:0.1,0.15@runs/round-0.ckpt")
        #expect(BatchRLExploration(kernel: .box, boxHalfWidth: 0.2).spec(around: "a.ckpt") == "box:0.2@a.ckpt")
        #expect(BatchRLExploration(kernel: .gaussian, sigma: 0.05).spec(around: "1,2") == "gaussian:0.05@1,2")
        let world = Self.environment.world
        let defaults = BatchRLExploration(kernel: .mixture, sigma: nil, boxHalfWidth: 0.3, world: world)
        #expect(defaults.sigma == Float(world.config.policies.explorationSigma) && defaults.boxHalfWidth == 0.3)
        // Around fixed weights the specs are policies today: their means are the weights.
        let weights = world.actionSpace.baseline.map { "\($0)" }.joined(separator: ",")
        for kernel in [BatchRLExploration.Kernel.mixture, .gaussian] {
            let policy = try PolicyResolver.resolve(BatchRLExploration(kernel: kernel).spec(around: weights), world: world)
            #expect(policy.spec.hasPrefix(kernel.rawValue))
        }
    }
}
