import Foundation
import Simulator

/// Every form a `--policy` takes: a spec (`baseline`, `fixed:…`, `mixture`, …; see `PolicySpec`) or the path of
/// a policy checkpoint written by `mtfsim train` (acting deterministically).
public enum PolicyResolver {
    /// The policy `spec` names in `world`.
    ///
    /// - Throws: `PolicySpec.ParseError` for a malformed spec, `PolicyCheckpointError` / `CheckpointError` for
    ///   a checkpoint that cannot be read or was trained for other state features or actions.
    public static func resolve(_ spec: String, world: World) throws -> any FusionPolicy {
        if isCheckpointPath(spec) {
            return try ActorPolicy.load(contentsOf: URL(fileURLWithPath: spec), world: world)
        }
        return try PolicySpec.parse(spec, world: world)
    }

    /// Whether `spec` is meant as a file: it ends in `.ckpt` or names an existing file.
    public static func isCheckpointPath(_ spec: String) -> Bool {
        spec.hasSuffix(".ckpt") || (spec.contains("/") && FileManager.default.fileExists(atPath: spec))
    }
}
