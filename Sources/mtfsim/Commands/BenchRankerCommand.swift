import ArgumentParser
import Foundation
import NeuralNet
import Numerics
import Ranking
import Rollout
import Simulator

/// `mtfsim bench ranker`: training and scoring throughput of the reference MMoE, and simulate's speed with a
/// neural ranker scoring every candidate.
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
        var stream = RandomStream(seed: 5)
        let configuration = MMoE.Configuration.reference
        var network = MMoE(configuration: configuration, stream: &stream)
        let tasks = (0..<configuration.taskCount).map { TaskSpec(name: "task\($0)") }
        var loss = MultiTaskLoss(tasks: tasks)
        var adam = Adam(learningRate: 1e-3)
        let input = Matrix(rows: batch, columns: configuration.inputSize) { _, _ in stream.normalFloat() }
        let targets = Matrix(rows: batch, columns: configuration.taskCount) { _, _ in stream.nextUniform() < 0.3 ? 1 : 0 }
        var logits = Matrix(rows: 0, columns: 0), gradient = Matrix(rows: 0, columns: 0)
        let train = BenchTiming.secondsPerOperation(seconds: seconds, blocks: 5, warmup: 0.3) {
            network.zeroGradients()
            network.forward(input, into: &logits)
            _ = loss.evaluate(outputs: logits, targets: targets, gradient: &gradient)
            network.backward(gradient, computeInputGradient: false)
            adam.step(&network)
        }
        let score = BenchTiming.secondsPerOperation(seconds: seconds, blocks: 5, warmup: 0.3) {
            network.forward(input, into: &logits)
        }
        blackHole(logits)
        let simulation = try benchSimulation()
        let report = RankerBenchReport(parameters: network.parameterCount, batch: batch, blasCore: BLASRuntime.coreName,
                                       blasThreads: BLASRuntime.threads,
                                       trainingSamplesPerSecond: Double(batch) / train, scoringSamplesPerSecond: Double(batch) / score,
                                       trainingStepMilliseconds: train * 1000, scoringMilliseconds: score * 1000,
                                       simulation: simulation)
        if json {
            print(try JSONOutput.encode(report))
        } else {
            print("reference MMoE: \(report.parameters) parameters, batch \(batch), OpenBLAS \(report.blasCore) × \(report.blasThreads) thread(s)")
            print(String(format: "training: %.0f samples/s (%.1f ms per step: forward + backward + Adam)", report.trainingSamplesPerSecond, report.trainingStepMilliseconds))
            print(String(format: "scoring:  %.0f samples/s (%.1f ms per batch)", report.scoringSamplesPerSecond, report.scoringMilliseconds))
            let b = simulation
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

    /// Part (b): simulate with a neural ranker on 1 thread and on all cores.
    func benchSimulation() throws -> RankerBenchReport.Simulation {
        let (config, _) = try EnvironmentLoader.resolve(env)
        let world = try World(config: config, seed: 1)
        let model: AnyRanker
        if let ranker {
            model = try AnyRanker(contentsOf: URL(fileURLWithPath: ranker))
        } else {
            model = RankerArchitecture.simulationDefault.makeRanker(world: world, seed: 1)
        }
        let scorer: any Ranker = try ranker.map { try SimulationRanker.make($0, world: world) }
            ?? model.simulationRanker(world: world, name: "default MMoE")
        let timed = TimedRanker(scorer)
        let policy = FixedPolicy(action: world.actionSpace.baseline, actionSpace: world.actionSpace)
        let flopsPerRequest = model.simulationDenseFlopsPerExample(world: world) * config.retrieval.candidates
        let lanes = 64
        let gemm = Self.gemmRate(m: lanes * config.retrieval.candidates, k: model.layout.encodedDimension,
                                 n: model.largestLayerWidth, seconds: seconds)
        var rows: [RankerBenchReport.Simulation.Row] = []
        let cores = ProcessInfo.processInfo.activeProcessorCount
        for threads in Array(Set([1, cores])).sorted() {
            timed.reset()
            let clock = ContinuousClock()
            let start = clock.now
            let output = Simulation(world: world, ranker: timed, policy: policy, seed: 1)
                .run(.init(sessions: sessions, threads: threads, lanes: lanes))
            let wall = (clock.now - start).seconds
            let requests = Double(output.simulatedRequests)
            let rankerSeconds = timed.seconds
            let perThread = Double(flopsPerRequest) * requests / rankerSeconds / 1e9
            rows.append(.init(threads: threads, requestsPerSecond: requests / wall,
                              rankerTimeShare: rankerSeconds / (wall * Double(threads)),
                              rankerGFLOPSPerThread: perThread, fractionOfGEMMRate: perThread / gemm.gflops))
        }
        return .init(environment: config.name, ranker: ranker ?? "default MMoE (4 experts 128→64, towers 32)",
                     candidates: config.retrieval.candidates, rankerParameters: model.parameterCount,
                     flopsPerRequest: flopsPerRequest, gemmShape: [gemm.m, gemm.k, gemm.n], gemmGFLOPS: gemm.gflops, rows: rows)
    }

    static func gemmRate(m: Int, k: Int, n: Int, seconds: Double) -> (m: Int, k: Int, n: Int, gflops: Double) {
        var stream = RandomStream(seed: 3)
        let a = Matrix(rows: m, columns: k) { _, _ in stream.normalFloat() }
        let b = Matrix(rows: k, columns: n) { _, _ in stream.normalFloat() }
        var c = Matrix(rows: m, columns: n)
        let time = BenchTiming.secondsPerOperation(seconds: seconds, blocks: 5) { Matrix.multiply(a, b, into: &c) }
        blackHole(c)
        return (m, k, n, 2 * Double(m * n * k) / time / 1e9)
    }
}

/// A ranker that measures the time spent in the ranker it wraps (summed over threads).
final class TimedRanker: Ranker, @unchecked Sendable {
    let wrapped: any Ranker
    private let lock = NSLock()
    private var nanoseconds: UInt64 = 0

    init(_ wrapped: any Ranker) { self.wrapped = wrapped }

    var name: String { wrapped.name }
    var taskCount: Int { wrapped.taskCount }
    var seconds: Double { lock.withLock { Double(nanoseconds) / 1e9 } }
    func reset() { lock.withLock { nanoseconds = 0 } }

    func predict(_ batch: CandidateBatch, streams: UnsafeMutablePointer<RandomStream>, into predictions: UnsafeMutablePointer<Float>) {
        let start = DispatchTime.now().uptimeNanoseconds
        wrapped.predict(batch, streams: streams, into: predictions)
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        lock.withLock { nanoseconds += elapsed }
    }
}

struct RankerBenchReport: Encodable {
    var parameters: Int
    var batch: Int
    var blasCore: String
    var blasThreads: Int
    var trainingSamplesPerSecond: Double
    var scoringSamplesPerSecond: Double
    var trainingStepMilliseconds: Double
    var scoringMilliseconds: Double
    var simulation: Simulation

    struct Simulation: Encodable {
        struct Row: Encodable {
            var threads: Int
            var requestsPerSecond: Double
            /// Share of the threads' wall time spent inside the ranker.
            var rankerTimeShare: Double
            /// Dense-layer FLOPs per second of ranker time.
            var rankerGFLOPSPerThread: Double
            var fractionOfGEMMRate: Double
        }
        var environment: String
        var ranker: String
        var candidates: Int
        var rankerParameters: Int
        /// Dense-layer FLOPs the ranker computes per request (K candidates).
        var flopsPerRequest: Int
        var gemmShape: [Int]
        var gemmGFLOPS: Double
        var rows: [Row]
    }
}
