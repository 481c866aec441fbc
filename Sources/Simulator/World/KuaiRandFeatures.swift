import Foundation

/// Real KuaiRand-Pure attributes (Gao et al., CIKM 2022; CC BY-SA 4.0) read from the dataset's CSV files.
/// Only observed attributes are taken; latent parts (topic embeddings, quality, appeal) stay simulated.
public enum KuaiRandFeatures {
    /// One video of `video_features_basic_pure.csv`.
    public struct Video: Sendable, Equatable {
        public var authorID: Int
        /// Duration in seconds (nil when the file has none: 239 of 7,583 videos; the catalog then samples one).
        public var durationSeconds: Double?
        /// The first tag id (KuaiRand's tag list is comma-separated), used as the item's category; nil when untagged.
        public var tag: Int?
    }

    /// One user of `user_features_pure.csv`.
    public struct User: Sendable, Equatable {
        /// 0 = full_active, 1 = high_active, 2 = middle_active, 3 = other (KuaiRand's `user_active_degree`).
        public var activityDegree: Int
        public var registerDays: Double
    }

    /// Reads every video; a missing duration or tag stays nil (rows without an author id are skipped).
    public static func videos(path: String) throws -> [Video] {
        let table = try CSVTable(path: path)
        let author = try table.column("author_id"), duration = try table.column("video_duration"), tag = try table.column("tag")
        let videos: [Video] = table.rows.compactMap { row in
            guard let a = Int(row[author]) else { return nil }
            let milliseconds = Double(row[duration]).flatMap { $0 > 0 ? $0 : nil }
            let t = row[tag].split(separator: ",").first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            return Video(authorID: a, durationSeconds: milliseconds.map { $0 / 1000 }, tag: t)
        }
        guard !videos.isEmpty else { throw CSVTable.ReadError(path: path, message: "no video rows with an author_id") }
        return videos
    }

    /// Reads the users; rows without an activity degree are skipped.
    public static func users(path: String) throws -> [User] {
        let table = try CSVTable(path: path)
        let degree = try table.column("user_active_degree"), register = try table.column("register_days")
        let degrees = ["full_active": 0, "high_active": 1, "middle_active": 2]
        let users = table.rows.map { row in
            User(activityDegree: degrees[row[degree]] ?? 3, registerDays: max(Double(row[register]) ?? 0, 0))
        }
        guard !users.isEmpty else { throw CSVTable.ReadError(path: path, message: "no user rows") }
        return users
    }
}

/// A small CSV reader (RFC 4180 quoting) for the dataset files; it loads the file whole (a few MB).
struct CSVTable {
    let path: String
    let header: [String]
    let rows: [[String]]

    struct ReadError: Error, CustomStringConvertible {
        let path: String
        let message: String
        var description: String { "\(path): \(message)" }
    }

    init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ReadError(path: path, message: "cannot read the file as UTF-8 CSV")
        }
        var records = CSVTable.parse(text)
        guard !records.isEmpty else { throw ReadError(path: path, message: "empty CSV file") }
        let header = records.removeFirst()
        self.header = header
        if let bad = records.firstIndex(where: { $0.count != header.count && $0 != [""] }) {
            throw ReadError(path: path, message: "line \(bad + 2) has \(records[bad].count) fields, the header has \(header.count)")
        }
        rows = records.filter { $0.count == header.count }
    }

    func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw ReadError(path: path, message: "expected a column '\(name)' (columns: \(header.joined(separator: ", ")))")
        }
        return i
    }

    static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": record.append(field); field = ""
            case "\n":
                record.append(field); field = ""
                records.append(record); record = []
            case "\r": break
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        return records
    }
}
