import ArgumentParser
import Benchmarks
import Simulator

/// `mtfsim bench simulate`: simulator throughput with the oracle-noise ranker, on one thread and on all cores
/// (`SimulateBenchmark`).
struct BenchSimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Requests/s and impressions/s of the session simulator (oracle-noise ranker), 1 thread vs all cores.",
        discussion: """
        Runs the environment (default: short-video, K = 200 candidates, slates of 6, 7 tasks) under its baseline \
        fixed weights. World generation is excluded; each figure is the median of --repeats runs. Requests counted \
        include whole blocks of episodes simulated past the requested sessions (real work, then discarded).
        """
    )

    @Option(help: ArgumentHelp("Environment file or preset.", valueName: "file"))
    var env = "environments/short-video.yaml"

    @Option(help: ArgumentHelp("Sessions per run.", valueName: "count"))
    var sessions = 20_000

    @Option(help: "Runs per thread count (the median is reported).")
    var repeats = 3

    @Option(help: ArgumentHelp("Thread counts to measure, comma-separated (default: 1 and all cores).", valueName: "list"))
    var threads: PositiveIntegerList?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard sessions > 0, repeats > 0 else { throw ValidationError("--sessions and --repeats must be positive") }
    }

    func run() throws {
        let (config, _) = try EnvironmentLoader.resolve(env)
        let report = try SimulateBenchmark(config: config, sessions: sessions, repeats: repeats, threadCounts: threads?.values).run()
        if json {
            print(try JSONOutput.encode(report))
            return
        }
        print("\(config.name): K = \(report.candidates) candidates, slate \(report.slateSize), \(report.tasks) tasks, oracle-noise ranker, \(report.cores) cores")
        print("threads   requests/s   impressions/s   speed-up")
        for (row, speedUp) in zip(report.rows, report.speedUps) {
            print(String(format: "%7d %12.0f %15.0f %9.2fx", row.threads, row.requestsPerSecond, row.impressionsPerSecond, speedUp))
        }
    }
}
