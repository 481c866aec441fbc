import Foundation
import NeuralNet
import Numerics
import Simulator

/// BCQ policy checkpoints, kind `"mtfsim-bcq-policy"`: the tensors of the VAE decoder (`decoder.dense…`), the
/// perturbation network (`perturbation.dense…`) and Q₁ (`critic.dense…`), in that order, with everything needed to
/// act in metadata (each value JSON):
///
/// | key | value |
/// |---|---|
/// | `agent` | `"bcq"` (plain string) |
/// | `decoderLayers`, `perturbationLayers`, `criticLayers` | each network's layer sizes (ReLU hidden layers; outputs tanh, tanh, linear) |
/// | `perturbationLimit` | Φ, normalised units |
/// | `candidateCount` | n, proposals per decision |
/// | `latentClip` | c, latents clipped to [−c, c] |
/// | `stateNames` | state feature names, in order |
/// | `actionNames`, `actionLow`, `actionHigh`, `actionBaseline` | the raw action box |
/// | `normalizer` | frozen observation statistics `{mean, scale, clip}` |
/// | `updates` | gradient steps taken by the learner |
/// | `policyFormat` | version of this metadata layout (1) |
extension BCQPolicy: CheckpointedPolicy {
    public static let checkpointKind = "mtfsim-bcq-policy"
    static let policyFormat = 1
    static let parts: [(name: String, output: Activation)] = [("decoder", .tanh), ("perturbation", .tanh), ("critic", .identity)]

    public func checkpoint() -> Checkpoint {
        var metadata = [String: String]()
        metadata["agent"] = BCQ.name
        let networks = [decoder, perturbation.network, critic.network]
        var descriptors = [TensorDescriptor](), tensors = [Matrix]()
        for (part, network) in zip(BCQPolicy.parts, networks) {
            metadata["\(part.name)Layers"] = PolicyMetadata.json(network.layerSizes)
            for (i, layer) in network.layers.enumerated() {
                for (suffix, tensor) in [("weight", layer.weight.value), ("bias", layer.bias.value)] {
                    descriptors.append(TensorDescriptor(name: "\(part.name).dense\(i).\(suffix)", rows: tensor.rows, columns: tensor.columns))
                    tensors.append(tensor)
                }
            }
        }
        metadata["perturbationLimit"] = PolicyMetadata.json(perturbation.limit)
        metadata["candidateCount"] = String(candidateCount)
        metadata["latentClip"] = PolicyMetadata.json(latentClip)
        PolicyMetadata.write(environment: environment, normalizer: normalizer, into: &metadata)
        metadata["updates"] = String(updates)
        metadata["policyFormat"] = String(BCQPolicy.policyFormat)
        return Checkpoint(header: CheckpointHeader(kind: BCQPolicy.checkpointKind, tensors: descriptors, metadata: metadata),
                          tensors: tensors)
    }

    /// Loads a BCQ policy checkpoint; its `spec` is the path as given.
    ///
    /// - Parameter environment: when given, the file's state feature names and action names must equal the
    ///   environment's, and its action box must lie within the environment's.
    /// - Throws: `CheckpointError` for an unreadable or corrupt file, `PolicyCheckpointError` for a file that is not a
    ///   BCQ policy or does not fit `environment`; both name the file.
    public static func load(contentsOf url: URL, expecting environment: AgentEnvironment? = nil) throws -> BCQPolicy {
        try BCQPolicy(checkpoint: Checkpoint(contentsOf: url), path: url.path, spec: url.relativePath, expecting: environment)
    }

    /// Rebuilds a policy from a decoded checkpoint; `path` names it in errors.
    public init(checkpoint: Checkpoint, path: String, spec: String? = nil, expecting expected: AgentEnvironment? = nil) throws {
        let header = checkpoint.header
        let metadata = header.metadata
        let reader = PolicyMetadata(entries: metadata, path: path)
        func fail(_ kind: PolicyCheckpointError.Kind) -> PolicyCheckpointError { reader.fail(kind) }
        guard header.kind == BCQPolicy.checkpointKind else { throw fail(.wrongKind(found: header.kind)) }
        let (environment, normalizer) = try reader.environmentAndNormalizer()
        let limit = try reader.value("perturbationLimit", as: Float.self)
        guard limit >= 0, limit.isFinite else { throw fail(.malformedMetadata(key: "perturbationLimit", reason: "Φ = \(limit)")) }
        let clip = try reader.value("latentClip", as: Float.self)
        guard clip > 0, clip.isFinite else { throw fail(.malformedMetadata(key: "latentClip", reason: "c = \(clip)")) }
        guard let count = metadata["candidateCount"].flatMap({ Int($0) }), count >= 1 else {
            throw fail(.malformedMetadata(key: "candidateCount", reason: "expected a positive integer, got \(metadata["candidateCount"] ?? "nothing")"))
        }
        let (s, a) = (environment.stateDimension, environment.actionDimension)
        var networks = [MLP](), next = 0
        for part in BCQPolicy.parts {
            let key = "\(part.name)Layers"
            let sizes = try reader.value(key, as: [Int].self)
            guard sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }), next + 2 * (sizes.count - 1) <= checkpoint.tensors.count else {
                throw fail(.malformedMetadata(key: key, reason: "layer sizes \(sizes) do not fit the file's \(checkpoint.tensors.count) tensors"))
            }
            var layers = [Dense]()
            for i in 0..<(sizes.count - 1) {
                let (w, b) = (checkpoint.tensors[next], checkpoint.tensors[next + 1])
                next += 2
                guard w.rows == sizes[i], w.columns == sizes[i + 1], b.rows == 1, b.columns == sizes[i + 1] else {
                    throw fail(.malformedMetadata(key: key, reason: "layer \(i) tensors are \(w.rows)×\(w.columns) and "
                                                  + "\(b.rows)×\(b.columns), layer sizes \(sizes)"))
                }
                layers.append(Dense(weight: w, bias: b, name: part.name == "decoder" ? "decoder.dense\(i)" : "dense\(i)"))
            }
            networks.append(MLP(layers: layers, activations: [Activation](repeating: .relu, count: layers.count - 1) + [part.output]))
        }
        guard next == checkpoint.tensors.count else {
            throw fail(.malformedMetadata(key: "criticLayers", reason: "\(checkpoint.tensors.count - next) tensors left over"))
        }
        let (decoder, perturbation, critic) = (networks[0], networks[1], networks[2])
        guard decoder.inputSize > s, decoder.outputSize == a, perturbation.inputSize == s + a, perturbation.outputSize == a,
              critic.inputSize == s + a, critic.outputSize == 1 else {
            throw fail(.malformedMetadata(key: "stateNames", reason: "networks map \(decoder.inputSize)→\(decoder.outputSize), "
                                          + "\(perturbation.inputSize)→\(perturbation.outputSize), \(critic.inputSize)→\(critic.outputSize); "
                                          + "metadata has \(s) features and \(a) actions"))
        }
        if let expected { try reader.check(environment, fits: expected) }
        self.init(decoder: decoder, perturbation: PerturbationNetwork(network: perturbation, stateDimension: s, limit: limit),
                  critic: Critic(network: critic, stateDimension: s), normalizer: normalizer, environment: environment,
                  candidateCount: count, latentClip: clip, updates: metadata["updates"].flatMap { Int($0) } ?? 0,
                  spec: spec ?? path)
    }
}

