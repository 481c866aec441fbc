import Foundation
import Ranking
import Simulator

/// A fresh ranker of an architecture and the log it learns from: trained on the split's training users with early
/// stopping on the validation users, evaluated on the test users, saved with its provenance (`mtfsim train-ranker`).
public struct RankerTraining: Sendable {
    public let source: RankerLogSource
    public let architecture: RankerArchitecture
    public private(set) var ranker: AnyRanker
    public let features: RankerFeatures
    public var options: RankerTrainingOptions

    /// A freshly initialised ranker for `source`'s world; `options.seed` seeds the initialisation (the split and
    /// the shuffling use it too).
    public init(source: RankerLogSource, architecture: RankerArchitecture, options: RankerTrainingOptions) {
        self.source = source
        self.architecture = architecture
        self.options = options
        ranker = architecture.makeRanker(world: source.world, seed: options.seed)
        features = ranker.features(world: source.world)
    }

    /// `models/<arch>-<environment>-seed<S>.ckpt`.
    public var defaultOutputPath: String {
        "models/\(architecture.kind.rawValue)-\(source.world.config.name)-seed\(options.seed).ckpt"
    }

    /// Trains (see `AnyRanker.fit`), evaluates on the test users and saves the ranker to `outputPath` (default
    /// `defaultOutputPath`, folders created), with the world key and the training's log, run, split seed, best epoch
    /// and test evaluation in its metadata. `progress` gets (samples done, samples in all epochs); `epoch` every
    /// epoch's report.
    public mutating func run(outputPath: String? = nil, progress: (Int, Int) -> Void = { _, _ in },
                             epoch: (RankerEpochReport) -> Void = { _ in }) throws -> RankerEvaluationReport {
        let train = source.part(.train), validation = source.part(.validation), test = source.part(.test)
        let started = Date()
        let reports = ranker.fit(features: features, train: train, validation: validation, options: options,
                                 progress: progress, report: epoch)
        let evaluation = ranker.evaluate(features: features, data: test)
        let path = outputPath ?? defaultOutputPath
        let best = reports.filter(\.best).last?.epoch ?? reports.count
        var metadata = RankerWorldKey.metadata(for: source.world)
        metadata["training.log"] = source.path
        metadata["training.run"] = String(source.run.id)
        metadata["training.splitSeed"] = String(options.seed)
        metadata["training.bestEpoch"] = String(best)
        metadata["training.testEvaluation"] = try Self.json(evaluation)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try ranker.save(to: URL(fileURLWithPath: path), metadata: metadata)
        return RankerEvaluationReport(ranker: path, architecture: architecture.kind.rawValue, log: source.path,
                                      run: source.run.id, split: RankerLogSource.Users.test.rawValue, splitSeed: options.seed,
                                      impressions: test.count, epochs: reports.count, bestEpoch: best,
                                      trainingSeconds: Date().timeIntervalSince(started), tasks: evaluation)
    }

    /// Pretty-printed JSON with sorted keys, non-finite numbers as strings (the form of the CLI's `--json`).
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
