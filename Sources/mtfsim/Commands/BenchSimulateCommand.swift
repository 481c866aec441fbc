import ArgumentParser
import Foundation
import Rollout
import Simulator

/// `mtfsim bench simulate`: simulator throughput with the oracle-noise ranker, on one thread and on all cores.
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

    @Option(help: ArgumentHelp("Thread counts to measure (default: 1 and all cores).", valueName: "list"))
    var threads: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard sessions > 0, repeats > 0 else { throw ValidationError("--sessions and --repeats must be positive") }
    }

    func run() throws {
        let (config, _) = try EnvironmentLoader.resolve(env)
        let world = try World(config: config, seed: 1)
        let policy = FixedPolicy(action: world.actionSpace.baseline, actionSpace: world.actionSpace)
        let ranker = OracleNoiseRanker(config: config)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let counts = try threads.map { text in
            try text.split(separator: ",").map { part -> Int in
                guard let n = Int(part), n > 0 else { throw ValidationError("--threads: expected positive integers, got '\(part)'") }
                return n
            }
        } ?? Array(Set([1, cores])).sorted()
        var rows: [SimulateBenchReport.Row] = []
        for count in counts {
            var rates: [Double] = []
            var requests = 0
            for _ in 0..<repeats {
                let clock = ContinuousClock()
                let start = clock.now
                let output = Simulation(world: world, ranker: ranker, policy: policy, seed: 1)
                    .run(.init(sessions: sessions, threads: count))
                let seconds = (clock.now - start).seconds
                requests = output.simulatedRequests
                rates.append(Double(requests) / seconds)
            }
            rates.sort()
            let median = rates[rates.count / 2]
            rows.append(.init(threads: count, requests: requests, requestsPerSecond: median,
                              impressionsPerSecond: median * Double(config.slate.size)))
        }
        let report = SimulateBenchReport(environment: config.name, candidates: config.retrieval.candidates,
                                         slateSize: config.slate.size, tasks: config.tasks.count, cores: cores, rows: rows)
        if json {
            print(try JSONOutput.encode(report))
        } else {
            print("\(config.name): K = \(report.candidates) candidates, slate \(report.slateSize), \(report.tasks) tasks, oracle-noise ranker, \(cores) cores")
            print("threads   requests/s   impressions/s   speed-up")
            let base = rows.first?.requestsPerSecond ?? 1
            for row in rows {
                print(String(format: "%7d %12.0f %15.0f %9.2fx", row.threads, row.requestsPerSecond,
                             row.impressionsPerSecond, row.requestsPerSecond / base))
            }
        }
    }
}

struct SimulateBenchReport: Encodable {
    struct Row: Encodable {
        var threads: Int
        var requests: Int
        var requestsPerSecond: Double
        var impressionsPerSecond: Double
    }
    var environment: String
    var candidates: Int
    var slateSize: Int
    var tasks: Int
    var cores: Int
    var rows: [Row]
}
