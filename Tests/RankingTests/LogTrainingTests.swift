import EpisodeLog
import Foundation
import NeuralNet
import Numerics
import Ranking
import Rollout
import Simulator
import Testing

/// Rankers trained from simulated episode logs, and simulating with them: features rebuilt from the log equal
/// the ones the simulator hands the ranker, training learns and is deterministic, mismatches are refused.
@Suite("Ranker training from the episode log", .serialized)
struct LogTrainingTests {
    static let seed: UInt64 = 31

    static func tinyWorld(seed: UInt64 = seed) throws -> (World, String) {
        let (config, text) = try EnvironmentLoader.resolve("tiny")
        return (try World(config: config, seed: seed), text)
    }

    /// Simulates `sessions` tiny sessions under `ranker` into a new log in `directory`; returns its path.
    static func logRun(ranker: any Ranker, world: World, text: String, sessions: Int, directory: URL,
                       name: String = "run.sqlite") throws -> String {
        let policy = try PolicySpec.parse("mixture", world: world)
        let path = directory.appendingPathComponent(name).path
        let writer = try EpisodeLogFile.create(path: path)
        try writer.beginRun(SimulationLog.metadata(name: "ranker-test", world: world, environmentText: text, seed: world.seed,
                                                   policy: policy, ranker: ranker, sessions: sessions, lanes: 16,
                                                   logCandidates: false))
        _ = try SimulationLog.run(Simulation(world: world, ranker: ranker, policy: policy, seed: world.seed),
                                  options: .init(sessions: sessions, threads: 2, lanes: 16), writer: writer)
        try writer.finishRun()
        try writer.close()
        return path
    }

    static func withDirectory<R>(_ body: (URL) throws -> R) throws -> R {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mtfsim-ranker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }

    /// A ranker that "predicts" three of the history features it is handed, so that the log records them.
    struct HistoryEchoRanker: Ranker {
        let taskCount: Int
        var name: String { "history-echo" }
        /// Which history feature each prediction column echoes: the category's log impressions, play rate and
        /// recent plays (for 3 tasks).
        static let echoed = [4, 5, 6]

        func predict(_ batch: CandidateBatch, streams: UnsafeMutablePointer<RandomStream>,
                     into predictions: UnsafeMutablePointer<Float>) {
            let width = EngagementHistory.featureCount(taskCount: taskCount)
            var features = [Float](repeating: 0, count: width)
            for row in 0..<batch.rows {
                let history = batch.histories![row / batch.candidatesPerLane]
                features.withUnsafeMutableBufferPointer {
                    history.write(category: Int(batch.catalog.category[Int(batch.items[row])]), into: $0.baseAddress!)
                }
                for k in 0..<taskCount { predictions[row * taskCount + k] = features[Self.echoed[k]] }
            }
        }
    }

    /// The same prediction for every candidate: slates in retrieval order.
    struct ConstantRanker: Ranker {
        let taskCount: Int
        var name: String { "constant" }
        func predict(_ batch: CandidateBatch, streams: UnsafeMutablePointer<RandomStream>,
                     into predictions: UnsafeMutablePointer<Float>) {
            predictions.update(repeating: 0.5, count: batch.rows * taskCount)
        }
    }

    @Test("the history rebuilt from the log equals the simulator's at ranking time")
    func historyFeaturesMatchTheSimulator() throws {
        let (world, text) = try Self.tinyWorld()
        try Self.withDirectory { directory in
            let path = try Self.logRun(ranker: HistoryEchoRanker(taskCount: 3), world: world, text: text, sessions: 400,
                                       directory: directory)
            let reader = try EpisodeLogFile.open(path: path)
            let data = try ImpressionDataset.examinedImpressions(of: reader, run: 1, world: world)
            var logged: [[Float]] = []
            try reader.impressions(run: 1).forEach { batch in
                for keyed in batch where keyed.impression.examined { logged.append(keyed.impression.predictions) }
            }
            #expect(data.count == logged.count && data.count > 1000)
            #expect(data.hasTruth)
            var mismatches = 0, nonZeroRecent = 0
            for i in 0..<data.count {
                for k in 0..<3 {
                    let rebuilt = data.history[i * data.historyWidth + HistoryEchoRanker.echoed[k]]
                    if rebuilt != logged[i][k] { mismatches += 1 }
                }
                if logged[i][2] > 0 { nonZeroRecent += 1 }
            }
            #expect(mismatches == 0)
            #expect(nonZeroRecent > 100, "recent category plays must be exercised")
        }
    }

    @Test("EngagementHistory: known answers for log rates, category rates and recent plays")
    func engagementHistoryKnownAnswer() {
        var h = EngagementHistory(taskCount: 2, categoryCount: 3)
        // Request 1: two examined items of category 1 (one played with task 1), one unexamined.
        let categories: [Int32] = [1, 1, 2], tasks: [UInt32] = [0b11, 0, 0b01], examined = [true, true, false]
        h.record(count: 3, examined: { examined[$0] }, categories: { categories[$0] }, tasks: { tasks[$0] })
        var out = [Float](repeating: -1, count: EngagementHistory.featureCount(taskCount: 2))
        out.withUnsafeMutableBufferPointer { h.write(category: 1, into: $0.baseAddress!) }
        #expect(abs(out[0] - Elementary.log1p(Float(2)) / 5) < 1e-6)
        // 1 play and 1 task-1 over 2 examined impressions: log((1 + 1) / (2 + 1)) each.
        #expect(abs(out[1] - Elementary.log(Float(2) / 3)) < 1e-6 && out[2] == out[1])
        #expect(abs(out[3] - Elementary.log1p(Float(2)) / 3) < 1e-6)
        #expect(abs(out[4] - (1 + Float(1) / 3) / 3) < 1e-6)       // (plays_c + overall rate) / (imps_c + 1)
        #expect(out[5] == 1)
        #expect(out[6] == 0.75 && out[7] == 0.875)  // (1 + ½) / (1 + 1); (1 + 0.75) / (1 + 1)
        // The next request decays recent plays; a new session forgets them, but not the episode's counts.
        h.record(count: 0, examined: { _ in false }, categories: { _ in 0 }, tasks: { _ in 0 })
        out.withUnsafeMutableBufferPointer { h.write(category: 1, into: $0.baseAddress!) }
        #expect(out[5] == EngagementHistory.recentDecay)
        #expect(abs(out[8] - Elementary.log1p(Float(1)) / 3) < 1e-6)  // one play this session
        h.startSession(idleHours: 12)  // two half-lives
        out.withUnsafeMutableBufferPointer { h.write(category: 1, into: $0.baseAddress!) }
        #expect(abs(out[5] - EngagementHistory.recentDecay / 4) < 1e-6 && abs(out[1] - Elementary.log(Float(2) / 3)) < 1e-6
                && out[8] == 0)
    }

    @Test("user split: deterministic, disjoint, about the requested shares")
    func userSplit() {
        let split = UserSplit(seed: 5, validationShare: 0.1, testShare: 0.2)
        var counts: [UserSplit.Part: Int] = [:]
        for user in 0..<10_000 { counts[split.part(of: Int32(user)), default: 0] += 1 }
        #expect(abs(Double(counts[.test]!) / 10_000 - 0.2) < 0.02)
        #expect(abs(Double(counts[.validation]!) / 10_000 - 0.1) < 0.02)
        #expect((0..<100).allSatisfy { split.part(of: Int32($0)) == UserSplit(seed: 5, validationShare: 0.1, testShare: 0.2).part(of: Int32($0)) })
        #expect((0..<100).contains { split.part(of: Int32($0)) != UserSplit(seed: 6, validationShare: 0.1, testShare: 0.2).part(of: Int32($0)) })
    }

    @Test("training on a tiny log learns, is deterministic, and the simulator scores exactly as evaluation does")
    func trainEvaluateSimulate() throws {
        let (world, text) = try Self.tinyWorld()
        try Self.withDirectory { directory in
            let path = try Self.logRun(ranker: OracleNoiseRanker(config: world.config), world: world, text: text,
                                       sessions: 1500, directory: directory)
            let reader = try EpisodeLogFile.open(path: path)
            let data = try ImpressionDataset.examinedImpressions(of: reader, run: 1, world: world)
            let split = UserSplit(seed: 3, validationShare: 0.2, testShare: 0.2)
            let train = split.select(.train, from: data), validation = split.select(.validation, from: data)
            let test = split.select(.test, from: data)
            #expect(train.count + validation.count + test.count == data.count)
            #expect(Set(train.users).isDisjoint(with: Set(test.users)))

            var options = RankerTrainingOptions()
            options.maxEpochs = 4
            options.batchSize = 256
            options.learningRate = 3e-3
            let architecture = RankerArchitecture(kind: .mmoe, experts: 2, expertLayers: [16], towerLayers: [8],
                                                  dimensions: .init(item: 8, category: 4, creator: 4, numerical: 16))
            func trained() -> (AnyRanker, [RankerEpochReport]) {
                var ranker = architecture.makeRanker(world: world, seed: 9)
                let reports = ranker.fit(features: ranker.features(world: world), train: train, validation: validation,
                                         options: options)
                return (ranker, reports)
            }
            let (first, reports) = trained()
            let (second, _) = trained()
            guard case .mmoe(let a) = first, case .mmoe(let b) = second else { Issue.record("expected MMoE"); return }
            #expect(a.parameterVector() == b.parameterVector(), "same seed, same weights")
            #expect(reports.count >= 2 && reports.last!.trainLoss < reports.first!.trainLoss)

            var ranker = first
            let evaluation = ranker.evaluate(features: ranker.features(world: world), data: test)
            let click = try #require(evaluation.first { $0.task == "click" })
            // 20 test users of a tiny world: well above chance, below the ceiling (0.74 here).
            #expect(click.auc > 0.55 && evaluation[1].auc > 0.55, "AUCs \(evaluation.map(\.auc))")
            #expect(click.ceilingAUC! > click.auc && click.ceilingAUC! < 1)
            #expect(abs(click.calibrationError) < 0.25, "click calibration \(click.calibrationError)")
            #expect(evaluation.map(\.task) == ["click", "longView", "hate"])

            // Simulating with the trained ranker logs exactly the predictions evaluation computes.
            let model = directory.appendingPathComponent("mmoe.ckpt")
            try ranker.save(to: model, metadata: RankerWorldKey.metadata(for: world))
            let simulationRanker = try SimulationRanker.make(model.path, world: world)
            let scored = try Self.logRun(ranker: simulationRanker, world: world, text: text, sessions: 200,
                                         directory: directory, name: "scored.sqlite")
            let scoredReader = try EpisodeLogFile.open(path: scored)
            #expect(try scoredReader.run(1).metadata.rankerName == model.path)
            let replayed = try ImpressionDataset.examinedImpressions(of: scoredReader, run: 1, world: world)
            var logged: [Float] = []
            try scoredReader.impressions(run: 1).forEach { batch in
                for keyed in batch where keyed.impression.examined { logged.append(keyed.impression.predictions[0]) }
            }
            guard case .mmoe(var concrete) = ranker else { return }
            let features = RankerFeatures(world: world, dimensions: architecture.dimensions)
            var batch = FeatureBatch(count: 0, categorical: [], numerical: Matrix(rows: 0, columns: features.layout.numericalDimension))
            features.fill(count: replayed.count, users: { replayed.users[$0] }, items: { replayed.items[$0] },
                          requestIndices: { replayed.requestIndices[$0] }, history: { replayed.writeHistory($0, into: $1) },
                          into: &batch)
            var outputs = Matrix(rows: 0, columns: 0)
            concrete.forward(batch, into: &outputs)
            let maxDifference = (0..<replayed.count).map { abs(Elementary.sigmoid(outputs[$0, 0]) - logged[$0]) }.max() ?? 1
            #expect(replayed.count > 500 && maxDifference < 1e-5, "max |Δp| \(maxDifference)")

            // Ranking with it serves better slates than ranking without predictions (candidates in retrieval
            // order), on the same users and streams: it must also score the candidates the log never showed.
            func clickRate(_ ranker: any Ranker) throws -> Double {
                let sessions = Simulation(world: world, ranker: ranker, policy: try PolicySpec.parse("baseline", world: world),
                                          seed: 77).run(.init(sessions: 600, threads: 2, lanes: 16)).sessions
                return Double(sessions.reduce(0) { $0 + $1.taskCounts[0] }) / Double(sessions.reduce(0) { $0 + $1.impressions })
            }
            let trainedRate = try clickRate(simulationRanker), unrankedRate = try clickRate(ConstantRanker(taskCount: 3))
            #expect(trainedRate > 1.1 * unrankedRate, "click rate \(trainedRate) with the trained ranker, \(unrankedRate) unranked")
        }
    }

    @Test("a ranker from another world or environment is refused with a clear message")
    func mismatchesAreRefused() throws {
        let (world, _) = try Self.tinyWorld()
        try Self.withDirectory { directory in
            let ranker = RankerArchitecture(kind: .sharedBottom, expertLayers: [8], towerLayers: [4]).makeRanker(world: world, seed: 1)
            let model = directory.appendingPathComponent("sb.ckpt")
            try ranker.save(to: model, metadata: RankerWorldKey.metadata(for: world))
            #expect(throws: Never.self) { _ = try SimulationRanker.make(model.path, world: world) }

            let (otherSeed, _) = try Self.tinyWorld(seed: Self.seed + 1)
            #expect { _ = try SimulationRanker.make(model.path, world: otherSeed) } throws: { error in
                "\(error)".contains("trained in world \"tiny seed \(Self.seed)\"") && "\(error)".contains("--seed")
            }
            let (config, _) = try EnvironmentLoader.resolve("ecommerce")
            var small = config
            small.catalog = world.config.catalog
            small.users = world.config.users
            small.kuairand = nil
            let ecommerce = try World(config: small, seed: Self.seed)
            // Without a recorded world, the layout check still refuses another environment's features.
            let bare = directory.appendingPathComponent("bare.ckpt")
            try ranker.save(to: bare, metadata: [:])
            #expect { _ = try SimulationRanker.make(bare.path, world: ecommerce) } throws: { error in
                "\(error)".contains(bare.path) && "\(error)".contains("feature layout differs")
            }
            #expect { _ = try SimulationRanker.make(directory.appendingPathComponent("missing.ckpt").path, world: world) }
                throws: { error in "\(error)".contains("missing.ckpt") }
        }
    }
}
