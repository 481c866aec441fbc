import Foundation
import GRDB
import Synchronization

/// Appends runs and sessions to one episode log file; the only type that writes.
///
/// The file is in WAL mode with `synchronous = NORMAL`: a commit is atomic and survives a process crash
/// (a power loss may drop the last commits, never corrupt the file), and readers in other connections or
/// processes keep reading while the writer appends. Metadata goes through GRDB records; sessions go through
/// cached prepared statements with direct binding (`EpisodeLogWriter+Append`).
///
/// One writer per file at a time. Methods may be called from any thread (GRDB's `DatabaseQueue` serialises
/// them); `AsyncSink` moves appends off the simulation threads.
public final class EpisodeLogWriter: Sendable {
    /// The log's path.
    public let path: String
    let queue: DatabaseQueue
    /// The run that `append` writes to, with its vector dimensions.
    let activeRun = Mutex<RunLayout?>(nil)

    /// Opens (creating if needed) the file in WAL mode and brings its schema to the current version. Callers
    /// go through `EpisodeLogFile.create`/`openForWriting`, which inspect existing files first.
    init(path: String, legacyStepTiming: LegacyStepTiming? = nil) throws {
        self.path = path
        var configuration = Configuration()
        configuration.label = "EpisodeLog.writer"
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(5)
        // Foreign keys are declared in the schema (for documentation and `PRAGMA foreign_key_check`) but not
        // enforced while writing: `append` inserts parents first within one transaction, and the per-row parent
        // lookups cost about a quarter of the write throughput.
        configuration.foreignKeysEnabled = false
        configuration.prepareDatabase { db in
            // GRDB's WAL setup already chose synchronous = NORMAL; say it here too: durability of the last commits
            // against power loss (never against a process crash) is what we trade for write speed.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // 8 KiB pages (taking effect only when the file is created) suit the BLOB-heavy step rows; a 32 MiB
            // write-ahead log between checkpoints coalesces page writes. About 10% faster than the defaults.
            try db.execute(sql: "PRAGMA page_size = 8192")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 4096")
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        queue = try EpisodeLogError.wrapping(path: path) {
            try DatabaseQueue(path: path, configuration: configuration)
        }
        try EpisodeLogError.wrapping(path: path) {
            try EpisodeLogSchema.migrate(queue, timing: legacyStepTiming)
            try queue.write { db in
                try db.execute(
                    sql: "UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'",
                    arguments: [Date()])
            }
        }
    }

    /// Flushes the write-ahead log into the file and closes it. Further calls throw.
    public func close() throws {
        try EpisodeLogError.wrapping(path: path) { try queue.close() }
    }

    // MARK: Runs

    /// Records a new run (status `running`) and makes it the run that `append` writes to.
    /// - Returns: the run's id (`runs.id`).
    @discardableResult
    public func beginRun(_ metadata: RunMetadata) throws -> Int {
        try checkLayout(metadata)
        var record = RunRecord(metadata: metadata, status: .running, createdAt: Date())
        try EpisodeLogError.wrapping(path: path) {
            try queue.write { db in try record.insert(db) }
        }
        let id = record.id!
        activeRun.withLock { $0 = RunLayout(runID: id, metadata: metadata) }
        return Int(id)
    }

    /// Makes an existing run (typically `interrupted`) the run that `append` writes to and marks it `running`
    /// again. Use `committedSessionKeys(run:)` to skip what is already logged.
    @discardableResult
    public func resumeRun(_ id: Int) throws -> RunInfo {
        let info: RunInfo = try EpisodeLogError.wrapping(path: path) {
            try queue.write { db in
                guard var record = try RunRecord.fetchOne(db, key: Int64(id)) else {
                    throw EpisodeLogError(path: path, kind: .noRun("no run \(id)"))
                }
                record.status = RunStatus.running.rawValue
                record.finishedAt = nil
                try record.update(db)
                return try record.info(path: path)
            }
        }
        activeRun.withLock { $0 = RunLayout(runID: Int64(id), metadata: info.metadata) }
        return info
    }

    /// Marks the active run `complete` (or `status`) with the finishing time, and detaches it from the writer.
    public func finishRun(status: RunStatus = .complete) throws {
        guard let layout = activeRun.withLock({ $0 }) else {
            throw EpisodeLogError(path: path, kind: .noRun("no run is being written"))
        }
        try EpisodeLogError.wrapping(path: path) {
            try queue.write { db in
                try db.execute(sql: "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?",
                               arguments: [status.rawValue, Date(), layout.runID])
            }
        }
        activeRun.withLock { $0 = nil }
    }

    /// Marks the active run `interrupted` (after an error or a signal); its committed sessions stay.
    public func markInterrupted() throws {
        try finishRun(status: .interrupted)
    }

    /// Deletes run `id` and everything logged for it, in one transaction (e.g. an interrupted run that will not
    /// be resumed). The active run cannot be discarded.
    public func discardRun(_ id: Int) throws {
        guard activeRunID != id else {
            throw EpisodeLogError(path: path, kind: .noRun("run \(id) is being written; finish it first"))
        }
        try EpisodeLogError.wrapping(path: path) {
            try queue.write { db in
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE id = ?", arguments: [id]) == 1 else {
                    throw EpisodeLogError(path: path, kind: .noRun("no run \(id)"))
                }
                for table in ["candidates", "impressions", "steps", "sessions", "runs"] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE \(table == "runs" ? "id" : "run_id") = ?", arguments: [id])
                }
            }
        }
    }

    /// The id of the run `append` writes to, if any.
    public var activeRunID: Int? {
        activeRun.withLock { $0.map { Int($0.runID) } }
    }

    // MARK: Resume support

    /// Every run in the file, by id.
    public func runs() throws -> [RunInfo] {
        try EpisodeLogError.wrapping(path: path) {
            try queue.read { db in
                try RunRecord.order(Column("id")).fetchAll(db).map { try $0.info(path: path) }
            }
        }
    }

    /// Runs that did not complete (`interrupted`, or `running` in a file another writer has open), newest last.
    public func unfinishedRuns() throws -> [RunInfo] {
        try runs().filter { $0.status != .complete }
    }

    /// The keys of the sessions of `run` already in the file (whole sessions only, by construction).
    public func committedSessionKeys(run: Int) throws -> Set<SessionKey> {
        try EpisodeLogError.wrapping(path: path) {
            try queue.read { db in
                var keys = Set<SessionKey>()
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT episode, session_index FROM sessions WHERE run_id = ?", arguments: [run])
                while let row = try rows.next() {
                    keys.insert(SessionKey(episode: row[0], sessionIndex: row[1]))
                }
                return keys
            }
        }
    }

    /// How many sessions of `run` are in the file.
    public func committedSessionCount(run: Int) throws -> Int {
        try EpisodeLogError.wrapping(path: path) {
            try queue.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM sessions WHERE run_id = ?", arguments: [run]) ?? 0
            }
        }
    }

    /// Refuses metadata whose vectors cannot be described (bounds of the wrong length, more than 32 tasks for
    /// the `tasks` bitmask, parameters that are not JSON).
    private func checkLayout(_ metadata: RunMetadata) throws {
        func fail(_ reason: String) -> EpisodeLogError {
            EpisodeLogError(path: path, kind: .invalidRecord("run \"\(metadata.name)\": \(reason)"))
        }
        guard metadata.actionLow.count == metadata.actionNames.count,
              metadata.actionHigh.count == metadata.actionNames.count else {
            throw fail("actionLow/actionHigh have \(metadata.actionLow.count)/\(metadata.actionHigh.count) values "
                       + "for \(metadata.actionNames.count) action names")
        }
        guard metadata.randomExposure >= 0 && metadata.randomExposure < 1 else {
            throw fail("randomExposure \(metadata.randomExposure) is not a probability in [0, 1)")
        }
        guard metadata.taskNames.count <= 32 else {
            throw fail("\(metadata.taskNames.count) tasks do not fit the 32-bit tasks bitmask")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(metadata.policyParameters.utf8),
                                                 options: [.fragmentsAllowed])) != nil else {
            throw fail("policyParameters is not JSON")
        }
    }
}
