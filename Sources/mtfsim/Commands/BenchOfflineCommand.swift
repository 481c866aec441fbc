import ArgumentParser
import Benchmarks
import Foundation
import Simulator

/// `mtfsim bench offline`: an offline dataset's memory, its load rate from SQLite, and the gradient steps per second
/// of every offline learner on 1 and 2 BLAS threads (`OfflineBenchmark`).
struct BenchOfflineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offline",
        abstract: "Offline RL: dataset memory and load rate (transitions/s), learners' gradient steps/s by BLAS threads.",
        discussion: """
        (1) Resident memory of a synthetic dataset of --memory-transitions transitions against the \
        transitions × (2·state + action + 3) floats it should take. (2) A log of --sessions sessions of the mixture \
        policy is written to a temporary directory (removed at the end) and loaded --repeats times: transitions/s, \
        median, counting included. (3) Gradient steps/s at --batch of every offline learner, trained on those \
        transitions, on each --blas-threads count.
        """
    )

    @Option(help: ArgumentHelp("Environment file or preset.", valueName: "file"))
    var env = "environments/short-video.yaml"

    @Option(help: ArgumentHelp("Sessions in the log that is loaded.", valueName: "count"))
    var sessions = 2_000

    @Option(help: "Loads timed (the median is reported).")
    var repeats = 3

    @Option(help: ArgumentHelp("Transitions of the synthetic dataset whose memory is measured (0: skip).", valueName: "count"))
    var memoryTransitions = 1_000_000

    @Option(help: "Mini-batch size of the learners.")
    var batch = 256

    @Option(help: "Seconds of timing per learner and thread count (after a warm-up).")
    var seconds: Double = 2

    @Option(help: ArgumentHelp("BLAS thread counts, comma-separated.", valueName: "list"))
    var blasThreads = "1,2"

    @Option(help: ArgumentHelp("Simulation threads writing the log.", valueName: "count"))
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard sessions > 0, repeats > 0, memoryTransitions >= 0, batch > 0, seconds > 0, seconds.isFinite, threads > 0
        else { throw ValidationError("--sessions, --repeats, --batch, --seconds and --threads must be positive") }
        guard let counts = parsedBlasThreads, !counts.isEmpty, counts.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--blas-threads takes positive counts separated by commas, got \"\(blasThreads)\"")
        }
    }

    private var parsedBlasThreads: [Int]? {
        let parts = blasThreads.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return parts.contains(nil) ? nil : parts.compactMap { $0 }
    }

    func run() throws {
        let (config, text) = try EnvironmentLoader.resolve(env)
        let report = try OfflineBenchmark(config: config, environmentText: text, sessions: sessions, repeats: repeats,
                                          memoryTransitions: memoryTransitions, batchSize: batch, seconds: seconds,
                                          blasThreads: parsedBlasThreads ?? [1], threads: threads).run()
        if json {
            print(try JSONOutput.encode(report))
            return
        }
        print("\(report.environment): \(report.stateDimension) state features, \(report.actionDimension) action dimensions, OpenBLAS core \(report.blasCore)")
        if let m = report.memory {
            print(String(format: "memory:  %d transitions: expected %.1f MB (2·%d + %d + 3 floats each), resident +%.1f MB, peak +%.1f MB",
                         m.transitions, Double(m.expectedBytes) / 1e6, m.stateDimension, m.actionDimension,
                         Double(m.residentGrowthBytes) / 1e6, Double(m.peakResidentGrowthBytes) / 1e6))
        }
        let l = report.load
        print(String(format: "load:    %d transitions of %d sessions (log %.1f MB) in %.3f s: %.0f transitions/s",
                     l.transitions, l.sessions, Double(l.logBytes) / 1e6, l.seconds, l.transitionsPerSecond))
        for s in report.learners {
            let name = s.learner.padding(toLength: max(6, s.learner.count), withPad: " ", startingAt: 0)
            print("learner: \(name) batch \(s.batchSize), \(s.blasThreads) BLAS thread\(s.blasThreads == 1 ? "" : "s"): "
                  + String(format: "%.1f gradient steps/s", s.stepsPerSecond))
        }
    }
}
