import Foundation
import GRDB

/// Read-only access to an episode log: runs, whole sessions for replay, streaming readers for training and
/// evaluation (`EpisodeLogReader+Streams`), and summaries. Opened by `EpisodeLogFile.open`.
///
/// Reads never modify the file and work while a writer appends (WAL): each call or batch sees the sessions
/// committed when it began, and only whole sessions are ever visible.
public final class EpisodeLogReader: Sendable {
    /// The log's path.
    public let path: String
    /// The file's `PRAGMA user_version`.
    public let schemaVersion: Int
    let queue: DatabaseQueue

    init(path: String, schemaVersion: Int) throws {
        self.path = path
        self.schemaVersion = schemaVersion
        queue = try EpisodeLogError.wrapping(path: path) {
            try DatabaseQueue(path: path, configuration: EpisodeLogFile.readOnlyConfiguration())
        }
    }

    /// Closes the connection; further calls throw.
    public func close() throws {
        try EpisodeLogError.wrapping(path: path) { try queue.close() }
    }

    /// Runs `body` in one read transaction, with errors as `EpisodeLogError`.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try EpisodeLogError.wrapping(path: path) { try queue.read(body) }
    }

    // MARK: Runs

    /// Every run in the file, by id.
    public func runs() throws -> [RunInfo] {
        try read { db in try RunRecord.order(Column("id")).fetchAll(db).map { try $0.info(path: path) } }
    }

    /// The run with this id; throws `.noRun` if there is none.
    public func run(_ id: Int) throws -> RunInfo {
        try read { db in
            guard let record = try RunRecord.fetchOne(db, key: Int64(id)) else {
                throw EpisodeLogError(path: path, kind: .noRun("no run \(id)"))
            }
            return try record.info(path: path)
        }
    }

    // MARK: Whole sessions

    /// The full session with its steps, impressions and candidate sets (for replay); `nil` if not logged.
    public func session(run: Int, episode: Int, sessionIndex: Int) throws -> LoggedSession? {
        try read { db in
            let key: StatementArguments = [run, episode, sessionIndex]
            let keyFilter = "WHERE run_id = ? AND episode = ? AND session_index = ?"
            guard let header = try Row.fetchOne(
                db, sql: "SELECT \(RowDecoding.sessionColumns) FROM sessions \(keyFilter)", arguments: key)
            else { return nil }
            var session = try RowDecoding.session(header, path: path)

            var steps: [LoggedStep] = []
            let stepRows = try Row.fetchCursor(
                db, sql: "SELECT \(RowDecoding.stepColumns(schemaVersion: schemaVersion)) FROM steps \(keyFilter) ORDER BY request_index",
                arguments: key)
            while let row = try stepRows.next() {
                steps.append(try RowDecoding.step(row, path: path).step)
            }
            let impressionRows = try Row.fetchCursor(
                db, sql: "SELECT \(RowDecoding.impressionColumns(schemaVersion: schemaVersion)) FROM impressions \(keyFilter) "
                    + "ORDER BY request_index, position",
                arguments: key)
            while let row = try impressionRows.next() {
                let keyed = try RowDecoding.impression(row, path: path)
                guard steps.indices.contains(keyed.requestIndex) else {
                    throw EpisodeLogError(path: path, kind: .corrupt("impression of a missing step"))
                }
                steps[keyed.requestIndex].impressions.append(keyed.impression)
            }
            let candidateRows = try Row.fetchCursor(
                db, sql: "SELECT \(RowDecoding.candidateColumns) FROM candidates \(keyFilter)", arguments: key)
            while let row = try candidateRows.next() {
                let keyed = try RowDecoding.candidates(row, path: path)
                guard steps.indices.contains(keyed.requestIndex) else {
                    throw EpisodeLogError(path: path, kind: .corrupt("candidate set of a missing step"))
                }
                steps[keyed.requestIndex].candidates = keyed.candidates
            }
            session.steps = steps
            return session
        }
    }

    // MARK: File

    /// Bytes on disk: the database file plus its write-ahead log, if any.
    public func fileBytes() throws -> Int {
        let main = try EpisodeLogFile.fileSize(path) ?? 0
        let wal = try EpisodeLogFile.fileSize(path + "-wal") ?? 0
        return main + wal
    }

    /// Runs `PRAGMA quick_check`, or with `full` the complete `PRAGMA integrity_check` and
    /// `PRAGMA foreign_key_check`, throwing `.corrupt` on any problem.
    public func verifyIntegrity(full: Bool = false) throws {
        try read { db in try EpisodeLogFile.quickCheck(db, path: path, full: full) }
    }
}
