import Foundation
import NeuralNet
import Ranking
import Rollout
import Testing

/// `train-ranker` and `evaluate-ranker` as library calls: the saved ranker evaluates to the numbers training
/// reported, on the users of the recorded split.
@Suite struct RankerTrainingTests {
    @Test func evaluatingTheSavedRankerRepeatsTheTestEvaluation() throws {
        let directory = try ReplayTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try ReplayTests.logRun("mixture", sessions: 150, directory: directory)
        let source = try RankerLogSource(path: log, run: nil, splitSeed: 4)
        var options = RankerTrainingOptions()
        options.maxEpochs = 1
        options.batchSize = 256
        options.seed = 4
        var training = RankerTraining(source: source, architecture: RankerArchitecture(kind: .mmoe, experts: 2, expertLayers: [8],
                                                                                        towerLayers: [4]), options: options)
        #expect(training.defaultOutputPath == "models/mmoe-\(source.world.config.name)-seed4.ckpt")
        let model = directory.appendingPathComponent("nested/mmoe.ckpt").path
        let trained = try training.run(outputPath: model)
        #expect(trained.ranker == model && trained.architecture == "mmoe" && trained.split == "test" && trained.splitSeed == 4)
        #expect(trained.impressions == source.part(.test).count)
        #expect(trained.epochs == 1 && trained.bestEpoch == 1)

        let metadata = try Checkpoint(contentsOf: URL(fileURLWithPath: model)).header.metadata
        #expect(metadata["training.splitSeed"] == "4" && metadata["training.log"] == log)
        #expect(metadata["training.run"] == String(source.run.id) && metadata["training.bestEpoch"] == "1")

        // The split seed comes from the checkpoint: the same test users, the same numbers.
        let again = try RankerEvaluationReport.evaluate(rankerPath: model, logPath: log, run: nil, users: .test, splitSeed: nil)
        #expect(again.splitSeed == 4 && again.impressions == trained.impressions && again.epochs == nil)
        #expect(String(describing: again.tasks) == String(describing: trained.tasks))
        let all = try RankerEvaluationReport.evaluate(rankerPath: model, logPath: log, run: nil, users: .all, splitSeed: nil)
        #expect(all.impressions == source.data.count && all.split == "all")
        let parts = source.part(.train).count + source.part(.validation).count + source.part(.test).count
        #expect(parts == source.data.count)
    }

    @Test func aMissingRunIsAFailureNamingTheRuns() throws {
        let directory = try ReplayTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try ReplayTests.logRun("baseline", sessions: 20, directory: directory)
        #expect(throws: RankerLogSource.Failure(description: "\(log): no run 7 (runs: 1)")) {
            try RankerLogSource(path: log, run: 7, splitSeed: 1)
        }
    }

    @Test func usersMapToTheSplitsParts() {
        #expect(RankerLogSource.Users.allCases.map(\.part) == [.test, .validation, .train, nil])
    }
}
