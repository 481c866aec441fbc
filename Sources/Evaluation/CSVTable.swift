import Foundation

/// A place in a CSV file for messages: the file as given, the 1-based line (the header is line 1) and the 1-based
/// character column where the field begins.
public struct CSVLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A refused CSV input, as one line `FILE:LINE:COLUMN: message`, the format compilers use so that editors can jump
/// to the place.
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: CSVLocation
    public var message: String

    public init(_ location: CSVLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): \(message)" }
}

/// A CSV file under RFC 4180 (comma-separated fields, fields in double quotes may hold commas, line breaks and
/// doubled quotes `""`), with a required header row naming the columns; every field keeps its line and column for
/// messages. The header is read at once, the records one at a time (`forEachRecord`), so a large file costs its
/// bytes and one record.
///
/// Strict where a mistake could pass silently: every record must have as many fields as the header, a header name
/// may not repeat or be empty, and a quote may only open a field and close it. Accepted as written by common tools:
/// LF or CRLF line ends, a UTF-8 byte-order mark, a missing final line end, and empty lines (skipped, still counted).
/// A hand-written reader rather than a package, because the error format needs each field's line and column.
public struct CSVTable: Sendable {
    /// One field's text and where it begins.
    public struct Field: Sendable {
        public var text: String
        public var line: Int
        public var column: Int
    }

    /// One data record: its fields in header order, and the line it begins on.
    public struct Record: Sendable {
        public var fields: [Field]
        public var line: Int
    }

    /// The file as named in messages.
    public let file: String
    /// The header's column names and places, in file order (names trimmed of spaces).
    public let header: [Field]
    private let bytes: [UInt8]
    /// Where the first record begins: byte offset, line, column.
    private let start: Cursor

    /// Reads `path` and its header; refuses a missing or unreadable file, a missing header and a bad column name,
    /// each with its place.
    public init(path: String) throws(CSVError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CSVError(CSVLocation(file: path, line: 1, column: 1), "cannot read the file: \(error.localizedDescription)")
        }
        try self.init(bytes: [UInt8](data), file: path)
    }

    /// Reads the header of `bytes`, the content of `file`.
    public init(bytes: [UInt8], file: String) throws(CSVError) {
        self.file = file
        self.bytes = bytes
        var cursor = Cursor(offset: bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0, line: 1, column: 1)
        guard let first = try Self.nextRow(bytes, &cursor, file: file) else {
            throw CSVError(CSVLocation(file: file, line: 1, column: 1), "the file is empty; a header row naming the columns is required")
        }
        var seen: [String: Int] = [:]
        var header = first.fields
        for i in header.indices {
            header[i].text = header[i].text.trimmingCharacters(in: .whitespaces)
            let name = header[i].text
            guard !name.isEmpty else {
                throw CSVError(CSVLocation(file: file, line: header[i].line, column: header[i].column),
                               "column \(i + 1) of the header has no name (write the file without an index column)")
            }
            if let earlier = seen[name] {
                throw CSVError(CSVLocation(file: file, line: header[i].line, column: header[i].column),
                               "column \"\(name)\" is named twice (columns \(earlier + 1) and \(i + 1))")
            }
            seen[name] = i
        }
        self.header = header
        self.start = cursor
    }

    /// The header's column names.
    public var columnNames: [String] { header.map(\.text) }

    /// The index of column `name`, or nil.
    public func column(_ name: String) -> Int? { header.firstIndex { $0.text == name } }

    /// Where field `index` of `record` begins.
    public func location(_ record: Record, _ index: Int) -> CSVLocation {
        CSVLocation(file: file, line: record.fields[index].line, column: record.fields[index].column)
    }

    /// Calls `body` with each data record in file order; refuses a record with the wrong number of fields or a stray
    /// quote before passing it on.
    public func forEachRecord(_ body: (Record) throws(CSVError) -> Void) throws(CSVError) {
        var cursor = start
        while let row = try Self.nextRow(bytes, &cursor, file: file) {
            guard row.fields.count == header.count else {
                let column = row.fields.count > header.count ? row.fields[header.count].column : row.endColumn
                throw CSVError(CSVLocation(file: file, line: row.line, column: column),
                               "\(row.fields.count) field(s), but the header has \(header.count) columns")
            }
            try body(Record(fields: row.fields, line: row.line))
        }
    }

    /// A reading position: byte offset, 1-based line and character column.
    private struct Cursor: Sendable {
        var offset: Int
        var line: Int
        var column: Int
    }

    /// A record while splitting, with the column just past its last character (for "too few fields").
    private struct RawRow {
        var fields: [Field]
        var line: Int
        var endColumn: Int
    }

    /// The next non-empty record from `cursor`, or nil at the end: RFC 4180 splitting, counting lines and characters
    /// (a UTF-8 continuation byte does not start a character).
    private static func nextRow(_ bytes: [UInt8], _ cursor: inout Cursor, file: String) throws(CSVError) -> RawRow? {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let n = bytes.count
        var i = cursor.offset, line = cursor.line, column = cursor.column
        defer { cursor = Cursor(offset: i, line: line, column: column) }
        func advance(_ byte: UInt8) {
            if byte == lf { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        /// A record ends at LF, CRLF, or a CR that ends the file.
        func atLineEnd(_ i: Int) -> Bool { bytes[i] == lf || (bytes[i] == cr && (i + 1 == n || bytes[i + 1] == lf)) }
        while i < n && atLineEnd(i) {
            if bytes[i] == cr { i += 1 }
            if i < n { advance(lf); i += 1 }
        }
        guard i < n else { return nil }
        var fields: [Field] = []
        let rowLine = line
        var endColumn = column
        while true {
            let fieldLine = line, fieldColumn = column
            let text: String?
            if i < n && bytes[i] == quote {
                advance(quote); i += 1
                var unquoted: [UInt8] = []
                var closed = false
                while i < n {
                    let b = bytes[i]
                    if b == quote {
                        if i + 1 < n && bytes[i + 1] == quote {
                            unquoted.append(quote); advance(quote); advance(quote); i += 2
                            continue
                        }
                        advance(quote); i += 1
                        closed = true
                        break
                    }
                    unquoted.append(b); advance(b); i += 1
                }
                guard closed else {
                    throw CSVError(CSVLocation(file: file, line: fieldLine, column: fieldColumn), "the quote opened here is never closed")
                }
                if i < n && bytes[i] != comma && !atLineEnd(i) {
                    throw CSVError(CSVLocation(file: file, line: line, column: column),
                                   "text after a closing quote; a quoted field must end at its quote")
                }
                text = String(validating: unquoted, as: UTF8.self)
            } else {
                let begin = i
                while i < n && bytes[i] != comma && !atLineEnd(i) {
                    if bytes[i] == quote {
                        throw CSVError(CSVLocation(file: file, line: line, column: column),
                                       "a quote inside an unquoted field; quote the whole field and double the quote")
                    }
                    advance(bytes[i]); i += 1
                }
                text = String(validating: bytes[begin..<i], as: UTF8.self)
            }
            guard let text else {
                throw CSVError(CSVLocation(file: file, line: fieldLine, column: fieldColumn), "the field is not UTF-8 text")
            }
            fields.append(Field(text: text, line: fieldLine, column: fieldColumn))
            endColumn = column
            if i < n && bytes[i] == comma {
                advance(comma); i += 1
                continue
            }
            if i < n && bytes[i] == cr { i += 1 }
            if i < n && bytes[i] == lf { advance(lf); i += 1 }
            return RawRow(fields: fields, line: rowLine, endColumn: endColumn)
        }
    }
}
