import ArgumentParser
import Foundation
import Ranking
import Rollout

/// `mtfsim train-ranker`: train a multi-task ranker on the impressions of an episode log.
struct TrainRankerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-ranker",
        abstract: "Train an MMoE, PLE, shared-bottom or ESMM ranker on the impressions of an episode log.",
        discussion: """
        Every examined impression of the run is an example: the observed user (activity degree, registration age, \
        engagement history so far: per-task rates overall and in the item's category, recent plays), item (id, \
        category, creator, duration, observed popularity, price) and context (request index in the session), \
        labelled with the realised tasks and the watch time. Users are split into train / validation / \
        test sets (80/10/10, drawn from --seed); training uses Adam on shuffled mini-batches and stops when the \
        validation loss has not improved for --patience epochs, keeping the best epoch.

        At the end, every task's test AUC and log-loss are printed beside the ceiling: the AUC of the world's true \
        probabilities on the same impressions. The checkpoint records its feature layout, tasks and world, so \
        `mtfsim simulate --ranker FILE` can rank with it (same environment and --seed as the log). Log with \
        --random-exposure: a ranker that only ever saw the top of each candidate set ranks the rest at random.

        Examples:
          mtfsim simulate --policy mixture --random-exposure 0.15 --sessions 20000 --log logs/train.sqlite
          mtfsim train-ranker --log logs/train.sqlite --arch mmoe --out models/mmoe.ckpt
          mtfsim train-ranker --log logs/train.sqlite --arch ple --experts 2 --shared-experts 2 --out models/ple.ckpt
          mtfsim evaluate-ranker --log logs/train.sqlite --ranker models/mmoe.ckpt --json
        """
    )

    @Option(help: ArgumentHelp("Episode log whose impressions to learn from.", valueName: "log"))
    var log: String

    @Option(name: .customLong("run"), help: ArgumentHelp("Run of the log (default: its last complete run).", valueName: "id"))
    var runID: Int?

    @Option(help: ArgumentHelp("Architecture: mmoe, ple, shared-bottom or esmm (MMoE with ESMM cascade heads).", valueName: "name"))
    var arch = RankerArchitecture.Kind.mmoe

    @Option(help: ArgumentHelp("Experts (MMoE), or task-specific experts per task (PLE).", valueName: "count"))
    var experts = 4

    @Option(help: ArgumentHelp("Shared experts per PLE level.", valueName: "count"))
    var sharedExperts = 2

    @Option(help: ArgumentHelp("PLE extraction levels.", valueName: "count"))
    var levels = 2

    @Option(help: ArgumentHelp("Layer sizes of each expert (or of the shared bottom), comma-separated.", valueName: "sizes"))
    var expertLayers = LayerSizes(argument: "64")!

    @Option(help: ArgumentHelp("Hidden sizes of each task tower, comma-separated.", valueName: "sizes"))
    var towerLayers = LayerSizes(argument: "32")!

    @Option(help: ArgumentHelp("Maximum epochs.", valueName: "count"))
    var epochs = 20

    @Option(help: ArgumentHelp("Stop after this many epochs without a better validation loss.", valueName: "count"))
    var patience = 2

    @Option(help: ArgumentHelp("Mini-batch size.", valueName: "count"))
    var batchSize = 1024

    @Option(help: "Adam learning rate of the first epoch.")
    var learningRate: Float = 1e-3

    @Option(help: "Factor applied to the learning rate after every epoch.")
    var learningRateDecay: Float = 0.6

    @Option(help: "Seed of the user split, the initialisation and the shuffling.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Checkpoint to write (default: models/<arch>-<environment>-seed<S>.ckpt).", valueName: "path"))
    var out: String?

    @Flag(help: "Print the test evaluation as JSON (progress and epoch lines go to standard error).")
    var json = false

    func validate() throws {
        guard experts > 0, sharedExperts >= 0, levels > 0, epochs > 0, patience > 0, batchSize > 0, learningRate > 0,
              learningRateDecay > 0, learningRateDecay <= 1 else {
            throw ValidationError("--experts, --levels, --epochs, --patience, --batch-size and --learning-rate must be positive, "
                                  + "--learning-rate-decay in (0, 1]")
        }
    }

    func run() throws {
        let source = try RankerLogSource(path: log, run: runID, splitSeed: seed)
        let architecture = RankerArchitecture(kind: arch, experts: experts, sharedExperts: sharedExperts, levels: levels,
                                              expertLayers: expertLayers.values, towerLayers: towerLayers.values)
        var options = RankerTrainingOptions()
        options.maxEpochs = epochs
        options.patience = patience
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.learningRateDecay = learningRateDecay
        options.seed = seed
        var training = RankerTraining(source: source, architecture: architecture, options: options)
        let train = source.part(.train).count, validation = source.part(.validation).count, test = source.part(.test).count
        printError("\(log) run \(source.run.id): \(source.data.count) examined impressions; users split "
                   + "\(train) / \(validation) / \(test) impressions (train / validation / test)")
        printError("\(arch.rawValue): \(training.ranker.parameterCount) parameters, input \(training.features.layout.encodedDimension), "
                   + "tasks \(training.ranker.tasks.map(\.name).joined(separator: ", "))")
        let progress = ProgressReporter(total: train * epochs, unit: "samples")
        let report = try training.run(outputPath: out, progress: { done, _ in progress.update(done) }) { report in
            let auc = report.validation.prefix(2).map { "\($0.task) \(Self.format($0.auc))" }
            let calibration = report.validation.map { String(format: "%@ %+.0f%%", $0.task, 100 * $0.calibrationError) }
            progress.note("epoch \(report.epoch): train loss \(Self.format(report.trainLoss)), validation loss "
                          + "\(Self.format(report.validationLoss))\(report.best ? " (best)" : ""); validation AUC "
                          + auc.joined(separator: ", ") + "; calibration " + calibration.joined(separator: ", "))
        }
        progress.finish()
        if json {
            print(try JSONOutput.encode(report))
        } else {
            print("\(arch.rawValue) trained in \(String(format: "%.1f", report.trainingSeconds ?? 0)) s "
                  + "(\(report.epochs ?? 0) epochs, best \(report.bestEpoch ?? 0)) → \(report.ranker)")
            print(RankerEvaluationReport.table(report.tasks, title: "test users (\(report.impressions) impressions)"))
        }
    }

    static func format(_ x: Double) -> String { String(format: "%.4f", x) }
}
