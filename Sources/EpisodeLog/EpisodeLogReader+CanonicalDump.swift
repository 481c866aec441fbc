import GRDB

extension EpisodeLogReader {
    /// Writes the log's logical content as text lines, one per row, every table ordered by its primary key and
    /// every value exact (REAL as its IEEE-754 bit pattern, BLOB as hex), leaving out the wall-clock columns
    /// `created_at` and `finished_at`. Two logs have the same logical content iff their dumps are equal, whatever
    /// order the sessions were written in: the basis of the determinism checks.
    ///
    /// - Parameters:
    ///   - run: only this run (and the `runs` row), or every run when `nil`.
    ///   - excluding: further columns to leave out, e.g. a column a newer schema added, to compare a log's content
    ///     with a digest recorded before that column existed.
    public func canonicalDump(run: Int? = nil, excluding: Set<String> = [], _ line: (String) throws -> Void) throws {
        let tables: [(name: String, key: String)] = [
            ("runs", "id"),
            ("sessions", "run_id, episode, session_index"),
            ("steps", "run_id, episode, session_index, request_index"),
            ("impressions", "run_id, episode, session_index, request_index, position"),
            ("candidates", "run_id, episode, session_index, request_index"),
        ]
        let excluded = excluding.union(["created_at", "finished_at"])
        try read { db in
            for table in tables {
                let filter = run == nil ? "" : " WHERE \(table.name == "runs" ? "id" : "run_id") = \(run!)"
                let rows = try Row.fetchCursor(db, sql: "SELECT * FROM \(table.name)\(filter) ORDER BY \(table.key)")
                while let row = try rows.next() {
                    var text = table.name
                    for (column, value) in row where !excluded.contains(column) {
                        text += " \(column)=" + Self.exactText(value)
                    }
                    try line(text)
                }
            }
        }
    }

    /// A 64-bit FNV-1a digest of `canonicalDump(run:)`: equal logical content gives equal digests.
    public func logicalDigest(run: Int? = nil, excluding: Set<String> = []) throws -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        try canonicalDump(run: run, excluding: excluding) { line in
            for byte in line.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ 0x0a) &* 0x100_0000_01b3
        }
        return hash
    }

    /// An exact, type-tagged rendering of a value: `i:42`, `r:0x3ff0000000000000`, `t:"text"`, `b:00ff`, `null`.
    static func exactText(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: return "null"
        case .int64(let v): return "i:\(v)"
        case .double(let v): return "r:0x" + String(v.bitPattern, radix: 16)
        case .string(let v): return "t:" + String(reflecting: v)
        case .blob(let data):
            let digits = Array("0123456789abcdef".utf8)
            var hex = [UInt8]()
            hex.reserveCapacity(2 + 2 * data.count)
            hex.append(contentsOf: "b:".utf8)
            for byte in data {
                hex.append(digits[Int(byte >> 4)])
                hex.append(digits[Int(byte & 0x0F)])
            }
            return String(decoding: hex, as: UTF8.self)
        }
    }
}
