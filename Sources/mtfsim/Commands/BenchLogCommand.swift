import ArgumentParser
import Benchmarks
import Foundation
import Simulator

/// `mtfsim bench log`: episode-log write throughput, and what logging costs a simulation (`LogBenchmark`).
struct BenchLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Impressions/s written by the episode-log writer, and simulate's requests/s with logging on vs off.",
        discussion: """
        (1) Simulates the sessions once with tracing, keeps the traces in memory, then times the real writer \
        appending them (one transaction per block of sessions, as `simulate` does) into a new file. \
        (2) Times `simulate` without the log, with it (writer thread and hand-off queue included) and with it written \
        on the simulation threads (--no-log-writer-thread), median of --repeats runs each. The log files go to a temporary directory and are removed.

        Besides wall-clock rates it reports CPU time, which does not grow when other work shares the machine: the         writer's CPU microseconds per impression, and the share of CPU that logging adds to a simulation (trace         building, hand-off and the writer thread). With --threads 1 that share bounds sharding: two logged         processes on two cores reach at most 2 / (1 + share) times the requests/s of one.
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
        let report = try LogBenchmark(config: config, environmentText: text, sessions: sessions, repeats: repeats,
                                      threads: threads).run()
        if json {
            print(try JSONOutput.encode(report))
            return
        }
        print("\(config.name): \(report.sessions) sessions, \(report.steps) steps, \(report.impressions) impressions, log file \(report.fileBytes / 1_000_000) MB")
        print(String(format: "writer:   %.0f impressions/s (%.0f rows/s incl. steps and sessions); %.2f CPU µs per impression",
                     report.writerImpressionsPerSecond, report.writerRowsPerSecond, report.writerCPUMicrosecondsPerImpression))
        print(String(format: "simulate: %.0f requests/s without log, %.0f with log, %.0f with it written inline (%d threads): logging costs %.1f%% / %.1f%%",
                     report.simulateRequestsPerSecondWithoutLog, report.simulateRequestsPerSecondWithLog,
                     report.simulateRequestsPerSecondWithInlineLog, threads, 100 * report.loggingOverhead,
                     100 * (1 - report.simulateRequestsPerSecondWithInlineLog / report.simulateRequestsPerSecondWithoutLog)))
        var cpu = String(format: "CPU:      logging adds %.1f%% to the simulation's CPU time (%.1f%% written inline)",
                         100 * report.loggingCPUShare, 100 * report.inlineLoggingCPUShare)
        if threads == 1 {
            cpu += String(format: "; two processes with writer threads on two cores: at most %.2f× one", 2 / (1 + report.loggingCPUShare))
        }
        print(cpu)
    }
}
