import EpisodeLog
import Foundation
import Numerics
import Rollout
import Simulator

/// One training run as `mtfsim train` makes it (docs/design.md, "Training"): the agent its settings describe
/// trained online (`OnlineTraining`), or the CEM search over fixed weights (`FixedWeightSearch`), every training
/// episode in an episode log when one is given (`LoggedRun`: `complete` at the end, `interrupted` on failure); then
/// the policy checkpoint, the learning curve next to it (`<checkpoint>.curve.csv`, `curvePath(for:)`) and the report.
///
/// Deterministic: the same settings, world and seed write the same checkpoint, for any thread count.
public struct TrainingRun: Sendable {
    public var settings: TrainingSettings
    public var world: World
    /// The environment file's text, recorded in the log's metadata.
    public var environmentText: String
    public var ranker: any Ranker
    /// Seeds the agent, its updates and the training episodes (the world has its own seed).
    public var seed: UInt64
    /// Simulation threads (results do not depend on it).
    public var threads: Int
    /// The policy checkpoint to write.
    public var checkpoint: String
    /// The episode log to create for the training episodes (actor-critic agents only), if any.
    public var log: String?

    /// A run of `settings` in `world`, ranked by the world's oracle-noise ranker unless `ranker` is given; the
    /// checkpoint goes to `defaultCheckpoint(...)` unless `checkpoint` is given.
    public init(settings: TrainingSettings, world: World, environmentText: String, seed: UInt64, threads: Int,
                checkpoint: String? = nil, log: String? = nil, ranker: (any Ranker)? = nil) {
        self.settings = settings
        self.world = world
        self.environmentText = environmentText
        self.seed = seed
        self.threads = threads
        self.checkpoint = checkpoint ?? Self.defaultCheckpoint(kind: settings.agent.kind, environment: world.config.name, seed: seed)
        self.log = log
        self.ranker = ranker ?? OracleNoiseRanker(config: world.config)
    }

    /// `models/<kind>-<environment>-seed<S>.ckpt`.
    public static func defaultCheckpoint(kind: AgentKind, environment: String, seed: UInt64) -> String {
        "models/\(kind.rawValue)-\(environment)-seed\(seed).ckpt"
    }

    /// The learning curve's file next to a checkpoint: `x.ckpt` → `x.curve.csv`.
    public static func curvePath(for checkpoint: String) -> String {
        (checkpoint.hasSuffix(".ckpt") ? String(checkpoint.dropLast(5)) : checkpoint) + ".curve.csv"
    }

    /// What `run`'s progress counts, and how many: environment steps, or CEM iterations.
    public var progressScale: (total: Int, unit: String) {
        settings.agent.kind.isActorCritic ? (settings.steps, "steps") : (settings.cemIterations, "iterations")
    }

    /// What a run made: the report and the policy saved in the checkpoint.
    public struct Result: Sendable {
        public var report: TrainingReport
        public var policy: ActorPolicy
    }

    /// Trains, saves the checkpoint and writes the learning curve.
    ///
    /// - Parameters:
    ///   - progress: environment steps (or CEM iterations) done so far; see `progressScale`.
    ///   - note: one line per learning-curve point (or CEM iteration), for people.
    ///   An error thrown by either stops the run (the log's run is then `interrupted`, no checkpoint is written) and
    ///   is rethrown.
    /// - Throws: `SettingsError` for settings that `TrainingSettings.validate` refuses, `UnwritablePathError` for a
    ///   checkpoint path that cannot be written (checked before training), and the errors of building the agent,
    ///   logging and writing files.
    public func run(progress: (Int) throws -> Void = { _ in }, note: (String) throws -> Void = { _ in }) throws -> Result {
        try settings.validate(logging: log != nil)
        try Self.checkWritable(checkpoint)
        try Self.createParentDirectory(of: checkpoint)
        let clock = ContinuousClock(), start = clock.now
        var result: Result
        if settings.agent.kind.isActorCritic {
            let agent = try settings.agent.makeAgent(world: world, seed: seed)
            result = try train(agent, progress: progress, note: note)
        } else {
            result = try searchFixedWeights(progress: progress, note: note)
        }
        result.report.wallSeconds = (clock.now - start).seconds
        try Self.writeCurve(result.report.curve, to: Self.curvePath(for: checkpoint))
        return result
    }

    /// Online actor-critic training, every round's sessions appended to the log.
    func train<A: OnlineAgent>(_ agent: A, progress: (Int) throws -> Void, note: (String) throws -> Void) throws -> Result {
        let options = settings.onlineOptions(seed: seed, threads: threads)
        var training = OnlineTraining(agent: agent, world: world, ranker: ranker, options: options)
        func collect(logging logged: LoggedRun?) throws {
            try training.run(sessions: { sessions in try logged?.append(sessions) }, progress: progress,
                             evaluated: { point in
                                 let v = point.heldOut.rewardPerUserDay
                                 try note("steps \(point.environmentSteps), updates \(point.updates): held-out reward/user/day "
                                          + "\(Self.fixed(v.mean)) [\(Self.fixed(v.lower)), \(Self.fixed(v.upper))]")
                             })
        }
        if let log {
            try LoggedRun.create(path: log, metadata: try logMetadata(agent, options: options)).record { try collect(logging: $0) }
        } else {
            try collect(logging: nil)
        }
        let policy = training.agent.evaluationPolicy()
        try policy.save(to: URL(fileURLWithPath: checkpoint))
        let space = agent.environment.actionSpace
        var report = TrainingReport(agent: A.name, environment: world.config.name, seed: seed, checkpoint: checkpoint,
                                    environmentSteps: training.environmentSteps, updates: training.agent.updateCount,
                                    wallSeconds: 0, heldOut: training.curve.last!.heldOut, curve: training.curve,
                                    fixedWeights: nil, configuration: .init(agent.configuration),
                                    actionBox: .init(low: space.low, high: space.high))
        report.baseline = training.evaluation.evaluateBaseline()
        return Result(report: report, policy: policy)
    }

    /// The log's record of a training run: named `train-<agent>-seed<S>`, policy `train:<agent>` with the agent's
    /// configuration as its parameters, the exploration of the first behaviour policy.
    func logMetadata<A: OnlineAgent>(_ agent: A, options: OnlineTrainingOptions) throws -> RunMetadata {
        var metadata = SimulationLog.metadata(name: "train-\(A.name)-seed\(seed)", world: world, environmentText: environmentText,
                                              seed: seed, policy: agent.behaviourPolicy(), ranker: ranker, sessions: 0,
                                              lanes: options.lanes, logCandidates: false)
        metadata.policySpec = "train:\(A.name)"
        metadata.policyParameters = String(decoding: try JSONEncoder().encode(agent.configuration), as: UTF8.self)
        return metadata
    }

    /// The CEM search over fixed weights, its result evaluated on held-out users like a learned policy.
    func searchFixedWeights(progress: (Int) throws -> Void, note: (String) throws -> Void) throws -> Result {
        var configuration = CrossEntropyMethodConfiguration()
        configuration.populationSize = settings.cemPopulation
        configuration.iterations = settings.cemIterations
        let search = FixedWeightSearch(world: world, ranker: ranker, configuration: configuration,
                                       episodes: settings.cemEpisodes, seed: seed, threads: threads)
        let (mean, steps) = try search.run { iteration in
            try progress(iteration.index + 1)
            try note("iteration \(iteration.index + 1): mean candidate \(Self.fixed(iteration.meanValue)), "
                     + "elite \(Self.fixed(iteration.eliteMeanValue)) reward/user/day (training users)")
        }
        let policy = FixedWeightSearch.constantPolicy(mean, environment: AgentEnvironment(world: world), agentName: AgentKind.cem.rawValue)
        try policy.save(to: URL(fileURLWithPath: checkpoint))
        let evaluation = HeldOutEvaluation(world: world, ranker: ranker, seed: HeldOutEvaluation.trainingSeed,
                                           episodes: settings.evaluationEpisodes, threads: threads)
        let heldOut = evaluation.evaluate(policy)
        var report = TrainingReport(
            agent: AgentKind.cem.rawValue, environment: world.config.name, seed: seed, checkpoint: checkpoint,
            environmentSteps: steps, updates: 0, wallSeconds: 0, heldOut: heldOut,
            curve: [LearningCurvePoint(environmentSteps: steps, updates: 0, wallSeconds: 0, heldOut: heldOut)],
            fixedWeights: world.actionSpace.denormalize(mean))
        report.baseline = evaluation.evaluateBaseline()
        return Result(report: report, policy: policy)
    }

    /// The learning curve as CSV: one row per point, held-out reward per user-day with its 95% interval.
    public static func writeCurve(_ curve: [LearningCurvePoint], to path: String) throws {
        var lines = ["environment_steps,updates,wall_seconds,reward_per_user_day,lower,upper,reward_per_session,"
                     + "requests_per_session,sessions_per_user_day"]
        for p in curve {
            let h = p.heldOut
            lines.append("\(p.environmentSteps),\(p.updates),\(p.wallSeconds),\(h.rewardPerUserDay.mean),"
                         + "\(h.rewardPerUserDay.lower),\(h.rewardPerUserDay.upper),\(h.rewardPerSession),"
                         + "\(h.requestsPerSession),\(h.sessionsPerUserDay)")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Throws when `path` could not be written: it is a folder, or the nearest folder on its way that exists is not
    /// writable. Checked before a run starts, so that hours of training do not end in a refusal.
    static func checkWritable(_ path: String) throws(UnwritablePathError) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw UnwritablePathError("cannot write \(path): it is a folder")
        }
        var folder = (path as NSString).deletingLastPathComponent
        if folder.isEmpty { folder = "." }
        while !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            let parent = (folder as NSString).deletingLastPathComponent
            folder = parent.isEmpty ? "." : parent
        }
        guard isFolder.boolValue, FileManager.default.isWritableFile(atPath: folder) else {
            throw UnwritablePathError("cannot write \(path): \(folder) is not a writable folder")
        }
    }

    static func createParentDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    }

    static func fixed(_ value: Double) -> String { String(format: "%.2f", value) }
}

/// A run's output path (checkpoint, curve) that cannot be written: refused before the run starts, with one line.
public struct UnwritablePathError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
