import Agents
import EpisodeLog
import Foundation
import Numerics
import Rollout
import Simulator

/// The speed and memory of offline (batch) RL (`mtfsim bench offline`):
/// (1) resident memory of an `OfflineDataset` of `memoryTransitions` synthetic transitions, against the
///     `transitions × (2·state + action + 3)` floats it should take (measured first, before anything else grows the
///     process);
/// (2) the dataset load rate from SQLite: a log of `sessions` sessions of the `mixture` policy is written into a
///     fresh folder of `scratchDirectory` (`SimulationRun`, as `simulate` writes it) and loaded `repeats` times
///     (`OfflineDataset.load`, counting included), median;
/// (3) gradient steps per second at `batchSize` of every learner in `learners`, on each BLAS thread count in
///     `blasThreads`, trained on the transitions just loaded.
public struct OfflineBenchmark: Sendable {
    /// How to build one offline learner on a dataset with a given mini-batch size and seed.
    public struct LearnerEntry: Sendable {
        public var name: String
        public var make: @Sendable (_ dataset: OfflineDataset, _ batchSize: Int, _ seed: UInt64) throws -> any OfflineLearner

        public init(name: String,
                    make: @escaping @Sendable (OfflineDataset, Int, UInt64) throws -> any OfflineLearner) {
            self.name = name
            self.make = make
        }

        /// The learner `L` with `configuration` (its mini-batch size replaced by the benchmark's).
        public static func learner<L: OfflineLearner>(_ type: L.Type, configuration: L.Configuration) -> LearnerEntry {
            LearnerEntry(name: L.name) { dataset, batchSize, seed in
                var c = configuration
                c.actorCritic.batchSize = batchSize
                return try L(dataset: dataset, configuration: c, seed: seed)
            }
        }
    }

    /// The offline learners `bench offline` times (every `OfflineAgentKind`), with their default hyper-parameters.
    public static let offlineLearners: [LearnerEntry] = [
        .learner(BehaviourCloning.self, configuration: BehaviourCloningConfiguration()),
        .learner(BCQ.self, configuration: BCQConfiguration()),
        .learner(TD3PlusBC.self, configuration: TD3PlusBCConfiguration()),
        .learner(ImplicitQLearning.self, configuration: IQLConfiguration()),
        .learner(ConservativeQLearning.self, configuration: CQLConfiguration()),
        .learner(OfflineTD3.self, configuration: TD3Configuration()),
    ]

    public var config: EnvironmentConfig
    /// The environment file's text, recorded in the log as `simulate` does.
    public var environmentText: String
    /// Sessions in the log whose load is timed (and whose transitions the learners train on).
    public var sessions: Int
    /// Loads timed (the median is reported).
    public var repeats: Int
    /// Transitions in the synthetic dataset whose memory is measured (0: skip).
    public var memoryTransitions: Int
    public var batchSize: Int
    /// Seconds of timing per learner and thread count (after a warm-up).
    public var seconds: Double
    public var blasThreads: [Int]
    /// Simulation threads for writing the log.
    public var threads: Int
    public var learners: [LearnerEntry]
    public var scratchDirectory: URL

    public init(config: EnvironmentConfig, environmentText: String, sessions: Int = 2_000, repeats: Int = 3,
                memoryTransitions: Int = 1_000_000, batchSize: Int = 256, seconds: Double = 2,
                blasThreads: [Int] = [1, 2], threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                learners: [LearnerEntry] = OfflineBenchmark.offlineLearners,
                scratchDirectory: URL = FileManager.default.temporaryDirectory) {
        precondition(sessions > 0 && repeats > 0 && memoryTransitions >= 0 && batchSize > 0 && seconds > 0
                     && threads > 0 && blasThreads.allSatisfy { $0 > 0 },
                     "OfflineBenchmark: sizes, seconds and thread counts must be positive")
        self.config = config
        self.environmentText = environmentText
        self.sessions = sessions
        self.repeats = repeats
        self.memoryTransitions = memoryTransitions
        self.batchSize = batchSize
        self.seconds = seconds
        self.blasThreads = blasThreads
        self.threads = threads
        self.learners = learners
        self.scratchDirectory = scratchDirectory
    }

    public func run() throws -> OfflineBenchReport {
        let world = try World(config: config, seed: 1)
        let environment = AgentEnvironment(world: world)
        let memory = memoryTransitions > 0 ? measureMemory(environment: environment) : nil

        let directory = scratchDirectory.appendingPathComponent("mtfsim-bench-offline-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("offline.sqlite").path
        let run = SimulationRun(world: world, environmentText: environmentText,
                                policy: try PolicySpec.parse("mixture", world: world), ranker: OracleNoiseRanker(config: config),
                                seed: 1, sessions: sessions, threads: threads)
        _ = try run.run(log: path)
        let logBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

        var dataset: OfflineDataset?
        var loadSeconds: [Double] = []
        for _ in 0..<repeats {
            let (loaded, seconds) = try BenchTiming.measure { try OfflineDataset.load(logs: [path]) }
            dataset = loaded
            loadSeconds.append(seconds)
        }
        let data = dataset!
        let load = OfflineBenchReport.Load(sessions: sessions, transitions: data.count, logBytes: logBytes,
                                           seconds: BenchTiming.median(loadSeconds))

        let speeds = try learnerSpeeds(dataset: data)
        return OfflineBenchReport(environment: config.name, stateDimension: environment.stateDimension,
                                  actionDimension: environment.actionDimension, blasCore: BLASRuntime.coreName,
                                  memory: memory, load: load, learners: speeds)
    }

    /// Gradient steps per second of every learner on every thread count (the BLAS thread count is restored after).
    public func learnerSpeeds(dataset: OfflineDataset) throws -> [OfflineBenchReport.LearnerSpeed] {
        let previous = BLASRuntime.threads
        defer { BLASRuntime.setThreads(previous) }
        var speeds: [OfflineBenchReport.LearnerSpeed] = []
        for count in blasThreads {
            BLASRuntime.setThreads(count)
            for entry in learners {
                var learner = try entry.make(dataset, batchSize, 1)
                var stream = RandomStream(seed: 2, keys: UInt64(count))
                let time = BenchTiming.secondsPerOperation(seconds: seconds, blocks: 5, warmup: 0.2) {
                    blackHole(learner.update(steps: 1, stream: &stream))
                }
                speeds.append(.init(learner: entry.name, blasThreads: count, batchSize: batchSize, stepsPerSecond: 1 / time))
            }
        }
        return speeds
    }

    /// Resident memory taken by a dataset of `memoryTransitions` synthetic transitions in `environment`'s layout,
    /// filled in blocks as a load fills it.
    public func measureMemory(environment: AgentEnvironment) -> OfflineBenchReport.Memory {
        let (s, a) = (environment.stateDimension, environment.actionDimension)
        let block = 10_000
        var stream = RandomStream(seed: 3)
        let states = Matrix(rows: block, columns: s) { _, _ in stream.normalFloat() }
        let actions = Matrix(rows: block, columns: a) { _, _ in Float(2 * stream.nextUniform() - 1) }
        let rewards = (0..<block).map { _ in stream.normalFloat() }
        let terminals = (0..<block).map { _ in stream.nextUniform() < 0.01 }
        let hours = (0..<block).map { _ in Float(stream.nextUniform()) }
        let before = ResidentMemory.sample()
        var dataset = OfflineDataset(environment: environment, capacity: memoryTransitions)
        var left = memoryTransitions
        while left > 0 {
            let n = min(block, left)
            let batch = n == block
                ? TransitionBatch(states: states, actions: actions, rewards: rewards, nextStates: states,
                                  terminals: terminals, elapsedHours: hours)
                : TransitionBatch(states: states.rows(0..<n), actions: actions.rows(0..<n), rewards: Array(rewards[..<n]),
                                  nextStates: states.rows(0..<n), terminals: Array(terminals[..<n]),
                                  elapsedHours: Array(hours[..<n]))
            dataset.append(batch)
            left -= n
        }
        let after = ResidentMemory.sample()
        blackHole(dataset)
        return .init(transitions: memoryTransitions, stateDimension: s, actionDimension: a,
                     expectedBytes: OfflineBenchReport.Memory.expectedBytes(transitions: memoryTransitions,
                                                                            stateDimension: s, actionDimension: a),
                     residentGrowthBytes: after.current - before.current, peakResidentGrowthBytes: after.peak - before.peak)
    }
}

/// The process's resident set size now and at its peak, in bytes (`/proc/self/status` on Linux: `VmRSS`, `VmHWM`;
/// elsewhere `getrusage`, whose peak is also reported as current).
enum ResidentMemory {
    /// Resets the peak (`VmHWM`) to the current resident set, where the kernel allows it (Linux ≥ 4.0).
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static func sample() -> (current: Int, peak: Int) {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            func kilobytes(_ key: String) -> Int? {
                guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
                return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            }
            if let current = kilobytes("VmRSS"), let peak = kilobytes("VmHWM") { return (current * 1024, peak * 1024) }
        }
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peak = Int(usage.ru_maxrss) * 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        let peak = Int(usage.ru_maxrss)
        #endif
        return (peak, peak)
    }
}

/// What `OfflineBenchmark` measured (`mtfsim bench offline --json` prints this structure).
public struct OfflineBenchReport: Codable, Sendable {
    public struct Memory: Codable, Sendable {
        public var transitions: Int
        public var stateDimension: Int
        public var actionDimension: Int
        /// `transitions × (2·state + action + 3) × 4` bytes: states, next states, actions, reward, terminal flag and
        /// elapsed hours, as Float32.
        public var expectedBytes: Int
        /// Growth of the resident set while the dataset was built.
        public var residentGrowthBytes: Int
        /// Growth of the peak resident set while the dataset was built.
        public var peakResidentGrowthBytes: Int

        public static func expectedBytes(transitions: Int, stateDimension: Int, actionDimension: Int) -> Int {
            transitions * (2 * stateDimension + actionDimension + 3) * MemoryLayout<Float>.size
        }
    }

    public struct Load: Codable, Sendable {
        public var sessions: Int
        public var transitions: Int
        /// The log file's size.
        public var logBytes: Int
        /// Median seconds of a load (open, count, stream, normalise, statistics).
        public var seconds: Double
        public var transitionsPerSecond: Double

        public init(sessions: Int, transitions: Int, logBytes: Int, seconds: Double) {
            self.sessions = sessions
            self.transitions = transitions
            self.logBytes = logBytes
            self.seconds = seconds
            transitionsPerSecond = Double(transitions) / seconds
        }
    }

    public struct LearnerSpeed: Codable, Sendable {
        public var learner: String
        public var blasThreads: Int
        public var batchSize: Int
        public var stepsPerSecond: Double
    }

    public var environment: String
    public var stateDimension: Int
    public var actionDimension: Int
    public var blasCore: String
    /// `nil` when not measured.
    public var memory: Memory?
    public var load: Load
    public var learners: [LearnerSpeed]
}
