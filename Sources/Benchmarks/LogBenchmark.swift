import EpisodeLog
import Foundation
import Rollout
import Simulator
import Synchronization

/// Episode-log write throughput, and what logging costs a simulation (`mtfsim bench log`).
///
/// (1) Simulates the sessions once under the `mixture` policy with tracing, keeps the traces in memory, then times
/// the real writer appending them (one transaction per block of sessions, as `simulate` does) into a new file.
/// (2) Times the simulation without the log, with it (writer thread and hand-off queue included), and with it written
/// on the simulation threads (`--no-log-writer-thread`), in wall-clock and process CPU time. Each figure is
/// the median of `repeats` runs. The log files go to a fresh folder inside `scratchDirectory`, removed at the end.
public struct LogBenchmark: Sendable {
    public var config: EnvironmentConfig
    /// The environment file's text, recorded in each log's run metadata as `simulate` does.
    public var environmentText: String
    public var sessions: Int
    public var repeats: Int
    public var threads: Int
    public var scratchDirectory: URL

    public init(config: EnvironmentConfig, environmentText: String, sessions: Int = 10_000, repeats: Int = 3,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                scratchDirectory: URL = FileManager.default.temporaryDirectory) {
        precondition(sessions > 0 && repeats > 0 && threads > 0, "LogBenchmark: sessions, repeats and threads must be positive")
        self.config = config
        self.environmentText = environmentText
        self.sessions = sessions
        self.repeats = repeats
        self.threads = threads
        self.scratchDirectory = scratchDirectory
    }

    public func run() throws -> LogBenchReport {
        let world = try World(config: config, seed: 1)
        let policy = try PolicySpec.parse("mixture", world: world)
        let ranker = OracleNoiseRanker(config: config)
        let simulation = Simulation(world: world, ranker: ranker, policy: policy, seed: 1)
        let directory = scratchDirectory.appendingPathComponent("mtfsim-bench-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var counter = 0
        func freshWriter() throws -> EpisodeLogWriter {
            counter += 1
            let writer = try EpisodeLogFile.create(path: directory.appendingPathComponent("bench\(counter).sqlite").path)
            try writer.beginRun(SimulationLog.metadata(name: "bench", world: world, environmentText: environmentText, seed: 1,
                                                       policy: policy, ranker: ranker, sessions: sessions, lanes: 64,
                                                       logCandidates: false))
            return writer
        }

        // (1) The writer alone.
        let collected = Mutex<[[LoggedSession]]>([])
        _ = simulation.run(.init(sessions: sessions, threads: threads, sessionSink: { batch in collected.withLock { $0.append(batch) } }))
        let batches = collected.withLock { $0 }
        let counts = LogBenchReport.Counts(batches)
        var writeRates: [Double] = [], writerCPU: [Double] = []
        var fileBytes = 0
        for _ in 0..<repeats {
            let writer = try freshWriter()
            let ((), seconds, cpuSeconds) = try BenchTiming.measureCPU(.thread) {
                for batch in batches { try writer.append(sessions: batch) }
                try writer.finishRun()
            }
            writerCPU.append(cpuSeconds)
            let path = writer.path
            try writer.close()
            fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            writeRates.append(Double(counts.impressions) / seconds)
        }

        // (2) The simulation without the log, with it on the writer thread, and with it written inline.
        var off: [Double] = [], on: [Double] = [], inline: [Double] = []
        var cpuOff: [Double] = [], cpuOn: [Double] = [], cpuInline: [Double] = []
        for _ in 0..<repeats {
            let (plain, plainSeconds, plainCPU) = BenchTiming.measureCPU(.process) {
                simulation.run(.init(sessions: sessions, threads: threads))
            }
            off.append(Double(plain.simulatedRequests) / plainSeconds)
            cpuOff.append(plainCPU)
            for writes in [SimulationLog.Writes.writerThread, .inline] {
                let writer = try freshWriter()
                let (logged, loggedSeconds, loggedCPU) = try BenchTiming.measureCPU(.process) {
                    try SimulationLog.run(simulation, options: .init(sessions: sessions, threads: threads), writer: writer,
                                          writes: writes)
                }
                try writer.finishRun()
                try writer.close()
                let rate = Double(logged.simulatedRequests) / loggedSeconds
                if writes == .inline {
                    inline.append(rate)
                    cpuInline.append(loggedCPU)
                } else {
                    on.append(rate)
                    cpuOn.append(loggedCPU)
                }
            }
        }
        return LogBenchReport(environment: config.name, counts: counts, fileBytes: fileBytes, writerImpressionsPerSecond: writeRates,
                              simulateRequestsPerSecondWithoutLog: off, simulateRequestsPerSecondWithLog: on,
                              simulateRequestsPerSecondWithInlineLog: inline, threads: threads, writerCPUSeconds: writerCPU,
                              simulateCPUSecondsWithoutLog: cpuOff, simulateCPUSecondsWithLog: cpuOn,
                              simulateCPUSecondsWithInlineLog: cpuInline)
    }
}

/// What `LogBenchmark` measured (`mtfsim bench log --json` prints this structure).
public struct LogBenchReport: Codable, Sendable {
    /// The rows of a set of logged sessions: one per session, per step (request) and per impression.
    public struct Counts: Equatable, Sendable {
        public var sessions: Int
        public var steps: Int
        public var impressions: Int

        public init(sessions: Int, steps: Int, impressions: Int) {
            self.sessions = sessions
            self.steps = steps
            self.impressions = impressions
        }

        public init(_ batches: [[LoggedSession]]) {
            self.init(sessions: batches.reduce(0) { $0 + $1.count },
                      steps: batches.reduce(0) { $0 + $1.reduce(0) { $0 + $1.requests } },
                      impressions: batches.reduce(0) { $0 + $1.reduce(0) { $0 + $1.impressions } })
        }

        /// Rows written per impression: (impressions + steps + sessions) / impressions.
        public var rowsPerImpression: Double { Double(impressions + steps + sessions) / Double(impressions) }
    }

    public var environment: String
    public var sessions: Int
    public var steps: Int
    public var impressions: Int
    public var fileBytes: Int
    public var writerImpressionsPerSecond: Double
    /// Session, step and impression rows per second.
    public var writerRowsPerSecond: Double
    public var simulateRequestsPerSecondWithoutLog: Double
    public var simulateRequestsPerSecondWithLog: Double
    /// With the log written on the simulation threads (`SimulationLog.Writes.inline`, `--no-log-writer-thread`).
    public var simulateRequestsPerSecondWithInlineLog: Double
    /// 1 − (requests/s with log) / (requests/s without): the share of simulation speed that logging costs.
    public var loggingOverhead: Double
    public var threads: Int
    /// CPU microseconds (user + system) the writing thread spends per impression written, steps and sessions
    /// included: the writer's cost in a unit that does not depend on what else runs on the machine.
    public var writerCPUMicrosecondsPerImpression: Double
    /// (process CPU seconds of `simulate` with the log) / (without) − 1: the CPU that logging adds to a simulation,
    /// wherever it runs (trace building in the simulation threads, the writer thread). It bounds sharding with
    /// writer threads: a logged `--threads 1` process runs at about the unlogged speed while its writer thread has
    /// a spare core, so two of them on two cores reach at most 2 / (1 + share) times one.
    public var loggingCPUShare: Double
    /// The same share with the log written inline: what logging costs a shard of one thread.
    public var inlineLoggingCPUShare: Double

    /// The report of the measured samples: each rate and CPU time is the median of its runs.
    public init(environment: String, counts: Counts, fileBytes: Int, writerImpressionsPerSecond: [Double],
                simulateRequestsPerSecondWithoutLog: [Double], simulateRequestsPerSecondWithLog: [Double],
                simulateRequestsPerSecondWithInlineLog: [Double], threads: Int, writerCPUSeconds: [Double],
                simulateCPUSecondsWithoutLog: [Double], simulateCPUSecondsWithLog: [Double],
                simulateCPUSecondsWithInlineLog: [Double]) {
        self.environment = environment
        sessions = counts.sessions
        steps = counts.steps
        impressions = counts.impressions
        self.fileBytes = fileBytes
        self.writerImpressionsPerSecond = BenchTiming.median(writerImpressionsPerSecond)
        writerRowsPerSecond = self.writerImpressionsPerSecond * counts.rowsPerImpression
        self.simulateRequestsPerSecondWithoutLog = BenchTiming.median(simulateRequestsPerSecondWithoutLog)
        self.simulateRequestsPerSecondWithLog = BenchTiming.median(simulateRequestsPerSecondWithLog)
        self.simulateRequestsPerSecondWithInlineLog = BenchTiming.median(simulateRequestsPerSecondWithInlineLog)
        loggingOverhead = 1 - self.simulateRequestsPerSecondWithLog / self.simulateRequestsPerSecondWithoutLog
        self.threads = threads
        writerCPUMicrosecondsPerImpression = 1e6 * BenchTiming.median(writerCPUSeconds) / Double(counts.impressions)
        let unloggedCPU = BenchTiming.median(simulateCPUSecondsWithoutLog)
        loggingCPUShare = BenchTiming.median(simulateCPUSecondsWithLog) / unloggedCPU - 1
        inlineLoggingCPUShare = BenchTiming.median(simulateCPUSecondsWithInlineLog) / unloggedCPU - 1
    }
}
