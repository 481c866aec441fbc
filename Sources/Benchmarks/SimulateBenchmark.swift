import Foundation
import Numerics
import Rollout
import Simulator

/// Session-simulator throughput with the oracle-noise ranker under the environment's baseline fixed weights, at
/// several thread counts (`mtfsim bench simulate`). World generation is excluded; each figure is the median of
/// `repeats` runs. Requests counted include whole blocks of episodes simulated past the requested sessions (real
/// work, then discarded).
public struct SimulateBenchmark: Sendable {
    public var config: EnvironmentConfig
    public var sessions: Int
    public var repeats: Int
    public var threadCounts: [Int]

    /// `threadCounts` defaults to 1 and all cores.
    public init(config: EnvironmentConfig, sessions: Int = 20_000, repeats: Int = 3, threadCounts: [Int]? = nil) {
        precondition(sessions > 0 && repeats > 0, "SimulateBenchmark: sessions and repeats must be positive")
        self.config = config
        self.sessions = sessions
        self.repeats = repeats
        self.threadCounts = threadCounts ?? SimulateBenchmark.oneAndAllCores
        precondition(self.threadCounts.allSatisfy { $0 > 0 }, "SimulateBenchmark: thread counts must be positive")
    }

    /// 1 and the number of active cores (once if they are equal).
    public static var oneAndAllCores: [Int] { Array(Set([1, ProcessInfo.processInfo.activeProcessorCount])).sorted() }

    public func run() throws -> SimulateBenchReport {
        let world = try World(config: config, seed: 1)
        let policy = FixedPolicy(action: world.actionSpace.baseline, actionSpace: world.actionSpace)
        let ranker = OracleNoiseRanker(config: config)
        var rows: [SimulateBenchReport.Row] = []
        for count in threadCounts {
            var rates: [Double] = []
            var requests = 0
            for _ in 0..<repeats {
                let (output, seconds) = BenchTiming.measure {
                    Simulation(world: world, ranker: ranker, policy: policy, seed: 1).run(.init(sessions: sessions, threads: count))
                }
                requests = output.simulatedRequests
                rates.append(Double(requests) / seconds)
            }
            rows.append(.init(threads: count, requests: requests, requestsPerSecondSamples: rates, slateSize: config.slate.size))
        }
        return SimulateBenchReport(environment: config.name, candidates: config.retrieval.candidates,
                                   slateSize: config.slate.size, tasks: config.tasks.count,
                                   cores: ProcessInfo.processInfo.activeProcessorCount, rows: rows)
    }
}

/// What `SimulateBenchmark` measured (`mtfsim bench simulate --json` prints this structure).
public struct SimulateBenchReport: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var threads: Int
        /// Requests simulated by one run.
        public var requests: Int
        public var requestsPerSecond: Double
        public var impressionsPerSecond: Double

        /// The median of the runs' requests/s; every request shows a full slate, so impressions/s is
        /// requests/s × slate size.
        public init(threads: Int, requests: Int, requestsPerSecondSamples: [Double], slateSize: Int) {
            self.threads = threads
            self.requests = requests
            requestsPerSecond = BenchTiming.median(requestsPerSecondSamples)
            impressionsPerSecond = requestsPerSecond * Double(slateSize)
        }
    }

    public var environment: String
    public var candidates: Int
    public var slateSize: Int
    public var tasks: Int
    public var cores: Int
    public var rows: [Row]

    public init(environment: String, candidates: Int, slateSize: Int, tasks: Int, cores: Int, rows: [Row]) {
        self.environment = environment
        self.candidates = candidates
        self.slateSize = slateSize
        self.tasks = tasks
        self.cores = cores
        self.rows = rows
    }

    /// Each row's requests/s over the first row's.
    public var speedUps: [Double] {
        let base = rows.first?.requestsPerSecond ?? 1
        return rows.map { $0.requestsPerSecond / base }
    }
}
