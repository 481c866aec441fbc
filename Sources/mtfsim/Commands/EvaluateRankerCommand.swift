import ArgumentParser
import Foundation
import NeuralNet
import Ranking

/// `mtfsim evaluate-ranker`: a trained ranker's per-task metrics beside the ceiling.
struct EvaluateRankerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-ranker",
        abstract: "Per-task AUC, log-loss and calibration of a trained ranker beside the ceiling AUC.",
        discussion: """
        The ceiling is the AUC of the world's true probabilities on the same impressions: what a perfect ranker \
        would reach given the feedback noise. By default the ranker is evaluated on the test users of the split it \
        was trained with (recorded in the checkpoint); --split all evaluates every examined impression, e.g. of \
        another log of the same world.

        Example:
          mtfsim evaluate-ranker --log logs/train.sqlite --ranker models/mmoe.ckpt --json
        """
    )

    @Option(help: ArgumentHelp("Episode log with the impressions to evaluate on.", valueName: "log"))
    var log: String

    @Option(help: ArgumentHelp("Ranker checkpoint from `mtfsim train-ranker`.", valueName: "file"))
    var ranker: String

    @Option(name: .customLong("run"), help: ArgumentHelp("Run of the log (default: its last complete run).", valueName: "id"))
    var runID: Int?

    @Option(help: ArgumentHelp("Users to evaluate on: test, validation, train or all.", valueName: "part"))
    var split = "test"

    @Option(help: ArgumentHelp("Seed of the user split (default: the one the ranker was trained with).", valueName: "seed"))
    var splitSeed: UInt64?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard split == "all" || UserSplit.Part(rawValue: split) != nil else {
            throw ValidationError("--split must be test, validation, train or all, got \(split)")
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: ranker)
        let checkpoint = try Checkpoint(contentsOf: url)
        let metadata = checkpoint.header.metadata
        let seed = splitSeed ?? metadata["training.splitSeed"].flatMap(UInt64.init) ?? 1
        let source = try RankerLogSource(path: log, run: runID, splitSeed: seed)
        _ = try AnyRanker.simulationRanker(contentsOf: url, world: source.world)  // world and layout checks
        var model = try AnyRanker(checkpoint: checkpoint, path: ranker)
        let data = split == "all" ? source.data : source.part(UserSplit.Part(rawValue: split)!)
        guard !data.isEmpty else { throw CommandFailure("\(log): no examined impressions for the \(split) users") }
        let evaluation = model.evaluate(features: model.features(world: source.world), data: data)
        if json {
            print(try JSONOutput.encode(RankerEvaluationReport(
                ranker: ranker, architecture: model.architecture, log: log, run: source.run.id, split: split, splitSeed: seed,
                impressions: data.count, epochs: nil, bestEpoch: nil, trainingSeconds: nil, tasks: evaluation)))
        } else {
            print("\(ranker) (\(model.architecture)) on \(log) run \(source.run.id)")
            print(RankerEvaluationReport.table(evaluation, title: "\(split) users (\(data.count) impressions)"))
        }
    }
}
