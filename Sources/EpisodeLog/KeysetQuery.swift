import GRDB

/// The SQL of one keyset-paginated stream: rows of one run, ordered by the table's primary key, `limit` at a
/// time, starting after a given key. Row-value comparison (`(a, b) > (?, ?)`) lets SQLite seek in the primary
/// key index, so every batch costs O(log n + batch).
struct KeysetQuery {
    let table: String
    /// Primary key columns after `run_id`, in order.
    let keyColumns: [String]
    /// Further columns; selected after the key columns.
    let valueColumns: [String]

    /// Fetches up to `limit` rows after `after` and decodes them; the key of the last row is read from its first
    /// `keyColumns.count` columns.
    func fetch<Element>(
        _ db: Database, run: Int, after: [Int64]?, limit: Int, decode: (Row) throws -> Element
    ) throws -> (elements: [Element], lastKey: [Int64]?) {
        let keys = keyColumns.joined(separator: ", ")
        let columns = (keyColumns + valueColumns).joined(separator: ", ")
        var sql = "SELECT \(columns) FROM \(table) WHERE run_id = ?"
        var arguments: StatementArguments = [run]
        if let after {
            sql += " AND (\(keys)) > (\(Array(repeating: "?", count: after.count).joined(separator: ", ")))"
            arguments += StatementArguments(after)
        }
        sql += " ORDER BY \(keys) LIMIT ?"
        arguments += [limit]
        let statement = try db.cachedStatement(sql: sql)
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        var elements: [Element] = []
        elements.reserveCapacity(limit)
        var lastKey: [Int64]?
        while let row = try rows.next() {
            elements.append(try decode(row))
            lastKey = (0..<keyColumns.count).map { row[$0] }
        }
        return (elements, lastKey)
    }
}
