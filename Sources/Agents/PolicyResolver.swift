import Foundation
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
        if isCheckpointPath(spec) {
            return try PolicyCheckpoint.load(path: spec, world: world)
        }
        return try PolicySpec.parse(spec, world: world)
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
