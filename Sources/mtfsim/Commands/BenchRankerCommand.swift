import ArgumentParser
import Benchmarks
import Simulator

/// `mtfsim bench ranker`: training and scoring throughput of the reference MMoE, and simulate's speed with a
/// neural ranker scoring every candidate (`RankerBenchmark`).
struct BenchRankerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ranker",
        abstract: "Reference MMoE samples/s (training, scoring) and simulate's requests/s with a neural ranker.",
        discussion: """
        (a) The reference network: input 128, 8 experts 128→256→128 (ReLU), one softmax gate per task (128→8), \
        towers 128→64→1, 7 binary tasks with BCE, batch 1024 (the same network in PyTorch on this CPU: roughly \
        5–10k training and 15–37k scoring samples/s). BLAS threads follow OPENBLAS_NUM_THREADS (default 1).

        (b) `simulate` on the environment (default short-video, K = 200) with the default simulation ranker \
        (MMoE, input 128, 4 experts 128→64, one gate per task, towers 64→32→1; or --ranker FILE), scoring the \
        candidates of all requests of a batch of sessions in one call. Reports requests/s on 1 thread and on all \
        cores, the ranker's dense FLOPs per request (those computed: an MMoE ranker skips the heads the simulator \
        does not read, such as the watch-time regression), the GFLOP/s it reaches while scoring, and that rate as a \
        fraction of this machine's 1-thread GEMM rate on the ranker's largest layer shape, measured in the same run.
        """
    )

    @Option(help: ArgumentHelp("Environment for part (b).", valueName: "file"))
    var env = "environments/short-video.yaml"

    @Option(help: ArgumentHelp("Trained ranker for part (b) (default: a fresh default simulation ranker).", valueName: "file"))
    var ranker: String?

    @Option(help: ArgumentHelp("Sessions per simulate run in part (b).", valueName: "count"))
    var sessions = 3_000

    @Option(help: "Seconds of timing per measurement (after a warm-up).")
    var seconds: Double = 2

    @Option(help: "Mini-batch size.")
    var batch = 1024

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard seconds > 0, batch > 0, sessions > 0 else { throw ValidationError("--seconds, --batch and --sessions must be positive") }
    }

    func run() throws {
        let (config, _) = try EnvironmentLoader.resolve(env)
        let report = try RankerBenchmark(config: config, rankerPath: ranker, sessions: sessions, seconds: seconds, batch: batch).run()
        if json {
            print(try JSONOutput.encode(report))
            return
        }
        print("reference MMoE: \(report.parameters) parameters, batch \(batch), OpenBLAS \(report.blasCore) × \(report.blasThreads) thread(s)")
        print(String(format: "training: %.0f samples/s (%.1f ms per step: forward + backward + Adam)", report.trainingSamplesPerSecond, report.trainingStepMilliseconds))
        print(String(format: "scoring:  %.0f samples/s (%.1f ms per batch)", report.scoringSamplesPerSecond, report.scoringMilliseconds))
        guard let b = report.simulation else { return }
        print("")
        print("simulate with \(b.ranker) on \(b.environment): K = \(b.candidates), \(b.rankerParameters) parameters, "
              + String(format: "%.1f MFLOP per request (dense layers computed)", Double(b.flopsPerRequest) / 1e6))
        print(String(format: "GEMM reference (%d×%d×%d, 1 thread): %.1f GFLOP/s", b.gemmShape[0], b.gemmShape[1],
                     b.gemmShape[2], b.gemmGFLOPS))
        print("threads   requests/s   ranker share   ranker GFLOP/s per thread   of GEMM rate")
        for row in b.rows {
            print(String(format: "%7d %12.0f %13.0f%% %27.1f %13.0f%%", row.threads, row.requestsPerSecond,
                         100 * row.rankerTimeShare, row.rankerGFLOPSPerThread, 100 * row.fractionOfGEMMRate))
        }
    }
}
