import ArgumentParser
import EpisodeLog
import Foundation
import Ranking
import Rollout
import Simulator

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
    var arch = "mmoe"

    @Option(help: ArgumentHelp("Experts (MMoE), or task-specific experts per task (PLE).", valueName: "count"))
    var experts = 4

    @Option(help: ArgumentHelp("Shared experts per PLE level.", valueName: "count"))
    var sharedExperts = 2

    @Option(help: ArgumentHelp("PLE extraction levels.", valueName: "count"))
    var levels = 2

    @Option(help: ArgumentHelp("Layer sizes of each expert (or of the shared bottom), comma-separated.", valueName: "sizes"))
    var expertLayers = "64"

    @Option(help: ArgumentHelp("Hidden sizes of each task tower, comma-separated.", valueName: "sizes"))
    var towerLayers = "32"

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
        guard RankerArchitecture.Kind(rawValue: arch) != nil else {
            throw ValidationError("--arch must be one of \(RankerArchitecture.Kind.allCases.map(\.rawValue).joined(separator: ", ")), got \(arch)")
        }
        guard experts > 0, sharedExperts >= 0, levels > 0, epochs > 0, patience > 0, batchSize > 0, learningRate > 0,
              learningRateDecay > 0, learningRateDecay <= 1 else {
            throw ValidationError("--experts, --levels, --epochs, --patience, --batch-size and --learning-rate must be positive, "
                                  + "--learning-rate-decay in (0, 1]")
        }
        _ = try Self.sizes(expertLayers, option: "--expert-layers")
        _ = try Self.sizes(towerLayers, option: "--tower-layers")
    }

    static func sizes(_ text: String, option: String) throws -> [Int] {
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("\(option) must be comma-separated positive sizes such as 64 or 128,64, got \"\(text)\"")
        }
        return sizes.map { $0! }
    }

    func run() throws {
        let source = try RankerLogSource(path: log, run: runID, splitSeed: seed)
        let architecture = RankerArchitecture(
            kind: RankerArchitecture.Kind(rawValue: arch)!, experts: experts, sharedExperts: sharedExperts, levels: levels,
            expertLayers: try Self.sizes(expertLayers, option: "--expert-layers"),
            towerLayers: try Self.sizes(towerLayers, option: "--tower-layers"))
        var ranker = architecture.makeRanker(world: source.world, seed: seed)
        let features = ranker.features(world: source.world)
        var options = RankerTrainingOptions()
        options.maxEpochs = epochs
        options.patience = patience
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.learningRateDecay = learningRateDecay
        options.seed = seed
        let train = source.part(.train), validation = source.part(.validation), test = source.part(.test)
        printError("\(log) run \(source.run.id): \(source.data.count) examined impressions; users split "
                   + "\(train.count) / \(validation.count) / \(test.count) impressions (train / validation / test)")
        printError("\(arch): \(ranker.parameterCount) parameters, input \(features.layout.encodedDimension), "
                   + "tasks \(ranker.tasks.map(\.name).joined(separator: ", "))")
        let progress = ProgressReporter(total: train.count * epochs, unit: "samples")
        let started = Date()
        let reports = ranker.fit(features: features, train: train, validation: validation, options: options,
                                 progress: { done, _ in progress.update(done) }) { report in
            let auc = report.validation.prefix(2).map { "\($0.task) \(Self.format($0.auc))" }
            let calibration = report.validation.map { String(format: "%@ %+.0f%%", $0.task, 100 * $0.calibrationError) }
            progress.note("epoch \(report.epoch): train loss \(Self.format(report.trainLoss)), validation loss "
                          + "\(Self.format(report.validationLoss))\(report.best ? " (best)" : ""); validation AUC "
                          + auc.joined(separator: ", ") + "; calibration " + calibration.joined(separator: ", "))
        }
        progress.finish()
        let evaluation = ranker.evaluate(features: features, data: test)
        let path = out ?? "models/\(arch)-\(source.world.config.name)-seed\(seed).ckpt"
        try createParentDirectory(of: path)
        let best = reports.filter(\.best).last?.epoch ?? reports.count
        var metadata = RankerWorldKey.metadata(for: source.world)
        metadata["training.log"] = log
        metadata["training.run"] = String(source.run.id)
        metadata["training.splitSeed"] = String(seed)
        metadata["training.bestEpoch"] = String(best)
        metadata["training.testEvaluation"] = try JSONOutput.encode(evaluation)
        try ranker.save(to: URL(fileURLWithPath: path), metadata: metadata)
        let seconds = Date().timeIntervalSince(started)
        if json {
            print(try JSONOutput.encode(RankerEvaluationReport(
                ranker: path, architecture: arch, log: log, run: source.run.id, split: "test", splitSeed: seed,
                impressions: test.count, epochs: reports.count, bestEpoch: best, trainingSeconds: seconds, tasks: evaluation)))
        } else {
            print("\(arch) trained in \(String(format: "%.1f", seconds)) s (\(reports.count) epochs, best \(best)) → \(path)")
            print(RankerEvaluationReport.table(evaluation, title: "test users (\(test.count) impressions)"))
        }
    }

    static func format(_ x: Double) -> String { String(format: "%.4f", x) }
}
