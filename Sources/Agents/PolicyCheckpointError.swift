import Foundation

/// Why a policy checkpoint cannot be used; `description` is one line naming the file.
///
/// Errors about the file format itself (magic, checksum, truncation) are `CheckpointError`s from NeuralNet.
public struct PolicyCheckpointError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public enum Kind: Equatable, Sendable {
        /// The checkpoint holds something else (a ranker, a plain MLP).
        case wrongKind(found: String)
        /// A metadata entry a policy needs is absent.
        case missingMetadata(key: String)
        /// A metadata entry cannot be decoded or contradicts the weights.
        case malformedMetadata(key: String, reason: String)
        /// The policy observes other state features than the environment provides.
        case stateMismatch(String)
        /// The policy chooses other fusion parameters (names or bounds) than the environment expects.
        case actionMismatch(String)
    }

    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String {
        let what: String
        switch kind {
        case .wrongKind(let found):
            what = "not a policy (kind \"\(found)\", expected "
                + PolicyCheckpoint.kinds.map { "\"\($0)\"" }.joined(separator: " or ") + ")"
        case .missingMetadata(let key):
            what = "metadata entry \"\(key)\" is missing"
        case .malformedMetadata(let key, let reason):
            what = "metadata entry \"\(key)\" is malformed: \(reason)"
        case .stateMismatch(let reason):
            what = "state features do not match the environment: \(reason)"
        case .actionMismatch(let reason):
            what = "action space does not match the environment: \(reason)"
        }
        return "policy checkpoint \(path): \(what)"
    }

    public var errorDescription: String? { description }
}
