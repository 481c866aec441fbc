#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes a report: the HTML page, and beside it the data for people who plot their own: `<name>.json` (every
/// chart's title, caption and Vega-Lite specification with its data) and `<name>-data/<chart>.csv` (each chart's
/// table). All files are written to temporary names and moved into place only when every one is complete, the page
/// last: a failure leaves no partial report behind.
public enum ReportFiles {
    /// The files of a report whose page is `out` (`report.html` → `report.json`, `report-data/`).
    public struct Layout: Sendable, Equatable {
        public var page: String
        public var json: String
        public var dataFolder: String
        /// `dataFolder` relative to the page (for its links).
        public var dataFolderName: String

        public init(page: String) {
            self.page = page
            let stem = (page as NSString).deletingPathExtension
            json = stem + ".json"
            dataFolder = stem + "-data"
            dataFolderName = (stem as NSString).lastPathComponent + "-data"
        }
    }

    public static func write(_ report: Report, html: String, layout: Layout, generator: String) throws(ReportError) {
        let fm = FileManager.default
        let token = "\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        let temporaryPage = layout.page + ".partial-\(token)"
        let temporaryJSON = layout.json + ".partial-\(token)"
        let temporaryData = layout.dataFolder + ".partial-\(token)"
        func cleanUp() {
            for path in [temporaryPage, temporaryJSON, temporaryData] { try? fm.removeItem(atPath: path) }
        }
        if layout.json == layout.page {
            throw ReportError(file: layout.page, "the page needs a name with an extension (e.g. report.html): its data goes to NAME.json")
        }
        do {
            try fm.createDirectory(atPath: temporaryData, withIntermediateDirectories: false)
            for chart in report.charts {
                try csv(chart).write(toFile: "\(temporaryData)/\(chart.id).csv", atomically: false, encoding: .utf8)
            }
            try dataDocument(report, generator: generator).encoded().write(toFile: temporaryJSON, atomically: false, encoding: .utf8)
            try html.write(toFile: temporaryPage, atomically: false, encoding: .utf8)
            if fm.fileExists(atPath: layout.dataFolder) { try fm.removeItem(atPath: layout.dataFolder) }
            try fm.moveItem(atPath: temporaryData, toPath: layout.dataFolder)
            try replace(layout.json, with: temporaryJSON)
            try replace(layout.page, with: temporaryPage)
        } catch {
            cleanUp()
            throw ReportError(file: layout.page, "cannot write the report: \(error.localizedDescription)")
        }
    }

    /// Moves `temporary` onto `path` in one step (POSIX `rename`: an existing file is replaced atomically).
    static func replace(_ path: String, with temporary: String) throws {
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
    }

    /// The JSON beside the page: the charts in page order.
    static func dataDocument(_ report: Report, generator: String) -> JSONValue {
        var charts: [JSONValue] = []
        for section in report.sections {
            for chart in section.charts {
                charts.append(["id": .init(chart.id), "section": .init(section.heading), "title": .init(chart.title),
                               "caption": .init(chart.caption), "columns": .array(chart.columns.map { .string($0) }),
                               "spec": chart.spec])
            }
        }
        return ["kind": "report", "formatVersion": .init(ReportInput.supportedFormatVersion), "generator": .init(generator),
                "title": .init(report.title), "charts": .array(charts)]
    }

    /// A chart's table as CSV (RFC 4180): the columns in order; empty cells for missing or non-finite values.
    static func csv(_ chart: Chart) -> String {
        var out = chart.columns.map(cell).joined(separator: ",") + "\n"
        for row in chart.rows {
            out += chart.columns.map { column -> String in
                switch row[column] {
                case .number(let v)?: return v.isFinite ? JSONValue.text(v) : ""
                case .string(let s)?: return cell(s)
                case .bool(let b)?: return b ? "true" : "false"
                default: return ""
                }
            }.joined(separator: ",") + "\n"
        }
        return out
    }

    static func cell(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
