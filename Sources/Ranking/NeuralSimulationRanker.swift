import Foundation
import NeuralNet
import Numerics
import Simulator

/// A multi-task network ranking the simulator's candidates (`mtfsim simulate --ranker FILE`): every candidate of
/// every request in the batch is scored in one call, so the layers are GEMMs of many rows.
///
/// The predictions handed to the simulator are the network's first `taskCount` columns as probabilities
/// (σ(z), or p(parent)·p(task | parent) for cascade columns); the watch-time regression is not used for
/// fusion. Deterministic: no randomness. (OpenBLAS may round a row differently depending on its position in the
/// batch, so bit-identical predictions also need the same block composition — which a run's fixed lanes give,
/// whatever the thread count.)
///
/// MMoE rankers (the default simulation ranker, and ESMM) are scored through `MMoEInference`: chunks of 512 rows
/// that stay in cache, the experts' first layer and the gates as one GEMM, and only the columns the simulator
/// reads — about 1.6–1.8 times the requests/s of the training-shaped `MultiTaskRanker.forward`, which
/// shared-bottom and PLE rankers still use (BENCHMARKS.md, "Rankers").
///
/// Simulation threads share one instance; each call borrows a private workspace (a copy of the network whose
/// weights are shared copy-on-write and never written, or `MMoEInference`'s chunk buffers).
public final class NeuralSimulationRanker<Network: MultiTaskNetwork>: Ranker, @unchecked Sendable {
    public let name: String
    public let taskCount: Int
    public let features: RankerFeatures
    private let prototype: MultiTaskRanker<Network>
    /// The fast path, for MMoE.
    private let inference: MMoEInference?
    private let lock = NSLock()
    private var idle: [Workspace] = []

    private struct Workspace {
        var ranker: MultiTaskRanker<Network>
        var batch: FeatureBatch
        var outputs = Matrix(rows: 0, columns: 0)
        var chunk: MMoEInference.Workspace?
    }

    /// Wraps `ranker` for `world`; throws `RankerCompatibilityError` when the ranker was built for another
    /// feature layout or predicts other tasks than the environment's.
    public init(_ ranker: MultiTaskRanker<Network>, world: World, name: String? = nil) throws {
        let features = RankerFeatures(world: world, dimensions: ranker.layout.dimensions)
        if let difference = ranker.layout.difference(from: features.layout) {
            throw RankerCompatibilityError.layout("the ranker's feature layout differs from this environment's: \(difference)")
        }
        if let mismatch = RankerTasks.mismatch(ranker.tasks, config: world.config) {
            throw RankerCompatibilityError.tasks(mismatch)
        }
        self.features = features
        prototype = ranker
        taskCount = world.config.taskNames.count
        inference = (ranker as? MultiTaskRanker<MMoE>).map { MMoEInference($0, taskCount: world.config.taskNames.count) }
        self.name = name ?? Network.architecture
    }

    public func predict(_ batch: CandidateBatch, streams: UnsafeMutablePointer<RandomStream>,
                        into predictions: UnsafeMutablePointer<Float>) {
        var workspace = borrow()
        let k = batch.candidatesPerLane
        // Without histories (a caller other than the simulator), every user is new.
        let empty = batch.histories == nil
            ? EngagementHistory(taskCount: taskCount, categoryCount: batch.catalog.categoryCount) : nil
        batch.catalog.category.withUnsafeBufferPointer { category in
            func history(_ row: Int, _ out: UnsafeMutablePointer<Float>) {
                let c = Int(category[Int(batch.items[row])])
                if let histories = batch.histories { histories[row / k].write(category: c, into: out) }
                else { empty!.write(category: c, into: out) }
            }
            if let inference, let chunk = workspace.chunk {
                inference.predict(rows: batch.rows, fill: { start, count, ids, numerical in
                    features.fill(count: count, users: { batch.users[(start + $0) / k] }, items: { batch.items[start + $0] },
                                  requestIndices: { batch.requestIndices?[(start + $0) / k] ?? 0 },
                                  history: { history(start + $0, $1) }, ids: ids, numerical: numerical)
                }, workspace: chunk, into: predictions)
                return
            }
            features.fill(count: batch.rows, users: { batch.users[$0 / k] }, items: { batch.items[$0] },
                          requestIndices: { batch.requestIndices?[$0 / k] ?? 0 }, history: history, into: &workspace.batch)
            workspace.ranker.forward(workspace.batch, into: &workspace.outputs)
            Self.probabilities(workspace.outputs, tasks: prototype.tasks, count: taskCount, into: predictions)
        }
        giveBack(workspace)
    }

    /// Writes the first `count` columns of `outputs` as probabilities, `rows × count`.
    static func probabilities(_ outputs: Matrix, tasks: [TaskSpec], count: Int, into out: UnsafeMutablePointer<Float>) {
        let columns = outputs.columns
        outputs.withUnsafeBufferPointer { z in
            for (j, task) in tasks.prefix(count).enumerated() {
                switch task.kind {
                case .cascade(let parent):
                    for i in 0..<outputs.rows {
                        out[i * count + j] = ESMMHead.jointProbability(clickLogit: z[i * columns + parent],
                                                                        conversionLogit: z[i * columns + j])
                    }
                default:
                    for i in 0..<outputs.rows { out[i * count + j] = Elementary.sigmoid(z[i * columns + j]) }
                }
            }
        }
    }

    private func borrow() -> Workspace {
        lock.lock()
        defer { lock.unlock() }
        if let workspace = idle.popLast() { return workspace }
        return Workspace(ranker: prototype,
                         batch: FeatureBatch(count: 0, categorical: [], numerical: Matrix(rows: 0, columns: features.layout.numericalDimension)),
                         chunk: inference?.makeWorkspace())
    }

    private func giveBack(_ workspace: Workspace) {
        lock.lock()
        idle.append(workspace)
        lock.unlock()
    }
}

/// Why a ranker cannot rank an environment's candidates.
public enum RankerCompatibilityError: Error, CustomStringConvertible, Equatable {
    case layout(String)
    case tasks(String)
    case world(String)

    public var description: String {
        switch self {
        case .layout(let reason), .tasks(let reason), .world(let reason): reason
        }
    }

    /// The same error with `path: ` in front of its reason.
    func naming(_ path: String) -> RankerCompatibilityError {
        switch self {
        case .layout(let reason): .layout("\(path): \(reason)")
        case .tasks(let reason): .tasks("\(path): \(reason)")
        case .world(let reason): .world("\(path): \(reason)")
        }
    }
}

extension FeatureLayout {
    /// The embedding and projection widths of a `RankerFeatures` layout (standard ones for other layouts).
    var dimensions: RankerFeatures.Dimensions {
        guard categorical.count == 3 else { return .standard }
        return RankerFeatures.Dimensions(item: categorical[0].embeddingDimension, category: categorical[1].embeddingDimension,
                                         creator: categorical[2].embeddingDimension,
                                         numerical: numericalProjection ?? RankerFeatures.Dimensions.standard.numerical)
    }
}

/// Metadata keys with which a trained ranker records the world it was trained in.
public enum RankerWorldKey {
    /// `RankerFeatures.fingerprint(of:)` of the training world, as a hexadecimal string.
    public static let fingerprint = "ranker.world.fingerprint"
    /// Human-readable: `"<environment> seed <S>"`.
    public static let description = "ranker.world"

    /// The metadata entries for `world`.
    public static func metadata(for world: World) -> [String: String] {
        [fingerprint: String(RankerFeatures.fingerprint(of: world), radix: 16),
         description: "\(world.config.name) seed \(world.seed)"]
    }
}

extension AnyRanker {
    /// Loads the ranker checkpoint at `url` as a simulation ranker for `world`, named by the path (which is
    /// what a run's log records, so that `--resume` and `replay` find the same ranker).
    ///
    /// - Throws: `CheckpointError` for an unreadable file; `RankerCompatibilityError` when it was trained in
    ///   another world (ids would name other items and users), for another feature layout, or other tasks.
    public static func simulationRanker(contentsOf url: URL, world: World) throws -> any Ranker {
        let checkpoint = try Checkpoint(contentsOf: url)
        let metadata = checkpoint.header.metadata
        let expected = String(RankerFeatures.fingerprint(of: world), radix: 16)
        if let trained = metadata[RankerWorldKey.fingerprint], trained != expected {
            throw RankerCompatibilityError.world(
                "\(url.path): the ranker was trained in world \"\(metadata[RankerWorldKey.description] ?? "?")\"; this run's "
                + "world is \"\(world.config.name) seed \(world.seed)\", whose item and user ids mean other items and "
                + "users (simulate with the training log's environment and --seed)")
        }
        let name = url.relativePath
        do {
            switch try AnyRanker(checkpoint: checkpoint, path: url.path) {
            case .sharedBottom(let r): return try NeuralSimulationRanker(r, world: world, name: name)
            case .mmoe(let r): return try NeuralSimulationRanker(r, world: world, name: name)
            case .ple(let r): return try NeuralSimulationRanker(r, world: world, name: name)
            }
        } catch let error as RankerCompatibilityError {
            throw error.naming(url.path)
        }
    }
}
