import Foundation
import NeuralNet
import Numerics
import Simulator

/// The ranker architectures `mtfsim train-ranker --arch` builds, with their sizes.
public struct RankerArchitecture: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case mmoe
        case ple
        case sharedBottom = "shared-bottom"
        /// MMoE with ESMM cascade heads for the conditional tasks (`RankerTasks.specs(cascade: true)`).
        case esmm
    }

    public var kind: Kind
    /// MMoE experts; PLE task-specific experts per task (PLE also has `sharedExperts`).
    public var experts: Int
    public var sharedExperts: Int
    /// PLE extraction levels.
    public var levels: Int
    /// Layer sizes of each expert (or of the shared bottom) after the input.
    public var expertLayers: [Int]
    /// Hidden sizes of each task tower.
    public var towerLayers: [Int]
    public var dimensions: RankerFeatures.Dimensions

    public init(kind: Kind, experts: Int = 4, sharedExperts: Int = 2, levels: Int = 2, expertLayers: [Int] = [64],
                towerLayers: [Int] = [32], dimensions: RankerFeatures.Dimensions = .standard) {
        self.kind = kind
        self.experts = experts
        self.sharedExperts = sharedExperts
        self.levels = levels
        self.expertLayers = expertLayers
        self.towerLayers = towerLayers
        self.dimensions = dimensions
    }

    /// The default simulation ranker, the size of a production pre-ranker: input 128, 4 experts 128→64,
    /// one gate per task, towers 64→32→1.
    public static let simulationDefault = RankerArchitecture(kind: .mmoe)

    /// A freshly initialised ranker of this architecture for `world`'s features and tasks, with all-zero
    /// embedding tables (see `FeatureEncoder.init`).
    public func makeRanker(world: World, seed: UInt64) -> AnyRanker {
        let features = RankerFeatures(world: world, dimensions: dimensions)
        let tasks = RankerTasks.specs(for: world.config, cascade: kind == .esmm)
        let input = features.layout.encodedDimension
        var stream = RandomStream(seed: seed, keys: streamKey("ranker-init"))
        switch kind {
        case .mmoe, .esmm:
            let c = MMoE.Configuration(inputSize: input, taskCount: tasks.count, expertCount: experts,
                                       expertLayers: expertLayers, towerLayers: towerLayers)
            return .mmoe(MultiTaskRanker(layout: features.layout, tasks: tasks, configuration: c, stream: &stream,
                                        embeddingStandardDeviation: 0))
        case .ple:
            let c = PLE.Configuration(inputSize: input, taskCount: tasks.count, levels: levels, taskExperts: experts,
                                      sharedExperts: sharedExperts, expertLayers: expertLayers, towerLayers: towerLayers)
            return .ple(MultiTaskRanker(layout: features.layout, tasks: tasks, configuration: c, stream: &stream,
                                        embeddingStandardDeviation: 0))
        case .sharedBottom:
            let c = SharedBottom.Configuration(inputSize: input, taskCount: tasks.count, bottomLayers: expertLayers,
                                               towerLayers: towerLayers)
            return .sharedBottom(MultiTaskRanker(layout: features.layout, tasks: tasks, configuration: c, stream: &stream,
                                        embeddingStandardDeviation: 0))
        }
    }
}

extension AnyRanker {
    /// Trains the ranker in place (see `RankerTrainer.fit`) and returns the epoch reports.
    public mutating func fit(features: RankerFeatures, train: ImpressionDataset, validation: ImpressionDataset,
                             options: RankerTrainingOptions, progress: (Int, Int) -> Void = { _, _ in },
                             report: (RankerEpochReport) -> Void = { _ in }) -> [RankerEpochReport] {
        func run<N>(_ r: MultiTaskRanker<N>, _ wrap: (MultiTaskRanker<N>) -> AnyRanker) -> [RankerEpochReport] {
            var trainer = RankerTrainer(ranker: r, features: features, options: options)
            let reports = trainer.fit(train: train, validation: validation, progress: progress, report: report)
            self = wrap(trainer.ranker)
            return reports
        }
        switch self {
        case .sharedBottom(let r): return run(r, AnyRanker.sharedBottom)
        case .mmoe(let r): return run(r, AnyRanker.mmoe)
        case .ple(let r): return run(r, AnyRanker.ple)
        }
    }

    /// Per-task metrics beside the ceiling on `data` (see `RankerTaskEvaluation.evaluate`).
    public mutating func evaluate(features: RankerFeatures, data: ImpressionDataset) -> [RankerTaskEvaluation] {
        switch self {
        case .sharedBottom(var r):
            defer { self = .sharedBottom(r) }
            return RankerTaskEvaluation.evaluate(&r, features: features, data: data)
        case .mmoe(var r):
            defer { self = .mmoe(r) }
            return RankerTaskEvaluation.evaluate(&r, features: features, data: data)
        case .ple(var r):
            defer { self = .ple(r) }
            return RankerTaskEvaluation.evaluate(&r, features: features, data: data)
        }
    }

    /// Saves the ranker atomically with `metadata` (see `MultiTaskRanker.save`).
    public func save(to url: URL, metadata: [String: String]) throws {
        switch self {
        case .sharedBottom(let r): try r.save(to: url, metadata: metadata)
        case .mmoe(let r): try r.save(to: url, metadata: metadata)
        case .ple(let r): try r.save(to: url, metadata: metadata)
        }
    }

    /// Number of trainable parameters.
    public var parameterCount: Int {
        switch self {
        case .sharedBottom(let r): r.parameterCount
        case .mmoe(let r): r.parameterCount
        case .ple(let r): r.parameterCount
        }
    }

    /// Floating-point operations of the dense layers per scored example, `2 · Σ weights` over every weight
    /// matrix (embedding lookups, biases, activations and gate mixing are not counted): the GEMM work.
    public var denseFlopsPerExample: Int {
        var weights = 0
        func count(_ store: some ParameterStore) {
            store.forEachParameter { p in if p.name.hasSuffix(".weight") { weights += p.value.count } }
        }
        switch self {
        case .sharedBottom(let r): count(r)
        case .mmoe(let r): count(r)
        case .ple(let r): count(r)
        }
        return 2 * weights
    }

    /// Dense-layer FLOPs per candidate that `simulationRanker(world:name:)` computes: for MMoE those of
    /// `MMoEInference` (heads the simulator does not read are skipped), otherwise `denseFlopsPerExample`.
    public func simulationDenseFlopsPerExample(world: World) -> Int {
        if case .mmoe(let r) = self { return MMoEInference(r, taskCount: world.config.taskNames.count).denseFlopsPerRow }
        return denseFlopsPerExample
    }

    /// The widest output of any weight matrix (the N of the ranker's largest GEMM).
    public var largestLayerWidth: Int {
        var widest = 0
        func scan(_ store: some ParameterStore) {
            store.forEachParameter { p in if p.name.hasSuffix(".weight") { widest = max(widest, p.value.columns) } }
        }
        switch self {
        case .sharedBottom(let r): scan(r)
        case .mmoe(let r): scan(r)
        case .ple(let r): scan(r)
        }
        return widest
    }

    /// This ranker scoring `world`'s candidates (see `NeuralSimulationRanker`).
    public func simulationRanker(world: World, name: String) throws -> any Ranker {
        switch self {
        case .sharedBottom(let r): try NeuralSimulationRanker(r, world: world, name: name)
        case .mmoe(let r): try NeuralSimulationRanker(r, world: world, name: name)
        case .ple(let r): try NeuralSimulationRanker(r, world: world, name: name)
        }
    }

    /// The features this ranker reads in `world`.
    public func features(world: World) -> RankerFeatures {
        RankerFeatures(world: world, dimensions: layout.dimensions)
    }
}
