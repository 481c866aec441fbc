import GRDBSQLite

/// A raw read-only SQLite connection for inspecting a file before trusting it.
///
/// GRDB opens plain paths, which makes SQLite create `-wal`/`-shm` files beside a WAL-mode database even for a
/// read-only connection. A file we may refuse must be left exactly as it was, so when no `-wal` file exists (no
/// writer is active) inspection opens the file as an `immutable=1` URI: no locks, no side files, no writes.
final class InspectionConnection {
    private var handle: OpaquePointer?
    let path: String

    /// Opens `path` read-only; `immutable` when nothing else can be writing it.
    init(path: String, immutable: Bool) throws {
        self.path = path
        let uri = "file:" + Self.percentEncoded(path) + "?mode=ro" + (immutable ? "&immutable=1" : "")
        let code = sqlite3_open_v2(uri, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nil)
        if code != SQLITE_OK {
            let error = failure(code)
            sqlite3_close(handle)
            handle = nil
            throw error
        }
        sqlite3_busy_timeout(handle, 5000)
    }

    deinit {
        sqlite3_close(handle)
    }

    /// The first column of every row of `sql`, as text.
    func strings(_ sql: String) throws -> [String] {
        var statement: OpaquePointer?
        let prepared = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard prepared == SQLITE_OK else { throw failure(prepared) }
        defer { sqlite3_finalize(statement) }
        var values: [String] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return values }
            guard code == SQLITE_ROW else { throw failure(code) }
            values.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "")
        }
    }

    /// The integer result of a one-row query such as `PRAGMA user_version`.
    func integer(_ sql: String) throws -> Int64 {
        guard let text = try strings(sql).first, let value = Int64(text) else {
            throw EpisodeLogError(path: path, kind: .corrupt("\(sql) returned no integer"))
        }
        return value
    }

    private func failure(_ code: Int32) -> EpisodeLogError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        switch code & 0xFF {
        case SQLITE_CORRUPT, SQLITE_NOTADB: return EpisodeLogError(path: path, kind: .corrupt(message))
        default: return EpisodeLogError(path: path, kind: .io("SQLite error \(code & 0xFF): \(message)"))
        }
    }

    /// `path` with every byte outside `A–Z a–z 0–9 - . _ ~ /` percent-encoded, as SQLite's URI parser expects.
    static func percentEncoded(_ path: String) -> String {
        var result = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"), UInt8(ascii: "/"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
