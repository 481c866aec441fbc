import Agents
import EpisodeLog
import Evaluation
import Foundation
import Numerics
import Rollout
import Simulator

/// The speed of off-policy evaluation from an episode log (`mtfsim bench evaluate`), phase by phase, as
/// `OffPolicyEvaluation.run` does it for the per-request estimand (issue 14's goal: the per-request estimators over
/// 10⁶ logged steps, reading them from SQLite included, in under 5 s):
///
/// 1. reading the run from SQLite (`EpisodeLogDecisions.load`: steps, episodes, behaviour densities, user pool);
/// 2. rebuilding the logged world and resolving the targets (`TargetPolicy.resolve`);
/// 3. per target, its log-densities on the logged steps and the importance weights (`TargetPolicy.logDensities`,
///    `EvaluationInput`; a deterministic target's through Scott's-rule kernel, `KernelSmoothing`);
/// 4. the cross-fitted reward model's fit and q̂ at the logged actions (`CrossFittedRewardModel`), and per target v̂
///    from its action moments (`TargetPolicy.actionMoments`);
/// 5. per target, every per-request estimator with its t-interval.
///
/// The total is the sum of the phases; with `endToEnd`, `OffPolicyEvaluation.run` is also timed on the same log and
/// targets (what `mtfsim evaluate --estimand per-request` costs, report included). FQE is timed apart: the offline
/// dataset's load (`OfflineDataset.load`), and gradient steps per second of `FittedQEvaluation` with its own default
/// settings (256 × 256 critic, K = 10) for each target: the learner `evaluate --with-fqe` fits, not its settings
/// (64 × 64, K = 4, the decisions' own transitions).
///
/// The log: `log` when that file exists (reused as it is); otherwise a log of the `loggingPolicy` (stochastic, with
/// densities) with at least `steps` logged steps, written to `log` (kept for the next run) or to a fresh folder of
/// `scratchDirectory` (removed at the end). Its sessions are sized from a pilot run without log, 10% over; writing it
/// is not timed.
public struct EvaluationBenchmark: Sendable {
    public var config: EnvironmentConfig
    /// The environment file's text, recorded in a generated log.
    public var environmentText: String
    /// Logged steps a generated log holds at least.
    public var steps: Int
    /// The logging policy of a generated log.
    public var loggingPolicy: String
    /// A log to reuse, or where to write the generated one; nil: a temporary log.
    public var log: String?
    public var stochasticTarget: String
    public var deterministicTarget: String
    /// FQE gradient steps timed per target (0: FQE is not timed).
    public var fqeSteps: Int
    /// Time `OffPolicyEvaluation.run` end to end as well.
    public var endToEnd: Bool
    /// Worker threads: simulating a generated log, and the evaluation's parallel phases (reward model, v̂).
    public var threads: Int
    /// Seed of the generated log's world and sessions.
    public var seed: UInt64
    public var scratchDirectory: URL

    /// The estimators timed: every per-request estimator with its default λ.
    public static let estimators = EstimatorCatalog.defaults(for: .perRequestReward)

    public init(config: EnvironmentConfig, environmentText: String, steps: Int = 1_000_000, loggingPolicy: String = "mixture",
                log: String? = nil, stochasticTarget: String = "gaussian:0.2", deterministicTarget: String = "baseline",
                fqeSteps: Int = 200, endToEnd: Bool = true, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                seed: UInt64 = 1, scratchDirectory: URL = FileManager.default.temporaryDirectory) {
        precondition(steps > 0 && fqeSteps >= 0 && threads > 0, "EvaluationBenchmark: steps and threads must be positive")
        self.config = config
        self.environmentText = environmentText
        self.steps = steps
        self.loggingPolicy = loggingPolicy
        self.log = log
        self.stochasticTarget = stochasticTarget
        self.deterministicTarget = deterministicTarget
        self.fqeSteps = fqeSteps
        self.endToEnd = endToEnd
        self.threads = threads
        self.seed = seed
        self.scratchDirectory = scratchDirectory
    }

    /// Refusal of a benchmark that cannot run, with one line.
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    public func run(note: ((String) -> Void)? = nil) throws -> EvaluationBenchReport {
        var temporary: URL? = nil
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        let path: String
        if let log {
            path = log
        } else {
            let directory = scratchDirectory.appendingPathComponent("mtfsim-bench-evaluate-\(getpid())-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            temporary = directory
            path = directory.appendingPathComponent("evaluate.sqlite").path
        }
        var generation: EvaluationBenchReport.Generation? = nil
        if !FileManager.default.fileExists(atPath: path) {
            note?("writing a log of at least \(steps) steps of \(loggingPolicy) to \(path) (not timed)")
            generation = try generate(path: path)
        }

        let cpuStart = Self.processCPUSeconds()
        var cpu: [String: Double] = [:]
        /// Wall seconds of `body`, its process CPU seconds recorded under `phase`.
        func timed<T>(_ phase: String, _ body: () throws -> T) rethrows -> (T, Double) {
            let start = Self.processCPUSeconds()
            let (value, seconds) = try BenchTiming.measure(body)
            cpu[phase] = Self.processCPUSeconds() - start
            return (value, seconds)
        }
        let (loaded, readSeconds) = try timed("read") {
            try EpisodeLogDecisions.load(path: path, discounting: nil)
        }
        var data = loaded
        note?("read \(data.decisions.steps) steps in \(String(format: "%.3f", readSeconds)) s")
        let ((world, targets), worldSeconds) = try timed("world") {
            let world = try data.world()
            let targets = try [stochasticTarget, deterministicTarget].map { spec throws(OffPolicyEvaluationError) in
                try TargetPolicy.resolve(spec, world: world, runActionNames: data.run.metadata.actionNames)
            }
            return (world, targets)
        }
        if let why = data.missingBehaviourDensities { throw Refusal(description: "\(path): \(why); the benchmark needs weights") }

        let ((model, loggedValues), fitSeconds) = try timed("rewardModel") {
            let model = try CrossFittedRewardModel(states: data.states, actions: data.actions, rewards: data.decisions.rewards,
                                                   episodeOffsets: data.decisions.episodeOffsets, runSpace: data.actionSpace,
                                                   threads: threads)
            return (model, model.loggedActionValues(states: data.states, actions: data.actions, runSpace: data.actionSpace,
                                                    threads: threads))
        }
        note?("fitted the reward model in \(String(format: "%.3f", fitSeconds)) s")

        let settings = OffPolicyEvaluation.Settings(log: path, policies: [])
        let entries = try Self.estimators.map { name throws(OffPolicyEvaluationError) in try EstimatorCatalog.entry(name) }
        var timings: [EvaluationBenchReport.Target] = []
        for target in targets {
            var decisions = data.decisions
            let kind = target.kind.rawValue
            let ((logDensities, smoothing), densitySeconds) = try timed("\(kind).density") {
                var smoothing: KernelSmoothing? = nil
                if target.kind == .deterministic {
                    smoothing = try KernelSmoothing.scottsRule(kernel: settings.kernel, loggedActions: data.actions,
                                                               actionSpace: target.policy.actionSpace)
                }
                return (try target.logDensities(states: data.states, actions: data.actions, smoothing: smoothing,
                                                threads: threads), smoothing)
            }
            guard let densities = logDensities else {
                throw Refusal(description: "target \(target.name) states no density; the benchmark needs a stochastic and a deterministic target")
            }
            decisions.target = .logDensities(densities)
            let (targetValues, valueSeconds) = timed("\(kind).targetValues") {
                let moments = target.actionMoments(states: data.states, runSpace: data.actionSpace, smoothing: smoothing,
                                                   samples: settings.targetActionSamples, seed: settings.seed,
                                                   threads: threads)
                return model.targetValues(states: data.states, moments: moments, threads: threads)
            }
            decisions.rewardModel = .init(loggedActionValues: loggedValues, targetValues: targetValues)
            let (input, weightSeconds) = try timed("\(kind).weights") { try EvaluationInput(decisions) }
            let (estimates, estimatorSeconds) = try timed("\(kind).estimators") {
                try entries.map { entry in
                    let estimate = try entry.estimator.estimate(input, estimand: .perRequestReward)
                    let interval = estimate.tInterval(level: settings.level)
                    return EvaluationBenchReport.Estimate(estimator: entry.estimator.name, value: estimate.value,
                                                          lower: interval.lower, upper: interval.upper)
                }
            }
            timings.append(.init(policy: target.name, kind: target.kind, densitySeconds: densitySeconds,
                                 weightSeconds: weightSeconds, targetValueSeconds: valueSeconds,
                                 estimatorSeconds: estimatorSeconds, estimates: estimates))
            note?("timed \(target.name)")
        }
        let cpuSeconds = Self.processCPUSeconds() - cpuStart
        let steps = data.decisions.steps, episodes = data.decisions.episodes, incomplete = data.incompleteEpisodes
        let m = data.run.metadata
        data.releaseFeatures()

        var endToEndSeconds: Double? = nil
        if endToEnd {
            var s = OffPolicyEvaluation.Settings(log: path, policies: [stochasticTarget, deterministicTarget])
            s.estimand = .perRequestReward
            s.estimators = Self.estimators
            s.threads = threads
            endToEndSeconds = try BenchTiming.measure { try OffPolicyEvaluation(settings: s).run() }.seconds
            note?("timed OffPolicyEvaluation.run")
        }
        let fqe = fqeSteps > 0 ? try timeFQE(path: path, world: world, targets: targets, note: note) : nil
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var report = EvaluationBenchReport(
            environment: m.environmentName, log: temporary == nil ? path : nil, loggingPolicy: m.policySpec, logBytes: bytes,
            generation: generation, steps: steps, episodes: episodes, incompleteEpisodes: incomplete,
            stateDimension: m.stateNames.count, actionDimension: m.actionNames.count,
            rewardModelFeatures: CrossFittedRewardModel.featureCount(states: m.stateNames.count, actions: m.actionNames.count),
            rewardModelFolds: model.folds, blasCore: BLASRuntime.coreName, blasThreads: BLASRuntime.threads,
            readSeconds: readSeconds, worldSeconds: worldSeconds, rewardModelSeconds: fitSeconds, targets: timings,
            endToEndSeconds: endToEndSeconds, fqe: fqe)
        report.totalSeconds = report.readSeconds + report.worldSeconds + report.rewardModelSeconds
            + timings.reduce(0) { $0 + $1.seconds }
        report.perTargetSeconds = timings.map { report.readSeconds + report.worldSeconds + report.rewardModelSeconds + $0.seconds }
        report.totalCPUSeconds = cpuSeconds
        report.cpuSeconds = cpu
        return report
    }

    /// CPU seconds of the whole process so far, every thread (`CLOCK_PROCESS_CPUTIME_ID`).
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Writes a log of at least `steps` steps of the logging policy at `path`.
    func generate(path: String) throws -> EvaluationBenchReport.Generation {
        let world = try World(config: config, seed: seed)
        let policy = try PolicySpec.parse(loggingPolicy, world: world)
        guard let density = policy as? any PolicyDensity, !density.isDeterministic else {
            throw Refusal(description: "--policy \(loggingPolicy): the logging policy must be stochastic with a density (e.g. mixture, gaussian:0.3, box:0.15)")
        }
        let ranker = OracleNoiseRanker(config: config)
        let pilotSessions = 1_000
        let pilot = try SimulationRun(world: world, environmentText: environmentText, policy: policy, ranker: ranker, seed: seed,
                                      sessions: pilotSessions, threads: threads).run()
        let perSession = max(Double(pilot.summary.requests) / Double(pilotSessions), 1e-3)
        let sessions = Int((1.1 * Double(steps) / perSession).rounded(.up))
        let result = try SimulationRun(world: world, environmentText: environmentText, policy: policy, ranker: ranker,
                                       seed: seed, sessions: sessions, threads: threads).run(log: path)
        return .init(sessions: sessions, requests: result.summary.requests, seconds: result.wallSeconds)
    }

    /// FQE's dataset load and its gradient steps per second for each target.
    func timeFQE(path: String, world: World, targets: [TargetPolicy],
                 note: ((String) -> Void)?) throws -> EvaluationBenchReport.FQE {
        let (dataset, loadSeconds) = try BenchTiming.measure { try OfflineDataset.load(logs: [path]) }
        let configuration = FittedQEvaluationConfiguration()
        var rates: [EvaluationBenchReport.FQE.Rate] = []
        for target in targets {
            let (made, setupSeconds) = try BenchTiming.measure {
                try FittedQEvaluation(dataset: dataset, policy: target.policy, configuration: configuration, seed: 1)
            }
            var fqe = made
            _ = fqe.update(steps: 2)
            let (_, seconds) = BenchTiming.measure { fqe.update(steps: fqeSteps) }
            rates.append(.init(policy: target.name, setupSeconds: setupSeconds, steps: fqeSteps,
                               stepsPerSecond: Double(fqeSteps) / seconds))
            note?("timed FQE of \(target.name)")
        }
        return .init(transitions: dataset.count, loadSeconds: loadSeconds, hiddenSizes: configuration.hiddenSizes,
                     batchSize: configuration.batchSize, actionSamples: configuration.actionSamples, rates: rates)
    }
}

/// What `EvaluationBenchmark` measured (`mtfsim bench evaluate --json` prints this structure).
public struct EvaluationBenchReport: Codable, Sendable {
    /// How a generated log was written (not timed as part of the evaluation).
    public struct Generation: Codable, Sendable {
        public var sessions: Int
        public var requests: Int
        public var seconds: Double
    }

    /// One estimator's estimate with its t-interval (95%).
    public struct Estimate: Codable, Sendable, Equatable {
        public var estimator: String
        public var value: Double
        public var lower: Double
        public var upper: Double

        public init(estimator: String, value: Double, lower: Double, upper: Double) {
            self.estimator = estimator
            self.value = value
            self.lower = lower
            self.upper = upper
        }
    }

    /// The phases of one target.
    public struct Target: Codable, Sendable {
        public var policy: String
        public var kind: TargetPolicy.Kind
        /// Its log-densities on the logged steps (a deterministic target's kernel by Scott's rule included).
        public var densitySeconds: Double
        /// The importance weights from them (`EvaluationInput`).
        public var weightSeconds: Double
        /// v̂: the target's action moments and the reward model's values at them.
        public var targetValueSeconds: Double
        /// Every per-request estimator with its t-interval.
        public var estimatorSeconds: Double
        public var estimates: [Estimate]

        /// This target's phases.
        public var seconds: Double { densitySeconds + weightSeconds + targetValueSeconds + estimatorSeconds }
    }

    /// FQE, timed apart.
    public struct FQE: Codable, Sendable {
        public struct Rate: Codable, Sendable {
            public var policy: String
            /// Building the evaluator (a deterministic target's actions at every state and next state).
            public var setupSeconds: Double
            public var steps: Int
            public var stepsPerSecond: Double
        }

        /// Transitions of the offline dataset.
        public var transitions: Int
        /// `OfflineDataset.load` of the log.
        public var loadSeconds: Double
        public var hiddenSizes: [Int]
        public var batchSize: Int
        /// Actions drawn per next state for a stochastic target.
        public var actionSamples: Int
        public var rates: [Rate]
    }

    public var environment: String
    /// The log's path; nil for a temporary log.
    public var log: String?
    public var loggingPolicy: String
    public var logBytes: Int
    /// nil when an existing log was reused.
    public var generation: Generation?
    /// Logged steps of complete episodes evaluated.
    public var steps: Int
    public var episodes: Int
    public var incompleteEpisodes: Int
    public var stateDimension: Int
    public var actionDimension: Int
    /// p = 1 + S + 2A + S·A.
    public var rewardModelFeatures: Int
    public var rewardModelFolds: Int
    public var blasCore: String
    public var blasThreads: Int
    /// `EpisodeLogDecisions.load`.
    public var readSeconds: Double
    /// The logged world rebuilt and the targets resolved.
    public var worldSeconds: Double
    /// The reward model's fit and q̂ at the logged actions.
    public var rewardModelSeconds: Double
    public var targets: [Target]
    /// `OffPolicyEvaluation.run` on the same log and targets; nil when not timed.
    public var endToEndSeconds: Double?
    public var fqe: FQE?

    /// Every phase: read, world and targets, reward model, and each target's phases.
    public var totalSeconds = 0.0
    /// The shared phases (read, world and targets, reward model) and one target's: evaluating that target alone,
    /// per target.
    public var perTargetSeconds: [Double] = []
    /// CPU seconds of the process (every thread) over those phases: with `threads` > 1 it may exceed the wall time;
    /// on a shared machine the wall time exceeds it by the time other processes held the cores.
    public var totalCPUSeconds = 0.0
    /// Process CPU seconds of each phase: read, world, rewardModel, and per target kind its density, targetValues,
    /// weights and estimators.
    public var cpuSeconds: [String: Double] = [:]
    /// The per-request estimators' goal (issue 14), SQLite read included, at `goalSteps` steps or more.
    public var goalSeconds = 5.0
    public var goalSteps = 1_000_000
}
