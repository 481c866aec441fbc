import Foundation
import GRDB

/// Entry points to an episode log file: create a new one, open one for appending, or open one for reading.
///
/// Every existing file is inspected read-only before anything else touches it (SQLite header, declared size,
/// `application_id`, `user_version`, tables, and `PRAGMA quick_check` for small files), so a text file, a
/// truncated or corrupt database, a foreign SQLite database or a log from a newer MTFSim is refused with one
/// `EpisodeLogError` line and left byte-for-byte unchanged.
public enum EpisodeLogFile {
    /// How much integrity checking `open` does.
    public enum IntegrityCheck: Sendable {
        /// `PRAGMA quick_check` when the file is at most `automaticCheckLimit` bytes, none above.
        case automatic
        /// Always `PRAGMA quick_check` (O(file size)).
        case quick
        /// Header, identity and schema checks only.
        case none
    }

    /// Files up to this size get `PRAGMA quick_check` on open with `.automatic` (a fraction of a second).
    public static let automaticCheckLimit = 64 << 20

    /// The schema version this build writes.
    public static var schemaVersion: Int { EpisodeLogSchema.currentVersion }

    /// Creates a new, empty log at `path` (WAL mode) and returns its writer. Refuses a path that already holds a
    /// non-empty file; an empty file (e.g. from `mktemp`) is taken over.
    public static func create(path: String) throws -> EpisodeLogWriter {
        let size = try fileSize(path)
        if let size, size > 0 {
            throw EpisodeLogError(path: path, kind: .alreadyExists)
        }
        // A stray write-ahead log would be replayed into the new database.
        if FileManager.default.fileExists(atPath: path + "-wal") {
            throw EpisodeLogError(path: path, kind: .alreadyExists)
        }
        return try EpisodeLogWriter(path: path)
    }

    /// Opens an existing log to append runs or resume one, after inspecting it read-only; migrates an older
    /// schema. Runs left `running` (by a process that was killed) are marked `interrupted`: a file has one
    /// writer at a time.
    ///
    /// - Parameter legacyStepTiming: derives the step times of runs logged before schema 3 (see
    ///   `LegacyStepTiming`); without it, their `elapsed_minutes` stay unknown (NULL).
    public static func openForWriting(path: String, legacyStepTiming: LegacyStepTiming? = nil) throws -> EpisodeLogWriter {
        guard try fileSize(path) != nil else { throw EpisodeLogError(path: path, kind: .notFound) }
        _ = try inspect(path: path, check: .automatic)
        return try EpisodeLogWriter(path: path, legacyStepTiming: legacyStepTiming)
    }

    /// Opens an existing log read-only. Works while a writer is appending (WAL): each read sees the sessions
    /// committed when it began.
    public static func open(path: String, check: IntegrityCheck = .automatic) throws -> EpisodeLogReader {
        let inspection = try inspect(path: path, check: check)
        return try EpisodeLogReader(path: path, schemaVersion: inspection.schemaVersion)
    }

    // MARK: Inspection

    /// What inspection learnt about a file that passed it.
    struct Inspection {
        var schemaVersion: Int
        var fileBytes: Int
    }

    /// Checks, without writing, that `path` is an MTFSim episode log this build can read.
    static func inspect(path: String, check: IntegrityCheck) throws -> Inspection {
        guard let size = try fileSize(path) else { throw EpisodeLogError(path: path, kind: .notFound) }
        // An empty write-ahead log (left by a reader) holds nothing: the main file alone is the database.
        let walExists = ((try? fileSize(path + "-wal")) ?? nil).map { $0 > 0 } ?? false
        try checkHeader(path: path, fileBytes: size, walExists: walExists)
        let connection = try InspectionConnection(path: path, immutable: !walExists)
        let applicationID = Int32(truncatingIfNeeded: try connection.integer("PRAGMA application_id"))
        let version = Int(try connection.integer("PRAGMA user_version"))
        let tables = Set(try connection.strings("SELECT name FROM sqlite_master WHERE type = 'table'"))
        guard applicationID == EpisodeLogSchema.applicationID else {
            let reason = tables.isEmpty && applicationID == 0
                ? "an empty SQLite database"
                : "SQLite application_id is \(hex(applicationID)), expected \(hex(EpisodeLogSchema.applicationID))"
            throw EpisodeLogError(path: path, kind: .notEpisodeLog(reason))
        }
        guard version <= EpisodeLogSchema.currentVersion else {
            throw EpisodeLogError(path: path, kind: .newerSchema(found: version, supported: EpisodeLogSchema.currentVersion))
        }
        let missing = EpisodeLogSchema.requiredTables.subtracting(tables)
        guard version >= 1, missing.isEmpty else {
            throw EpisodeLogError(path: path, kind: .notEpisodeLog(
                "schema version \(version), missing tables \(missing.sorted().joined(separator: ", "))"))
        }
        if check == .quick || (check == .automatic && size <= automaticCheckLimit) {
            try integrityProblems(try connection.strings("PRAGMA quick_check"), path: path)
        }
        return Inspection(schemaVersion: version, fileBytes: size)
    }

    /// Runs `PRAGMA quick_check`, or with `full` the complete `integrity_check` plus `foreign_key_check` (every
    /// step has its session, every impression its step), and throws `.corrupt` with the first problem.
    static func quickCheck(_ db: Database, path: String, full: Bool = false) throws {
        try integrityProblems(try String.fetchAll(db, sql: full ? "PRAGMA integrity_check" : "PRAGMA quick_check"),
                              path: path)
        if full {
            let orphans = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
            if let first = orphans.first {
                let table: String = first[0]
                throw EpisodeLogError(path: path, kind: .corrupt(
                    "\(orphans.count) rows without their parent row, the first in table \(table)"))
            }
        }
    }

    /// Throws `.corrupt` unless SQLite's check answered `ok`: one line with the first problem and how many more.
    private static func integrityProblems(_ messages: [String], path: String) throws {
        guard messages != ["ok"] else { return }
        let problems = messages.flatMap { $0.split(separator: "\n") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("***") }
        let first = problems.first ?? "integrity check failed"
        let more = problems.count > 1 ? " (and \(problems.count - 1) more problems)" : ""
        throw EpisodeLogError(path: path, kind: .corrupt(first + more))
    }

    /// Checks the 100-byte SQLite header: the magic string, and that the file is as long as the header's page
    /// count says (when that count is valid and no `-wal` file holds newer pages). Catches text files, random
    /// bytes and copies cut short before SQLite sees them.
    static func checkHeader(path: String, fileBytes: Int, walExists: Bool) throws {
        guard fileBytes > 0 else { throw EpisodeLogError(path: path, kind: .emptyFile) }
        let header: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            header = try handle.read(upToCount: 100) ?? Data()
        } catch {
            throw EpisodeLogError(path: path, kind: .io("cannot read: \(error.localizedDescription)"))
        }
        let magic = Array("SQLite format 3\0".utf8)
        guard header.count >= magic.count, Array(header.prefix(magic.count)) == magic else {
            let shown = String(decoding: header.prefix(16).map { (32..<127).contains($0) ? $0 : UInt8(ascii: "?") },
                               as: UTF8.self)
            throw EpisodeLogError(path: path, kind: .notSQLite(found: shown))
        }
        guard header.count == 100 else {
            throw EpisodeLogError(path: path, kind: .truncated(expectedBytes: 100, actualBytes: fileBytes))
        }
        func bigEndian(_ offset: Int, _ count: Int) -> Int {
            header[offset..<(offset + count)].reduce(0) { $0 << 8 | Int($1) }
        }
        let rawPageSize = bigEndian(16, 2)
        let pageSize = rawPageSize == 1 ? 65536 : rawPageSize
        let changeCounter = bigEndian(24, 4), versionValidFor = bigEndian(92, 4)
        let pageCount = bigEndian(28, 4)
        if !walExists, pageCount > 0, changeCounter == versionValidFor, pageSize >= 512 {
            let expected = pageCount * pageSize
            if fileBytes < expected {
                throw EpisodeLogError(path: path, kind: .truncated(expectedBytes: expected, actualBytes: fileBytes))
            }
        }
    }

    /// A read-only GRDB configuration: readers and inspection never write the file.
    static func readOnlyConfiguration() -> Configuration {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "EpisodeLog.reader"
        // A writer may hold the write lock briefly while committing a batch; readers in WAL do not need it, but
        // opening can race a checkpoint.
        configuration.busyMode = .timeout(5)
        return configuration
    }

    /// The file's size in bytes, `nil` when there is no file.
    static func fileSize(_ path: String) throws -> Int? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue else { throw EpisodeLogError(path: path, kind: .io("is a directory")) }
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw EpisodeLogError(path: path, kind: .io("cannot stat: \(error.localizedDescription)"))
        }
    }

    private static func hex(_ value: Int32) -> String {
        let digits = String(UInt32(bitPattern: value), radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
