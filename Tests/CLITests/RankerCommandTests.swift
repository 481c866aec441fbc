import EpisodeLog
import Foundation
import Testing

/// `train-ranker`, `evaluate-ranker` and `simulate --ranker` end to end on the tiny preset.
@Suite struct RankerCommandTests {
    @Test func trainEvaluateAndSimulateWithATrainedRanker() throws {
        try withTemporaryDirectory { directory in
            let log = directory.appendingPathComponent("train.sqlite").path
            let model = directory.appendingPathComponent("models/mmoe.ckpt").path
            let simulated = try CLI.run(["simulate", "--env", "tiny", "--sessions", "600", "--seed", "4", "--log", log],
                                        in: directory)
            try #require(simulated.succeeded, "\(simulated)")

            let trained = try CLI.run(["train-ranker", "--log", log, "--arch", "mmoe", "--experts", "2",
                                       "--expert-layers", "16", "--tower-layers", "8", "--epochs", "2", "--out", model,
                                       "--json"], in: directory)
            try #require(trained.succeeded, "\(trained)")
            #expect(trained.stderr.contains("epoch 1: train loss"))
            let report = try #require(try JSONSerialization.jsonObject(with: Data(trained.stdout.utf8)) as? [String: Any],
                                      "\(trained)")
            let tasks = try #require(report["tasks"] as? [[String: Any]], "\(trained)")
            #expect(tasks.map { $0["task"] as? String } == ["click", "longView", "hate"])
            for task in tasks {
                for key in ["auc", "logLoss", "ceilingAUC", "meanPrediction", "observedRate"] {
                    #expect(task[key] is Double, "\(key) missing in \(task)")
                }
            }
            #expect(FileManager.default.fileExists(atPath: model))

            let evaluated = try CLI.run(["evaluate-ranker", "--log", log, "--ranker", model, "--json"], in: directory)
            try #require(evaluated.succeeded, "\(evaluated)")
            let again = try #require(try JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])
            let evaluatedTasks = try #require(again["tasks"] as? [[String: Any]])
            // The same users and weights: the same numbers as at the end of training.
            #expect(evaluatedTasks.map { $0["auc"] as? Double } == tasks.map { $0["auc"] as? Double })

            let scored = try CLI.run(["simulate", "--env", "tiny", "--sessions", "100", "--seed", "4", "--ranker", model,
                                      "--no-log"], in: directory)
            try #require(scored.succeeded, "\(scored)")
            #expect(scored.stdout.contains("ranker \(model)"))

            let otherWorld = try CLI.run(["simulate", "--env", "tiny", "--sessions", "100", "--seed", "5", "--ranker", model,
                                          "--no-log"], in: directory)
            #expect(!otherWorld.succeeded)
            #expect(otherWorld.stderr.contains("trained in world \"tiny seed 4\""), "\(otherWorld)")
        }
    }
}
