import Foundation
import NeuralNet
import Numerics
import Simulator

/// Policy checkpoints: the actor's weights in NeuralNet's `Checkpoint` format, kind
/// `"mtfsim-policy"`, with everything needed to act in metadata (each value JSON):
///
/// | key | value |
/// |---|---|
/// | `agent` | agent name (plain string) |
/// | `head` | `"deterministic"` or `"squashed-gaussian"` |
/// | `logStdBounds` | `[lower, upper]` (squashed-Gaussian head only) |
/// | `stateNames` | state feature names, in order |
/// | `actionNames`, `actionLow`, `actionHigh`, `actionBaseline` | the raw action box |
/// | `normalizer` | frozen observation statistics `{mean, scale, clip}` |
/// | `hiddenSizes` | hidden layer widths (the header also has all layer sizes and activations) |
/// | `updates` | gradient steps taken by the actor's agent |
/// | `policyFormat` | version of this metadata layout (1) |
extension ActorPolicy: CheckpointedPolicy {
    public static let checkpointKind = "mtfsim-policy"
    static let policyFormat = 1

    /// The policy's weights and metadata (the mode is not stored: a loaded policy acts as asked).
    public func checkpoint() -> Checkpoint {
        var metadata = [String: String]()
        metadata["agent"] = agentName
        metadata["head"] = actor.head.name
        if case .squashedGaussian(let lo, let hi) = actor.head { metadata["logStdBounds"] = json([lo, hi]) }
        let space = environment.actionSpace
        metadata["stateNames"] = json(environment.stateNames)
        metadata["actionNames"] = json(space.names)
        metadata["actionLow"] = json(space.low)
        metadata["actionHigh"] = json(space.high)
        metadata["actionBaseline"] = json(space.baseline)
        metadata["normalizer"] = json(normalizer)
        metadata["hiddenSizes"] = json(Array(actor.network.layerSizes.dropFirst().dropLast()))
        metadata["updates"] = String(updates)
        metadata["policyFormat"] = String(ActorPolicy.policyFormat)
        return Checkpoint(model: actor.network, kind: ActorPolicy.checkpointKind, layerSizes: actor.network.layerSizes,
                          activations: actor.network.activations, metadata: metadata)
    }

    /// Loads a policy checkpoint; its `spec` is the path as given.
    ///
    /// - Parameters:
    ///   - environment: when given, the file's state feature names must equal
    ///     `environment.stateNames`, its action names must equal the environment's, and its action box must lie
    ///     within the environment's.
    ///   - mode: how the loaded policy acts (default: deterministic, the actor mean).
    /// - Throws: `CheckpointError` for an unreadable or corrupt file, `PolicyCheckpointError` for a
    ///   file that is not a policy or does not fit `environment`; both name the file.
    public static func load(contentsOf url: URL, expecting environment: AgentEnvironment? = nil,
                            mode: Mode = .deterministic) throws -> ActorPolicy {
        let checkpoint = try Checkpoint(contentsOf: url)
        return try ActorPolicy(checkpoint: checkpoint, path: url.path, spec: url.relativePath,
                               expecting: environment, mode: mode)
    }

    /// Loads a policy checkpoint for `world`, checking its state layout and action space.
    public static func load(contentsOf url: URL, world: World, mode: Mode = .deterministic) throws -> ActorPolicy {
        try load(contentsOf: url, expecting: AgentEnvironment(world: world), mode: mode)
    }

    /// Rebuilds a policy from a decoded checkpoint; `path` names it in errors.
    public init(checkpoint: Checkpoint, path: String, spec: String? = nil, expecting expected: AgentEnvironment? = nil,
                mode: Mode = .deterministic) throws {
        func fail(_ kind: PolicyCheckpointError.Kind) -> PolicyCheckpointError { PolicyCheckpointError(path: path, kind: kind) }
        let header = checkpoint.header
        guard header.kind == ActorPolicy.checkpointKind else { throw fail(.wrongKind(found: header.kind)) }
        let metadata = header.metadata
        func value<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
            guard let text = metadata[key] else { throw fail(.missingMetadata(key: key)) }
            do {
                return try JSONDecoder().decode(T.self, from: Data(text.utf8))
            } catch {
                throw fail(.malformedMetadata(key: key, reason: "cannot decode \(T.self) from \(text.prefix(80))"))
            }
        }
        guard let agentName = metadata["agent"] else { throw fail(.missingMetadata(key: "agent")) }
        guard let headName = metadata["head"] else { throw fail(.missingMetadata(key: "head")) }
        let head: ActorHead
        switch headName {
        case ActorHead.deterministic.name:
            head = .deterministic
        case "squashed-gaussian":
            let bounds = try value("logStdBounds", as: [Float].self)
            guard bounds.count == 2, bounds[0] < bounds[1] else {
                throw fail(.malformedMetadata(key: "logStdBounds", reason: "expected [lower, upper] with lower < upper, got \(bounds)"))
            }
            head = .squashedGaussian(minimumLogStd: bounds[0], maximumLogStd: bounds[1])
        default:
            throw fail(.malformedMetadata(key: "head", reason: "unknown head \"\(headName)\""))
        }
        let stateNames = try value("stateNames", as: [String].self)
        let names = try value("actionNames", as: [String].self)
        let low = try value("actionLow", as: [Float].self)
        let high = try value("actionHigh", as: [Float].self)
        let baseline = try value("actionBaseline", as: [Float].self)
        guard !names.isEmpty, low.count == names.count, high.count == names.count, baseline.count == names.count,
              zip(low, high).allSatisfy({ $0 < $1 }) else {
            throw fail(.malformedMetadata(key: "actionLow", reason: "the action box needs one low < high per name, "
                                          + "got \(names.count) names, \(low.count) lows, \(high.count) highs"))
        }
        let normalizer = try value("normalizer", as: NormalizerStatistics.self)
        guard !stateNames.isEmpty, normalizer.mean.count == stateNames.count, normalizer.scale.count == stateNames.count else {
            throw fail(.malformedMetadata(key: "normalizer", reason: "\(normalizer.mean.count) statistics for \(stateNames.count) state features"))
        }
        let network = try MLP(checkpoint: checkpoint, path: path)
        guard network.inputSize == stateNames.count, network.outputSize == names.count * head.outputsPerDimension else {
            throw fail(.malformedMetadata(key: "stateNames", reason: "network maps \(network.inputSize) inputs to "
                                          + "\(network.outputSize) outputs; metadata has \(stateNames.count) features and "
                                          + "\(names.count) actions with a \(head.name) head"))
        }
        guard network.activations.last == head.outputActivation else {
            throw fail(.malformedMetadata(key: "head", reason: "a \(head.name) head needs a \(head.outputActivation) "
                                          + "output layer, the network ends in \(header.activations.last ?? "nothing")"))
        }
        if case .squashedGaussian = mode, head == .deterministic {
            throw fail(.malformedMetadata(key: "head", reason: "a deterministic actor cannot sample a squashed Gaussian"))
        }
        let environment = AgentEnvironment(stateNames: stateNames,
                                           actionSpace: ActionSpace(names: names, low: low, high: high, baseline: baseline))
        if let expected {
            if let reason = ActorPolicy.difference(file: stateNames, environment: expected.stateNames, what: "state feature") {
                throw fail(.stateMismatch(reason))
            }
            let space = expected.actionSpace
            if let reason = ActorPolicy.difference(file: names, environment: space.names, what: "action") {
                throw fail(.actionMismatch(reason))
            }
            // A policy may act in a smaller box (a residual box around the production weights), never outside.
            for i in names.indices where low[i] < space.low[i] || high[i] > space.high[i] {
                throw fail(.actionMismatch("\(names[i]) has bounds [\(low[i]), \(high[i])] in the file, outside "
                                           + "[\(space.low[i]), \(space.high[i])] in the environment"))
            }
        }
        let updates = metadata["updates"].flatMap { Int($0) } ?? 0
        self.init(agentName: agentName, actor: ActorNetwork(network: network, head: head, actionDimension: names.count),
                  normalizer: normalizer, environment: environment, mode: mode, updates: updates, spec: spec ?? path)
    }

    /// The first difference between two name lists, in words, or `nil` when equal.
    static func difference(file: [String], environment: [String], what: String) -> String? {
        for i in 0..<min(file.count, environment.count) where file[i] != environment[i] {
            return "\(what) \(i) is \"\(file[i])\" in the file, \"\(environment[i])\" in the environment"
                + (file.count == environment.count ? "" : " (file has \(file.count), environment \(environment.count))")
        }
        if file.count < environment.count {
            return "the file has \(file.count) \(what)s, the environment \(environment.count); first missing: \"\(environment[file.count])\""
        }
        if file.count > environment.count {
            return "the file has \(file.count) \(what)s, the environment \(environment.count); first extra: \"\(file[environment.count])\""
        }
        return nil
    }
}

/// Compact JSON (sorted keys) of a metadata value.
private func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    guard let data = try? encoder.encode(value) else { preconditionFailure("policy metadata: cannot encode \(T.self)") }
    return String(decoding: data, as: UTF8.self)
}
