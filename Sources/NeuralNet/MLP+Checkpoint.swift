import Foundation
import Numerics

extension MLP {
    /// The checkpoint kind written by default for a plain MLP.
    public static let checkpointKind = "mlp"

    /// A checkpoint of the current weights, recording layer sizes and activations in the header.
    public func checkpoint(kind: String = MLP.checkpointKind, metadata: [String: String] = [:]) -> Checkpoint {
        Checkpoint(model: self, kind: kind, layerSizes: layerSizes, activations: activations, metadata: metadata)
    }

    /// Saves the weights atomically to `url` (see `Checkpoint` for the format).
    public func save(to url: URL, kind: String = MLP.checkpointKind, metadata: [String: String] = [:]) throws {
        try checkpoint(kind: kind, metadata: metadata).save(to: url)
    }

    /// Rebuilds the network described by the checkpoint at `url`, with its weights.
    public init(contentsOf url: URL) throws {
        let checkpoint = try Checkpoint(contentsOf: url)
        try self.init(checkpoint: checkpoint, path: url.path)
    }

    /// Rebuilds the network described by `checkpoint`; `path` names it in errors.
    public init(checkpoint: Checkpoint, path: String) throws {
        let h = checkpoint.header
        let activations = h.activations.compactMap(Activation.init(rawValue:))
        guard h.layerSizes.count >= 2, h.layerSizes.allSatisfy({ $0 > 0 }), activations.count == h.activations.count,
              activations.count == h.layerSizes.count - 1, checkpoint.tensors.count == 2 * activations.count else {
            throw CheckpointError(path: path, kind: .architectureMismatch(
                "kind \"\(h.kind)\" with layer sizes \(h.layerSizes) and activations \(h.activations) is not an MLP"))
        }
        var layers = [Dense]()
        for i in 0..<activations.count {
            let (w, b) = (checkpoint.tensors[2 * i], checkpoint.tensors[2 * i + 1])
            guard w.rows == h.layerSizes[i], w.columns == h.layerSizes[i + 1], b.rows == 1, b.columns == w.columns else {
                throw CheckpointError(path: path, kind: .architectureMismatch(
                    "layer \(i) tensors are \(w.rows)×\(w.columns) and \(b.rows)×\(b.columns), "
                    + "layer sizes \(h.layerSizes) need \(h.layerSizes[i])×\(h.layerSizes[i + 1])"))
            }
            layers.append(Dense(weight: w, bias: b, name: "dense\(i)"))
        }
        self.init(layers: layers, activations: activations)
    }

    /// Loads weights from `url` into this network; the file must describe the same layer sizes and
    /// activations (and, when given, `expectedKind`).
    ///
    /// - Returns: the checkpoint's metadata.
    /// - Throws: `CheckpointError`; the network is unchanged when it throws.
    @discardableResult
    public mutating func load(from url: URL, expectedKind: String? = nil) throws -> [String: String] {
        let checkpoint = try Checkpoint(contentsOf: url)
        let h = checkpoint.header
        func mismatch(_ reason: String) -> CheckpointError {
            CheckpointError(path: url.path, kind: .architectureMismatch(reason))
        }
        if let expectedKind, h.kind != expectedKind {
            throw mismatch("expected kind \"\(expectedKind)\", file has \"\(h.kind)\"")
        }
        if h.layerSizes != layerSizes {
            throw mismatch("expected layer sizes \(layerSizes), file has \(h.layerSizes)")
        }
        let names = activations.map(\.rawValue)
        if h.activations != names {
            throw mismatch("expected activations \(names), file has \(h.activations)")
        }
        try checkpoint.restore(into: &self, path: url.path)
        return h.metadata
    }
}
