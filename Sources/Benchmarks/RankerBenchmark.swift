import Foundation
import NeuralNet
import Numerics
import Ranking
import Rollout
import Simulator

/// Training and scoring throughput of the reference MMoE, and the simulation's speed with a neural ranker scoring
/// every candidate (`mtfsim bench ranker`).
///
/// (a) The reference network (`MMoE.Configuration.reference`: input 128, 8 experts 128→256→128, one softmax gate
/// per task, towers 128→64→1, 7 binary tasks with BCE) at `batch` rows: a training step is forward, loss, backward
/// and Adam. (b) The environment under its baseline fixed weights with a neural ranker (the default simulation
/// ranker, or a trained checkpoint) on 1 thread and on all cores: requests/s, the share of thread time spent in the
/// ranker, the dense GFLOP/s the ranker reaches, and that rate over the 1-thread GEMM rate of the ranker's largest
/// layer shape measured in the same run.
public struct RankerBenchmark: Sendable {
    public var config: EnvironmentConfig
    /// A trained ranker checkpoint for part (b); nil: a fresh default simulation ranker.
    public var rankerPath: String?
    public var sessions: Int
    public var seconds: Double
    public var batch: Int
    public var threadCounts: [Int]

    public init(config: EnvironmentConfig, rankerPath: String? = nil, sessions: Int = 3_000, seconds: Double = 2,
                batch: Int = 1024, threadCounts: [Int] = SimulateBenchmark.oneAndAllCores) {
        precondition(sessions > 0 && seconds > 0 && batch > 0, "RankerBenchmark: sessions, seconds and batch must be positive")
        self.config = config
        self.rankerPath = rankerPath
        self.sessions = sessions
        self.seconds = seconds
        self.batch = batch
        self.threadCounts = threadCounts
    }

    public static let defaultRankerName = "default MMoE (4 experts 128→64, towers 32)"

    public func run() throws -> RankerBenchReport {
        var report = reference()
        report.simulation = try simulation()
        return report
    }

    /// Part (a); `simulation` is left empty.
    public func reference() -> RankerBenchReport {
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
        return RankerBenchReport(parameters: network.parameterCount, batch: batch, blasCore: BLASRuntime.coreName,
                                 blasThreads: BLASRuntime.threads, secondsPerTrainingStep: train, secondsPerScoring: score,
                                 simulation: nil)
    }

    /// Part (b).
    public func simulation() throws -> RankerBenchReport.Simulation {
        let world = try World(config: config, seed: 1)
        let model: AnyRanker
        let scorer: any Ranker
        if let rankerPath {
            model = try AnyRanker(contentsOf: URL(fileURLWithPath: rankerPath))
            scorer = try SimulationRanker.make(rankerPath, world: world)
        } else {
            model = RankerArchitecture.simulationDefault.makeRanker(world: world, seed: 1)
            scorer = try model.simulationRanker(world: world, name: "default MMoE")
        }
        let timed = TimedRanker(scorer)
        let policy = FixedPolicy(action: world.actionSpace.baseline, actionSpace: world.actionSpace)
        let flopsPerRequest = RankerBenchReport.Simulation.flopsPerRequest(
            flopsPerCandidate: model.simulationDenseFlopsPerExample(world: world), candidates: config.retrieval.candidates)
        let lanes = 64
        let gemm = Self.gemmRate(m: lanes * config.retrieval.candidates, k: model.layout.encodedDimension,
                                 n: model.largestLayerWidth, seconds: seconds)
        var rows: [RankerBenchReport.Simulation.Row] = []
        for threads in threadCounts {
            timed.reset()
            let (output, wall) = BenchTiming.measure {
                Simulation(world: world, ranker: timed, policy: policy, seed: 1)
                    .run(.init(sessions: sessions, threads: threads, lanes: lanes))
            }
            rows.append(.init(threads: threads, requests: output.simulatedRequests, wallSeconds: wall,
                              rankerSeconds: timed.seconds, flopsPerRequest: flopsPerRequest, gemmGFLOPS: gemm.gflops))
        }
        return .init(environment: config.name, ranker: rankerPath ?? Self.defaultRankerName,
                     candidates: config.retrieval.candidates, rankerParameters: model.parameterCount,
                     flopsPerRequest: flopsPerRequest, gemmShape: [gemm.m, gemm.k, gemm.n], gemmGFLOPS: gemm.gflops, rows: rows)
    }

    /// The 1-thread GEMM rate of shape (M, K, N), GFLOP/s.
    public static func gemmRate(m: Int, k: Int, n: Int, seconds: Double) -> NumericsBenchReport.GEMM {
        var stream = RandomStream(seed: 3)
        let a = Matrix(rows: m, columns: k) { _, _ in stream.normalFloat() }
        let b = Matrix(rows: k, columns: n) { _, _ in stream.normalFloat() }
        var c = Matrix(rows: m, columns: n)
        let time = BenchTiming.secondsPerOperation(seconds: seconds, blocks: 5) { Matrix.multiply(a, b, into: &c) }
        blackHole(c)
        return .init(m: m, k: k, n: n, secondsPerProduct: time)
    }
}

/// A ranker that measures the time spent in the ranker it wraps (summed over threads).
public final class TimedRanker: Ranker, @unchecked Sendable {
    public let wrapped: any Ranker
    private let lock = NSLock()
    private var nanoseconds: UInt64 = 0

    public init(_ wrapped: any Ranker) { self.wrapped = wrapped }

    public var name: String { wrapped.name }
    public var taskCount: Int { wrapped.taskCount }
    /// Seconds spent in `wrapped.predict` since the last `reset`, summed over threads.
    public var seconds: Double { lock.withLock { Double(nanoseconds) / 1e9 } }
    public func reset() { lock.withLock { nanoseconds = 0 } }

    public func predict(_ batch: CandidateBatch, streams: UnsafeMutablePointer<RandomStream>,
                        into predictions: UnsafeMutablePointer<Float>) {
        let start = DispatchTime.now().uptimeNanoseconds
        wrapped.predict(batch, streams: streams, into: predictions)
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        lock.withLock { nanoseconds += elapsed }
    }
}

/// What `RankerBenchmark` measured (`mtfsim bench ranker --json` prints this structure).
public struct RankerBenchReport: Codable, Sendable {
    public var parameters: Int
    public var batch: Int
    public var blasCore: String
    public var blasThreads: Int
    public var trainingSamplesPerSecond: Double
    public var scoringSamplesPerSecond: Double
    public var trainingStepMilliseconds: Double
    public var scoringMilliseconds: Double
    public var simulation: Simulation?

    /// Rates of a batch of `batch` rows: samples/s = batch / seconds per call.
    public init(parameters: Int, batch: Int, blasCore: String, blasThreads: Int, secondsPerTrainingStep: Double,
                secondsPerScoring: Double, simulation: Simulation?) {
        self.parameters = parameters
        self.batch = batch
        self.blasCore = blasCore
        self.blasThreads = blasThreads
        trainingSamplesPerSecond = Double(batch) / secondsPerTrainingStep
        scoringSamplesPerSecond = Double(batch) / secondsPerScoring
        trainingStepMilliseconds = secondsPerTrainingStep * 1000
        scoringMilliseconds = secondsPerScoring * 1000
        self.simulation = simulation
    }

    public struct Simulation: Codable, Sendable {
        public struct Row: Codable, Sendable {
            public var threads: Int
            public var requestsPerSecond: Double
            /// Share of the threads' wall time spent inside the ranker.
            public var rankerTimeShare: Double
            /// Dense-layer FLOPs per second of ranker time.
            public var rankerGFLOPSPerThread: Double
            public var fractionOfGEMMRate: Double

            /// `requests` in `wallSeconds` on `threads` threads, of which `rankerSeconds` (summed over threads) in
            /// the ranker: requests/s = requests / wall; ranker share = ranker seconds / (wall × threads);
            /// GFLOP/s per thread = FLOPs per request × requests / ranker seconds / 10⁹; fraction = that / GEMM rate.
            public init(threads: Int, requests: Int, wallSeconds: Double, rankerSeconds: Double, flopsPerRequest: Int,
                        gemmGFLOPS: Double) {
                self.threads = threads
                requestsPerSecond = Double(requests) / wallSeconds
                rankerTimeShare = rankerSeconds / (wallSeconds * Double(threads))
                rankerGFLOPSPerThread = Double(flopsPerRequest) * Double(requests) / rankerSeconds / 1e9
                fractionOfGEMMRate = rankerGFLOPSPerThread / gemmGFLOPS
            }
        }

        public var environment: String
        public var ranker: String
        public var candidates: Int
        public var rankerParameters: Int
        /// Dense-layer FLOPs the ranker computes per request (K candidates).
        public var flopsPerRequest: Int
        public var gemmShape: [Int]
        public var gemmGFLOPS: Double
        public var rows: [Row]

        /// Every request scores all K candidates: FLOPs per candidate × K.
        public static func flopsPerRequest(flopsPerCandidate: Int, candidates: Int) -> Int { flopsPerCandidate * candidates }
    }
}
