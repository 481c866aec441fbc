import Foundation
import NeuralNet
import Numerics

/// Metadata keys under which a ranker checkpoint describes itself (JSON values).
public enum RankerCheckpointKey {
    public static let architecture = "ranker.architecture"
    public static let configuration = "ranker.configuration"
    public static let featureLayout = "ranker.featureLayout"
    public static let tasks = "ranker.tasks"
    public static let all = [architecture, configuration, featureLayout, tasks]
}

extension MultiTaskRanker {
    /// The checkpoint kind of every ranker; the architecture is in the metadata.
    public static var checkpointKind: String { "mtfsim-ranker" }

    /// A checkpoint of the weights with the architecture name, its configuration, the feature
    /// layout and the tasks in the header metadata (plus `metadata`, e.g. the training run).
    public func checkpoint(metadata: [String: String] = [:]) throws -> Checkpoint {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        var all = metadata
        all[RankerCheckpointKey.architecture] = Network.architecture
        all[RankerCheckpointKey.configuration] = try json(configuration)
        all[RankerCheckpointKey.featureLayout] = try json(layout)
        all[RankerCheckpointKey.tasks] = try json(tasks)
        return Checkpoint(model: self, kind: Self.checkpointKind, metadata: all)
    }

    /// Saves the ranker atomically to `url`.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        let checkpoint: Checkpoint
        do {
            checkpoint = try self.checkpoint(metadata: metadata)
        } catch {
            throw CheckpointError(path: url.path, kind: .malformedHeader("cannot encode ranker description: \(error)"))
        }
        try checkpoint.save(to: url)
    }

    /// Rebuilds the ranker stored at `url`.
    ///
    /// - Throws: `CheckpointError`; `.architectureMismatch` when the file holds another
    ///   architecture (or is not a ranker).
    public init(contentsOf url: URL) throws {
        try self.init(checkpoint: try Checkpoint(contentsOf: url), path: url.path)
    }

    /// Rebuilds the ranker described by `checkpoint`; `path` names it in errors.
    public init(checkpoint: Checkpoint, path: String) throws {
        let description = try RankerDescription(checkpoint: checkpoint, path: path)
        guard description.architecture == Network.architecture else {
            throw CheckpointError(path: path, kind: .architectureMismatch(
                "file holds a \"\(description.architecture)\" ranker, expected \"\(Network.architecture)\""))
        }
        let configuration: Network.Configuration = try description.decode(RankerCheckpointKey.configuration)
        let layout: FeatureLayout = try description.decode(RankerCheckpointKey.featureLayout)
        let tasks: [TaskSpec] = try description.decode(RankerCheckpointKey.tasks)
        var stream = RandomStream(seed: 0)
        self.init(layout: layout, tasks: tasks, configuration: configuration, stream: &stream)
        try checkpoint.restore(into: &self, path: path)
    }

    /// Loads the weights at `url` into this ranker; the file must hold the same architecture,
    /// configuration, feature layout and tasks.
    ///
    /// - Returns: the checkpoint's metadata.
    /// - Throws: `CheckpointError.Kind.architectureMismatch` naming the first difference; the
    ///   ranker is unchanged when it throws.
    @discardableResult
    public mutating func load(from url: URL) throws -> [String: String] {
        let checkpoint = try Checkpoint(contentsOf: url)
        let loaded = try MultiTaskRanker(checkpoint: checkpoint, path: url.path)
        func mismatch(_ reason: String) -> CheckpointError {
            CheckpointError(path: url.path, kind: .architectureMismatch(reason))
        }
        if loaded.configuration != configuration {
            throw mismatch("\(Network.architecture) configuration \(loaded.configuration), expected \(configuration)")
        }
        if let difference = loaded.layout.difference(from: layout) {
            throw mismatch("feature layout differs: file has \(difference)")
        }
        if loaded.tasks != tasks {
            throw mismatch("tasks \(loaded.tasks.map(\.name)), expected \(tasks.map(\.name))")
        }
        self = loaded
        return checkpoint.header.metadata
    }
}

/// The self-description of a ranker checkpoint, decoded from its metadata.
public struct RankerDescription: Sendable {
    public var architecture: String
    public var metadata: [String: String]
    let path: String

    /// Reads the architecture and checks that the checkpoint is a ranker.
    public init(checkpoint: Checkpoint, path: String) throws {
        let header = checkpoint.header
        guard header.kind == "mtfsim-ranker", let architecture = header.metadata[RankerCheckpointKey.architecture] else {
            throw CheckpointError(path: path, kind: .architectureMismatch(
                "kind \"\(header.kind)\" is not a ranker checkpoint (expected \"mtfsim-ranker\")"))
        }
        for key in RankerCheckpointKey.all where header.metadata[key] == nil {
            throw CheckpointError(path: path, kind: .malformedHeader("ranker checkpoint lacks metadata \"\(key)\""))
        }
        self.architecture = architecture
        self.metadata = header.metadata
        self.path = path
    }

    /// The feature layout the ranker was trained on.
    public var featureLayout: FeatureLayout {
        get throws { try decode(RankerCheckpointKey.featureLayout) }
    }

    /// The ranker's tasks.
    public var tasks: [TaskSpec] {
        get throws { try decode(RankerCheckpointKey.tasks) }
    }

    func decode<T: Decodable>(_ key: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data((metadata[key] ?? "").utf8))
        } catch {
            throw CheckpointError(path: path, kind: .malformedHeader("cannot decode \"\(key)\" as \(T.self): \(error)"))
        }
    }
}

/// A ranker of any built-in architecture, as loaded from a checkpoint whose architecture is not
/// known in advance (`mtfsim simulate --ranker FILE`).
public enum AnyRanker: Sendable {
    case sharedBottom(MultiTaskRanker<SharedBottom>)
    case mmoe(MultiTaskRanker<MMoE>)
    case ple(MultiTaskRanker<PLE>)

    /// Loads the checkpoint at `url`, dispatching on its architecture.
    public init(contentsOf url: URL) throws {
        try self.init(checkpoint: try Checkpoint(contentsOf: url), path: url.path)
    }

    /// Rebuilds the ranker in `checkpoint`, dispatching on its architecture; `path` names it in errors.
    public init(checkpoint: Checkpoint, path: String) throws {
        let description = try RankerDescription(checkpoint: checkpoint, path: path)
        switch description.architecture {
        case SharedBottom.architecture: self = .sharedBottom(try MultiTaskRanker(checkpoint: checkpoint, path: path))
        case MMoE.architecture: self = .mmoe(try MultiTaskRanker(checkpoint: checkpoint, path: path))
        case PLE.architecture: self = .ple(try MultiTaskRanker(checkpoint: checkpoint, path: path))
        default:
            throw CheckpointError(path: path, kind: .architectureMismatch(
                "unknown ranker architecture \"\(description.architecture)\" (known: shared-bottom, mmoe, ple)"))
        }
    }

    public var architecture: String {
        switch self {
        case .sharedBottom: SharedBottom.architecture
        case .mmoe: MMoE.architecture
        case .ple: PLE.architecture
        }
    }

    public var layout: FeatureLayout {
        switch self {
        case .sharedBottom(let r): r.layout
        case .mmoe(let r): r.layout
        case .ple(let r): r.layout
        }
    }

    public var tasks: [TaskSpec] {
        switch self {
        case .sharedBottom(let r): r.tasks
        case .mmoe(let r): r.tasks
        case .ple(let r): r.tasks
        }
    }

    /// Per-task predictions for `batch` (allocates; keep a concrete `MultiTaskRanker` for hot loops).
    public mutating func predict(_ batch: FeatureBatch) -> Matrix {
        var outputs = Matrix(rows: 0, columns: 0)
        switch self {
        case .sharedBottom(var r): r.forward(batch, into: &outputs); self = .sharedBottom(r); return r.predictions(outputs: outputs)
        case .mmoe(var r): r.forward(batch, into: &outputs); self = .mmoe(r); return r.predictions(outputs: outputs)
        case .ple(var r): r.forward(batch, into: &outputs); self = .ple(r); return r.predictions(outputs: outputs)
        }
    }
}
