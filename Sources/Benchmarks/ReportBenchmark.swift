import EpisodeLog
import Foundation
import Numerics
import Reporting
import Rollout
import Simulator

/// How long `mtfsim report` takes on a big episode log, and how big its page is (`mtfsim bench report`).
///
/// Simulates `sessions` sessions of the environment under its `mixture` logging policy into a log (or takes an
/// existing log), then times, median of `repeats` runs each: (1) reading the log once, streaming, into the charts
/// (`ReportBuilder.build`); (2) rendering the page with `runtime` inlined and writing it with its JSON and CSV files.
/// Beside them, a plain read of the same rows (every session, step and impression decoded by the log reader and
/// dropped) is the floor the report's pass is compared with.
public struct ReportBenchmark: Sendable {
    public var config: EnvironmentConfig
    public var environmentText: String
    public var sessions: Int
    /// An existing log to report instead of simulating one.
    public var log: String?
    public var repeats: Int
    public var threads: Int
    /// The JavaScript inlined in the page (vl-convert's bundle in `mtfsim bench report`).
    public var runtime: String
    public var scratchDirectory: URL

    public init(config: EnvironmentConfig, environmentText: String, sessions: Int = 20_000, log: String? = nil, repeats: Int = 3,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, runtime: String,
                scratchDirectory: URL = FileManager.default.temporaryDirectory) {
        precondition(sessions > 0 && repeats > 0 && threads > 0, "ReportBenchmark: sessions, repeats and threads must be positive")
        self.config = config
        self.environmentText = environmentText
        self.sessions = sessions
        self.log = log
        self.repeats = repeats
        self.threads = threads
        self.runtime = runtime
        self.scratchDirectory = scratchDirectory
    }

    public func run() throws -> ReportBenchReport {
        let directory = scratchDirectory.appendingPathComponent("mtfsim-bench-report-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path: String
        if let log {
            path = log
        } else {
            path = directory.appendingPathComponent("report-bench.sqlite").path
            let world = try World(config: config, seed: 1)
            let run = SimulationRun(world: world, environmentText: environmentText, policy: try PolicySpec.parse("mixture", world: world),
                                    ranker: OracleNoiseRanker(config: config), seed: 1, sessions: sessions, threads: threads)
            _ = try run.run(log: path)
        }
        let clock = ContinuousClock()
        var readSeconds: [Double] = [], buildSeconds: [Double] = [], writeSeconds: [Double] = []
        var rows = RowCounts()
        var report: Report?
        var pageBytes = 0
        // The peak resident memory of the report's pass alone (Linux: /proc/self/clear_refs resets the high-water mark).
        let baseline = ResidentMemory.sample().current
        ResidentMemory.resetPeak()
        for _ in 0..<repeats {
            var start = clock.now
            rows = try Self.plainRead(path)
            readSeconds.append((clock.now - start).seconds)

            start = clock.now
            report = try ReportBuilder(inputs: [path]).build()
            buildSeconds.append((clock.now - start).seconds)

            start = clock.now
            let layout = ReportFiles.Layout(page: directory.appendingPathComponent("report.html").path)
            let html = ReportPage.html(report!, runtime: runtime, dataFolder: layout.dataFolderName, generator: "mtfsim bench report")
            try ReportFiles.write(report!, html: html, layout: layout, generator: "mtfsim bench report")
            writeSeconds.append((clock.now - start).seconds)
            pageBytes = Int((try FileManager.default.attributesOfItem(atPath: layout.page)[.size] as? NSNumber)?.intValue ?? 0)
        }
        let logBytes = Int((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0)
        return ReportBenchReport(
            sessions: rows.sessions, steps: rows.steps, impressions: rows.impressions, logBytes: logBytes,
            charts: report?.charts.count ?? 0, plainReadSeconds: BenchTiming.median(readSeconds),
            buildSeconds: BenchTiming.median(buildSeconds), writeSeconds: BenchTiming.median(writeSeconds),
            pageBytes: pageBytes, runtimeBytes: runtime.utf8.count, reportPeakResidentBytes: ResidentMemory.sample().peak, residentBeforeBytes: baseline)
    }

    struct RowCounts {
        var sessions = 0, steps = 0, impressions = 0
    }

    /// Every row of the log's runs decoded by the reader, as the report reads them, and dropped.
    static func plainRead(_ path: String) throws -> RowCounts {
        let reader = try EpisodeLogFile.open(path: path)
        defer { try? reader.close() }
        var counts = RowCounts()
        for run in try reader.runs() {
            try reader.sessions(run: run.id).forEach { counts.sessions += $0.count }
            try reader.steps(run: run.id).forEach { counts.steps += $0.count }
            try reader.impressions(run: run.id).forEach { counts.impressions += $0.count }
        }
        return counts
    }
}

/// What `mtfsim bench report` measured (seconds are medians over the repeats).
public struct ReportBenchReport: Sendable, Codable, Equatable {
    public var sessions: Int
    public var steps: Int
    public var impressions: Int
    public var logBytes: Int
    public var charts: Int
    /// Reading every row with the log reader and nothing else: the floor.
    public var plainReadSeconds: Double
    /// Reading the log once into the charts (statistics, bins, Vega-Lite specifications).
    public var buildSeconds: Double
    /// Rendering the page and writing it with its JSON and CSV files.
    public var writeSeconds: Double
    public var pageBytes: Int
    public var runtimeBytes: Int
    /// Peak resident memory of the process while it reported (Linux; elsewhere the process's whole peak), and its
    /// resident memory just before: their difference is what the report's pass needed.
    public var reportPeakResidentBytes: Int
    public var residentBeforeBytes: Int

    public var reportSeconds: Double { buildSeconds + writeSeconds }
}
