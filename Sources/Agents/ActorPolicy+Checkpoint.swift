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
        if case .squashedGaussian(let lo, let hi) = actor.head { metadata["logStdBounds"] = PolicyMetadata.json([lo, hi]) }
        PolicyMetadata.write(environment: environment, normalizer: normalizer, into: &metadata)
        metadata["hiddenSizes"] = PolicyMetadata.json(Array(actor.network.layerSizes.dropFirst().dropLast()))
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
        let header = checkpoint.header
        let metadata = header.metadata
        let reader = PolicyMetadata(entries: metadata, path: path)
        func fail(_ kind: PolicyCheckpointError.Kind) -> PolicyCheckpointError { reader.fail(kind) }
        guard header.kind == ActorPolicy.checkpointKind else { throw fail(.wrongKind(found: header.kind)) }
        guard let agentName = metadata["agent"] else { throw fail(.missingMetadata(key: "agent")) }
        guard let headName = metadata["head"] else { throw fail(.missingMetadata(key: "head")) }
        let head: ActorHead
        switch headName {
        case ActorHead.deterministic.name:
            head = .deterministic
        case "squashed-gaussian":
            let bounds = try reader.value("logStdBounds", as: [Float].self)
            guard bounds.count == 2, bounds[0] < bounds[1] else {
                throw fail(.malformedMetadata(key: "logStdBounds", reason: "expected [lower, upper] with lower < upper, got \(bounds)"))
            }
            head = .squashedGaussian(minimumLogStd: bounds[0], maximumLogStd: bounds[1])
        default:
            throw fail(.malformedMetadata(key: "head", reason: "unknown head \"\(headName)\""))
        }
        let (environment, normalizer) = try reader.environmentAndNormalizer()
        let (stateCount, actionCount) = (environment.stateDimension, environment.actionDimension)
        let network = try MLP(checkpoint: checkpoint, path: path)
        guard network.inputSize == stateCount, network.outputSize == actionCount * head.outputsPerDimension else {
            throw fail(.malformedMetadata(key: "stateNames", reason: "network maps \(network.inputSize) inputs to "
                                          + "\(network.outputSize) outputs; metadata has \(stateCount) features and "
                                          + "\(actionCount) actions with a \(head.name) head"))
        }
        guard network.activations.last == head.outputActivation else {
            throw fail(.malformedMetadata(key: "head", reason: "a \(head.name) head needs a \(head.outputActivation) "
                                          + "output layer, the network ends in \(header.activations.last ?? "nothing")"))
        }
        if case .squashedGaussian = mode, head == .deterministic {
            throw fail(.malformedMetadata(key: "head", reason: "a deterministic actor cannot sample a squashed Gaussian"))
        }
        if let expected { try reader.check(environment, fits: expected) }
        let updates = metadata["updates"].flatMap { Int($0) } ?? 0
        self.init(agentName: agentName, actor: ActorNetwork(network: network, head: head, actionDimension: actionCount),
                  normalizer: normalizer, environment: environment, mode: mode, updates: updates, spec: spec ?? path)
    }
}

