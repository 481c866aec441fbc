import GRDB

/// A view of an episode log fixed at one moment: every read through it sees the sessions committed when
/// `EpisodeLogReader.snapshot(_:)` began, however many more a writer commits meanwhile.
///
/// For readers that must count before they stream and find the same rows twice (an offline dataset allocates its
/// buffer once from the count). It holds one read transaction open for the whole call: a writer in WAL mode keeps
/// appending, but checkpoints cannot move past the snapshot, so the `-wal` file may grow while it is held. Valid only
/// inside the closure it is given to.
public struct EpisodeLogSnapshot {
    /// The log's path.
    public let path: String
    /// The file's `PRAGMA user_version`.
    public let schemaVersion: Int
    let db: Database

    /// What one run of the snapshot holds.
    public struct RunContents: Sendable, Equatable {
        /// Committed sessions.
        public var sessions: Int
        /// Their steps.
        public var steps: Int
        /// RL transitions with an outcome (`LoggedTransition.hasOutcome`) that `TransitionRule` makes of them: every
        /// step but the last of its session, a session's last step when the user churned, or when the user returned
        /// and the next session is committed. Not counted: steps cut at the horizon, and the last step of an
        /// episode still being written (no successor yet).
        public var transitions: Int
        /// Steps whose elapsed time is unknown (every step of a log before schema 3; on a later log, steps of a run
        /// upgraded without its world model).
        public var untimedSteps: Int
    }

    /// Every run in the snapshot, by id.
    public func runs() throws -> [RunInfo] {
        try EpisodeLogError.wrapping(path: path) {
            try RunRecord.order(Column("id")).fetchAll(db).map { try $0.info(path: path) }
        }
    }

    /// Counts of `run`'s committed sessions, steps and transitions, by SQL over `sessions` and `steps` (no row is
    /// decoded).
    public func contents(run: Int) throws -> RunContents {
        let churned = Int(LoggedSession.End.churned.rawValue), returned = Int(LoggedSession.End.returned.rawValue)
        let sql = """
            SELECT
              (SELECT COUNT(*) FROM sessions WHERE run_id = ?1),
              (SELECT COUNT(*) FROM steps WHERE run_id = ?1),
              (SELECT COUNT(*) FROM steps WHERE run_id = ?1 AND session_end = 0)
              + (SELECT COUNT(*) FROM steps st JOIN sessions se
                   ON se.run_id = st.run_id AND se.episode = st.episode AND se.session_index = st.session_index
                 WHERE st.run_id = ?1 AND st.session_end = 1 AND (se.end_reason = \(churned)
                   OR (se.end_reason = \(returned) AND EXISTS (SELECT 1 FROM steps n WHERE n.run_id = st.run_id
                     AND n.episode = st.episode AND n.session_index = st.session_index + 1 AND n.request_index = 0)))),
              \(schemaVersion >= 3
                  ? "(SELECT COUNT(*) FROM steps WHERE run_id = ?1 AND elapsed_minutes IS NULL)"
                  : "(SELECT COUNT(*) FROM steps WHERE run_id = ?1)")
            """
        return try EpisodeLogError.wrapping(path: path) {
            guard let row = try Row.fetchOne(db, sql: sql, arguments: [run]) else {
                throw EpisodeLogError(path: path, kind: .corrupt("counting the rows of run \(run) returned nothing"))
            }
            return RunContents(sessions: row[0], steps: row[1], transitions: row[2], untimedSteps: row[3])
        }
    }

    /// RL transitions of `run` in step order, about `batchSize` at a time, by `TransitionRule`, as
    /// `EpisodeLogReader.transitions(run:batchSize:)` streams them, but every batch from this snapshot. Use it only
    /// inside the snapshot's closure.
    public func transitions(run: Int, batchSize: Int = 4096) -> TransitionBatches {
        let query = KeysetQuery(
            table: "steps", keyColumns: RowDecoding.stepKeyColumns,
            valueColumns: RowDecoding.transitionStepValueColumns(schemaVersion: schemaVersion))
        let limit = max(1, batchSize)
        let (db, path) = (db, path)
        let steps = LogBatches<TransitionBatches.TransitionStep> { after in
            try EpisodeLogError.wrapping(path: path) {
                try query.fetch(db, run: run, after: after, limit: limit) { row in
                    try RowDecoding.transitionStep(row, path: path)
                }
            }
        }
        return TransitionBatches(steps: steps, batchSize: limit)
    }
}

extension EpisodeLogReader {
    /// Runs `body` with a snapshot of the log (one read transaction held for the call; see `EpisodeLogSnapshot`).
    /// SQLite errors become `EpisodeLogError`; errors that `body` throws pass through unchanged.
    public func snapshot<T>(_ body: (EpisodeLogSnapshot) throws -> T) throws -> T {
        do {
            return try queue.read { db in
                try body(EpisodeLogSnapshot(path: path, schemaVersion: schemaVersion, db: db))
            }
        } catch let error as DatabaseError {
            throw EpisodeLogError(path: path, kind: EpisodeLogError.classify(error))
        }
    }
}
