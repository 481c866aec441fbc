import Foundation
import NeuralNet
import Simulator

/// Loads a policy checkpoint of any kind a learner writes, dispatching on the file's kind: an actor
/// (`ActorPolicy.checkpointKind`, DDPG/TD3/SAC/CEM and the actor-based offline learners) or BCQ
/// (`BCQPolicy.checkpointKind`).
public enum PolicyCheckpoint {
    /// Every kind `load` accepts.
    public static let kinds = [ActorPolicy.checkpointKind, BCQPolicy.checkpointKind]

    /// The policy in the checkpoint at `path`, checked against `world`'s state layout and action space; its `spec` is
    /// the path as given. An actor acts deterministically.
    ///
    /// - Throws: `CheckpointError` for an unreadable or corrupt file, `PolicyCheckpointError` (naming the file) for a
    ///   file of another kind or one that does not fit `world`.
    public static func load(path: String, world: World) throws -> any CheckpointedPolicy {
        try load(path: path, expecting: AgentEnvironment(world: world))
    }

    /// As `load(path:world:)`, checked against `environment` when given.
    public static func load(path: String, expecting environment: AgentEnvironment?) throws -> any CheckpointedPolicy {
        let url = URL(fileURLWithPath: path)
        let checkpoint = try Checkpoint(contentsOf: url)
        switch checkpoint.header.kind {
        case ActorPolicy.checkpointKind:
            return try ActorPolicy(checkpoint: checkpoint, path: url.path, spec: url.relativePath, expecting: environment)
        case BCQPolicy.checkpointKind:
            return try BCQPolicy(checkpoint: checkpoint, path: url.path, spec: url.relativePath, expecting: environment)
        default:
            throw PolicyCheckpointError(path: url.path, kind: .wrongKind(found: checkpoint.header.kind))
        }
    }
}
