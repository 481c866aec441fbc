import Foundation
import NeuralNet
import Simulator

/// A fusion policy that a learner deploys and saves: it writes itself as a NeuralNet `Checkpoint` of its own kind,
/// which `PolicyResolver` loads wherever a policy is taken (`simulate`, `compare`, `replay`).
public protocol CheckpointedPolicy: FusionPolicy {
    /// The policy's networks and everything needed to act, as one checkpoint.
    func checkpoint() -> Checkpoint
}

extension CheckpointedPolicy {
    /// Saves the checkpoint atomically to `url`.
    public func save(to url: URL) throws {
        try checkpoint().save(to: url)
    }
}
