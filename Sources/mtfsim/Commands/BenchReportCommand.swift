import ArgumentParser
import Benchmarks
import Foundation
import Numerics
import Simulator

/// `mtfsim bench report`: the time and page size of `mtfsim report` on a big episode log (`ReportBenchmark`).
struct BenchReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Seconds and page size of `mtfsim report` on a 20,000-session log, beside a plain read of the same rows.",
        discussion: """
        Simulates --sessions sessions under the environment's mixture policy into a temporary log (or takes --log), \
        then times, median of --repeats: a plain read of every session, step and impression (the floor); the report's \
        one streaming pass into the charts; rendering and writing the page with its JSON and CSV. The Vega bundle is \
        fetched once, as `mtfsim report` does (vl-convert through --python, or --vega-bundle), and timed apart.
        """
    )

    @Option(help: ArgumentHelp("Environment file or preset.", valueName: "file"))
    var env = "environments/short-video.yaml"

    @Option(help: ArgumentHelp("Sessions to simulate into the log.", valueName: "count"))
    var sessions = 20_000

    @Option(help: ArgumentHelp("Report this log instead of simulating one.", valueName: "file"))
    var log: String?

    @Option(help: "Runs per figure (the median is reported).")
    var repeats = 3

    @Option(help: ArgumentHelp("Worker threads for the simulation.", valueName: "count"))
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("vega-bundle"), help: ArgumentHelp("A saved Vega bundle (default: vl-convert).", valueName: "file"))
    var vegaBundle: String?

    @Option(help: ArgumentHelp("The Python interpreter that has vl-convert.", valueName: "path"))
    var python: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard sessions > 0, repeats > 0, threads > 0 else { throw ValidationError("--sessions, --repeats and --threads must be positive") }
    }

    struct Output: Encodable {
        var benchmark: ReportBenchReport
        var bundleSeconds: Double
        var totalSeconds: Double
    }

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let (runtime, _) = try VegaRuntime.load(bundle: vegaBundle, python: python)
        let bundleSeconds = (clock.now - start).seconds
        let (config, text) = try EnvironmentLoader.resolve(env)
        let report = try ReportBenchmark(config: config, environmentText: text, sessions: sessions, log: log, repeats: repeats,
                                         threads: threads, runtime: runtime).run()
        let total = bundleSeconds + report.reportSeconds
        if json {
            print(try JSONOutput.encode(Output(benchmark: report, bundleSeconds: bundleSeconds, totalSeconds: total)))
            return
        }
        let r = report
        print("\(log ?? config.name): \(r.sessions) sessions, \(r.steps) steps, \(r.impressions) impressions, log \(r.logBytes / 1_000_000) MB")
        print(String(format: "plain read of every row   %.2f s", r.plainReadSeconds))
        print(String(format: "report's pass into charts %.2f s (%.2f× the plain read), %d charts", r.buildSeconds,
                     r.buildSeconds / r.plainReadSeconds, r.charts))
        print(String(format: "page + JSON + CSV written %.2f s; page %.2f MB (Vega bundle %.2f MB)", r.writeSeconds,
                     Double(r.pageBytes) / 1e6, Double(r.runtimeBytes) / 1e6))
        print(String(format: "Vega bundle fetched once  %.2f s", bundleSeconds))
        print(String(format: "report total              %.2f s (goal < 10 s); memory %.0f MB at the peak of the report, %.0f MB before it",
                     total, Double(r.reportPeakResidentBytes) / 1e6, Double(r.residentBeforeBytes) / 1e6))
    }
}
