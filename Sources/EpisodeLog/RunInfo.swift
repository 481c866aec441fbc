import Foundation

/// One row of the `runs` table: the run's identifier, metadata, status and wall-clock times.
public struct RunInfo: Sendable, Equatable {
    /// `runs.id`, the key every other table refers to.
    public var id: Int
    public var metadata: RunMetadata
    public var status: RunStatus
    /// Wall-clock time the run began (not part of the logical content).
    public var createdAt: Date
    /// Wall-clock time the run was last marked complete or interrupted.
    public var finishedAt: Date?

    public init(id: Int, metadata: RunMetadata, status: RunStatus, createdAt: Date, finishedAt: Date?) {
        self.id = id
        self.metadata = metadata
        self.status = status
        self.createdAt = createdAt
        self.finishedAt = finishedAt
    }
}
