import Foundation
import GRDB

/// Why an episode log could not be opened, read or written; `description` is one line naming the file.
public struct EpisodeLogError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public enum Kind: Equatable, Sendable {
        /// No file at the path (opening for reading or appending).
        case notFound
        /// `create` was asked for a path that already holds a non-empty file.
        case alreadyExists
        /// The file is empty: not a database yet, and not a log.
        case emptyFile
        /// The file does not start with the SQLite header (`found` shows its first bytes).
        case notSQLite(found: String)
        /// The file is shorter than its SQLite header declares (e.g. a copy cut short).
        case truncated(expectedBytes: Int, actualBytes: Int)
        /// SQLite reports damage (`quick_check`/`integrity_check` or an open error).
        case corrupt(String)
        /// A SQLite database, but not an MTFSim episode log.
        case notEpisodeLog(String)
        /// The log was written by a newer MTFSim whose schema this build does not know.
        case newerSchema(found: Int, supported: Int)
        /// A record does not fit the run's layout (vector lengths, bitmask, enum values).
        case invalidRecord(String)
        /// No such run in the file, or no run begun/resumed by this writer.
        case noRun(String)
        /// The asynchronous sink was closed or its writer thread stopped.
        case sinkClosed
        /// An error from the file system or SQLite while reading or writing.
        case io(String)
    }

    /// The log's path.
    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String {
        let what: String
        switch kind {
        case .notFound:
            what = "no such file"
        case .alreadyExists:
            what = "file already exists; choose another path or remove it"
        case .emptyFile:
            what = "file is empty, not an MTFSim episode log"
        case .notSQLite(let found):
            what = "not an MTFSim episode log: not a SQLite database (starts with \"\(found)\")"
        case .truncated(let expected, let actual):
            what = "database is truncated: \(actual) bytes, its header declares \(expected)"
        case .corrupt(let reason):
            what = "database is corrupt: \(reason)"
        case .notEpisodeLog(let reason):
            what = "not an MTFSim episode log: \(reason)"
        case .newerSchema(let found, let supported):
            what = "schema version \(found) is newer than this build supports (\(supported)); upgrade MTFSim to read it"
        case .invalidRecord(let reason):
            what = "invalid record: \(reason)"
        case .noRun(let reason):
            what = reason
        case .sinkClosed:
            what = "the asynchronous log writer is closed"
        case .io(let reason):
            what = reason
        }
        return "episode log \(path): \(what)"
    }

    public var errorDescription: String? { description }
}

extension EpisodeLogError {
    /// Runs `body`, turning any non-`EpisodeLogError` (GRDB's `DatabaseError`, Foundation errors) into
    /// `.io` or `.corrupt` for `path`, so that no GRDB type crosses the module boundary.
    static func wrapping<T>(path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as EpisodeLogError {
            throw error
        } catch {
            throw EpisodeLogError(path: path, kind: classify(error))
        }
    }

    /// `.corrupt` for SQLite's corruption and not-a-database codes, `.io` with SQLite's message otherwise.
    static func classify(_ error: any Error) -> Kind {
        if let error = error as? DatabaseError {
            let message = error.message ?? "\(error.resultCode)"
            switch error.resultCode.primaryResultCode {
            case .SQLITE_CORRUPT, .SQLITE_NOTADB: return .corrupt(message)
            default: return .io("SQLite error \(error.resultCode.primaryResultCode.rawValue): \(message)")
            }
        }
        return .io(String(describing: error).replacingOccurrences(of: "\n", with: " "))
    }
}
