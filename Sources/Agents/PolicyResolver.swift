import Foundation
import NeuralNet
import Numerics
import Simulator

/// Every form a `--policy` takes: a spec (`baseline`, `fixed:…`, `mixture`, …; see `PolicySpec`) or the path of
/// a policy checkpoint written by `mtfsim train` (any kind `PolicyCheckpoint` loads; an actor acts deterministically).
public enum PolicyResolver {
    /// The policy `spec` names in `world`.
    ///
    /// - Throws: `PolicySpec.ParseError` for a malformed spec, `PolicyCheckpointError` / `CheckpointError` for
    ///   a checkpoint that cannot be read or was trained for other state features or actions.
    public static func resolve(_ spec: String, world: World) throws -> any FusionPolicy {
        if let around = try PolicySpec.parseExplorationAround(spec, world: world, centre: { try centre($0, world: world) }) {
            return around
        }
        if isCheckpointPath(spec) {
            return try PolicyCheckpoint.load(path: spec, world: world)
        }
        return try PolicySpec.parse(spec, world: world)
    }

    /// The centre of `KERNEL@CENTRE` (`box:0.15@models/x.ckpt`) and its parameters for the log: a checkpoint's path as
    /// given, byte count, CRC-32 of the whole file, kind, agent and `updates`, so that a run can be re-created from the
    /// same file and a changed file noticed; another spec's own parameters.
    static func centre(_ text: String, world: World) throws -> (policy: any FusionPolicy, parameters: String) {
        let policy = try resolve(text, world: world)
        guard isCheckpointPath(text) else { return (policy, policy.parametersJSON) }
        let url = URL(fileURLWithPath: text)
        let data = try Data(contentsOf: url)
        let header = try Checkpoint(decoding: data, path: url.path).header
        let crc = data.withUnsafeBytes { CRC32.checksum($0) }
        var fields: [String: Any] = ["path": text, "bytes": data.count, "crc32": String(format: "%08x", crc), "kind": header.kind]
        fields["agent"] = header.metadata["agent"]
        fields["updates"] = header.metadata["updates"].flatMap { Int($0) }
        let object = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        return (policy, String(decoding: object, as: UTF8.self))
    }

    /// Whether `spec` is meant as a file: it ends in `.ckpt` or names an existing file.
    public static func isCheckpointPath(_ spec: String) -> Bool {
        spec.hasSuffix(".ckpt") || (spec.contains("/") && FileManager.default.fileExists(atPath: spec))
    }

    /// The raw weights of a state-free policy `spec` (a `fixed:` spec, a CEM checkpoint): it must choose the same
    /// action in different states (eight probe states: zeros and random ones); otherwise throws
    /// `PolicySpec.ParseError`.
    public static func fixedWeights(_ spec: String, world: World) throws -> [Float] {
        let policy = try resolve(spec, world: world)
        let (d, a, n) = (world.stateLayout.dimension, world.actionSpace.dimension, 8)
        var stream = RandomStream(seed: 1)
        let states = Matrix(rows: n, columns: d) { r, _ in r == 0 ? 0 : 3 * stream.normalFloat() }
        var streams = (0..<n).map { RandomStream(seed: UInt64($0)) }
        var output = PolicyOutput(batch: n, actionDimension: a)
        streams.withUnsafeMutableBufferPointer { policy.act(states: states, streams: $0.baseAddress!, into: &output) }
        let first = Array(output.means.row(0))
        guard (1..<n).allSatisfy({ Array(output.means.row($0)) == first }) else {
            throw PolicySpec.ParseError(spec: spec, message: "its weights depend on the state; expected fixed weights "
                                        + "(a fixed: spec or a cem checkpoint)")
        }
        return first
    }
}
