import ArgumentParser
import EpisodeLog
import Foundation
import Rollout
import Simulator
import Synchronization

/// `mtfsim bench log`: episode-log write throughput, and what logging costs a simulation.
struct BenchLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Impressions/s written by the episode-log writer, and simulate's requests/s with logging on vs off.",
        discussion: """
        (1) Simulates the sessions once with tracing, keeps the traces in memory, then times the real writer \
        appending them (one transaction per block of sessions, as `simulate` does) into a new file. \
        (2) Times `simulate` with and without the log (writer thread and hand-off queue included), median of \
        --repeats runs each. The log files go to a temporary directory and are removed.
        """
    )

    @Option(help: ArgumentHelp("Environment file or preset.", valueName: "file"))
    var env = "environments/short-video.yaml"

    @Option(help: ArgumentHelp("Sessions per run.", valueName: "count"))
    var sessions = 10_000

    @Option(help: "Runs per configuration (the median is reported).")
    var repeats = 3

    @Option(help: ArgumentHelp("Worker threads.", valueName: "count"))
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard sessions > 0, repeats > 0, threads > 0 else { throw ValidationError("--sessions, --repeats and --threads must be positive") }
    }

    func run() throws {
        let (config, text) = try EnvironmentLoader.resolve(env)
        let world = try World(config: config, seed: 1)
        let policy = try PolicySpec.parse("mixture", world: world)
        let ranker = OracleNoiseRanker(config: config)
        let simulation = Simulation(world: world, ranker: ranker, policy: policy, seed: 1)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mtfsim-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var counter = 0
        func freshWriter() throws -> EpisodeLogWriter {
            counter += 1
            let writer = try EpisodeLogFile.create(path: directory.appendingPathComponent("bench\(counter).sqlite").path)
            try writer.beginRun(SimulationLog.metadata(name: "bench", world: world, environmentText: text, seed: 1, policy: policy,
                                                       ranker: ranker, sessions: sessions, lanes: 64, logCandidates: false))
            return writer
        }

        // (1) The writer alone.
        let collected = Mutex<[[LoggedSession]]>([])
        _ = simulation.run(.init(sessions: sessions, threads: threads, sessionSink: { batch in collected.withLock { $0.append(batch) } }))
        let batches = collected.withLock { $0 }
        let impressions = batches.reduce(0) { $0 + $1.reduce(0) { $0 + $1.impressions } }
        let steps = batches.reduce(0) { $0 + $1.reduce(0) { $0 + $1.requests } }
        let sessionCount = batches.reduce(0) { $0 + $1.count }
        var writeRates: [Double] = []
        var fileBytes = 0
        for _ in 0..<repeats {
            let writer = try freshWriter()
            let clock = ContinuousClock(), start = clock.now
            for batch in batches { try writer.append(sessions: batch) }
            try writer.finishRun()
            let seconds = (clock.now - start).seconds
            let path = writer.path
            try writer.close()
            fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            writeRates.append(Double(impressions) / seconds)
        }

        // (2) simulate with and without the log.
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        var off: [Double] = [], on: [Double] = []
        for _ in 0..<repeats {
            let clock = ContinuousClock()
            var start = clock.now
            let plain = simulation.run(.init(sessions: sessions, threads: threads))
            off.append(Double(plain.simulatedRequests) / (clock.now - start).seconds)
            let writer = try freshWriter()
            start = clock.now
            let logged = try SimulationLog.run(simulation, options: .init(sessions: sessions, threads: threads), writer: writer)
            try writer.finishRun()
            try writer.close()
            on.append(Double(logged.simulatedRequests) / (clock.now - start).seconds)
        }
        let report = LogBenchReport(
            environment: config.name, sessions: sessionCount, steps: steps, impressions: impressions, fileBytes: fileBytes,
            writerImpressionsPerSecond: median(writeRates), writerRowsPerSecond: median(writeRates) * Double(impressions + steps + sessionCount) / Double(impressions),
            simulateRequestsPerSecondWithoutLog: median(off), simulateRequestsPerSecondWithLog: median(on),
            loggingOverhead: 1 - median(on) / median(off), threads: threads)
        if json {
            print(try JSONOutput.encode(report))
            return
        }
        print("\(config.name): \(sessionCount) sessions, \(steps) steps, \(impressions) impressions, log file \(fileBytes / 1_000_000) MB")
        print(String(format: "writer:   %.0f impressions/s (%.0f rows/s incl. steps and sessions)", report.writerImpressionsPerSecond, report.writerRowsPerSecond))
        print(String(format: "simulate: %.0f requests/s without log, %.0f with log (%d threads): logging costs %.1f%%",
                     report.simulateRequestsPerSecondWithoutLog, report.simulateRequestsPerSecondWithLog, threads, 100 * report.loggingOverhead))
    }
}

struct LogBenchReport: Encodable {
    var environment: String
    var sessions: Int
    var steps: Int
    var impressions: Int
    var fileBytes: Int
    var writerImpressionsPerSecond: Double
    var writerRowsPerSecond: Double
    var simulateRequestsPerSecondWithoutLog: Double
    var simulateRequestsPerSecondWithLog: Double
    var loggingOverhead: Double
    var threads: Int
}
