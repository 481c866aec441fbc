import EpisodeLog
import Foundation
import Numerics
import Rollout
import Simulator

/// Everything `mtfsim train-offline` takes besides files, seed and threads: the learner, the gradient steps, and the
/// simulator-oracle evaluation along the way.
public struct OfflineTrainingSettings: Codable, Sendable, Equatable {
    public var agent: OfflineAgentSettings
    /// Gradient steps (mini-batches) in total.
    public var steps = 100_000
    /// Evaluate the deterministic policy on held-out users every this many gradient steps (and after the last).
    public var evaluationInterval = 10_000
    /// Held-out episodes per evaluation.
    public var evaluationEpisodes = 128

    public init(agent: OfflineAgentSettings) {
        self.agent = agent
    }

    public init(kind: OfflineAgentKind) {
        self.init(agent: OfflineAgentSettings(kind: kind))
    }

    /// Throws the first rule broken, naming `train-offline`'s options.
    public func validate() throws(SettingsError) {
        guard steps > 0, evaluationInterval > 0, evaluationEpisodes > 0 else {
            throw SettingsError("--steps, --eval-interval and --eval-episodes must be positive")
        }
        try agent.validate()
    }
}

/// A refusal of the logs given to an offline run: one line naming the file (and run) and what is wrong.
public struct OfflineRunError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One offline training run as `mtfsim train-offline` makes it (batch RL; Levine et al. 2020, §2): the transitions
/// of the chosen runs of one or more episode logs, the learner its settings describe trained for `steps` gradient
/// steps on them, its deterministic policy evaluated on held-out users every `evaluationInterval` steps, then the
/// policy checkpoint (the learner's own kind, written atomically), the learning curve next to it
/// (`<checkpoint>.curve.csv`) and the report.
///
/// The evaluation is the simulator's oracle view: whole episodes of the held-out users (the last 20% of user ids) of
/// the world the first run was logged in, rebuilt from the environment text and seed in its log. A production team
/// has only the log; off-policy estimates are a separate matter. The label `evaluationLabel` says so in the report,
/// the curve's header and the command's text.
///
/// Nothing is written before the logs are read, the learner is built and the environment is resolved: a refusal
/// leaves no checkpoint and no curve. Deterministic: the same settings, logs and seed write the same checkpoint, for
/// any thread count.
public struct OfflineTrainingRun: Sendable {
    /// How the curve's evaluation is labelled wherever it is shown.
    public static let evaluationLabel = "simulator oracle (held-out users)"

    public var settings: OfflineTrainingSettings
    /// The episode logs, in order.
    public var logs: [String]
    /// The run ids to read from every log (empty: every run of every log).
    public var runs: [Int]
    /// Seeds the learner's weights and its mini-batches.
    public var seed: UInt64
    /// Simulation threads of the evaluation (results do not depend on it).
    public var threads: Int
    /// The policy checkpoint to write.
    public var checkpoint: String

    public init(settings: OfflineTrainingSettings, logs: [String], runs: [Int] = [], seed: UInt64, threads: Int,
                checkpoint: String) {
        self.settings = settings
        self.logs = logs
        self.runs = runs
        self.seed = seed
        self.threads = threads
        self.checkpoint = checkpoint
    }

    /// What a run made: the report and the policy saved in the checkpoint.
    public struct Result: Sendable {
        public var report: OfflineTrainingReport
        public var policy: any CheckpointedPolicy
    }

    /// Loads, trains, evaluates, saves the checkpoint and writes the learning curve.
    ///
    /// - Parameters:
    ///   - progress: gradient steps done so far (of `settings.steps`).
    ///   - note: one line per learning-curve point, for people.
    ///   An error thrown by either stops the run before anything is written, and is rethrown.
    /// - Throws: `SettingsError` for settings refused, `UnwritablePathError` for a checkpoint path that cannot be
    ///   written, `OfflineRunError` for logs or runs refused, the errors of
    ///   opening the logs (`EpisodeLogError`), of rebuilding the logged world and its ranker, of `--around`, and of
    ///   writing files.
    public func run(progress: (Int) throws -> Void = { _ in }, note: (String) throws -> Void = { _ in }) throws -> Result {
        try settings.validate()
        try TrainingRun.checkWritable(checkpoint)
        let clock = ContinuousClock(), start = clock.now
        let (world, rankerName) = try Self.firstRunWorld(logs: logs, ids: runs)
        let ranker = try SimulationRanker.make(rankerName, world: world)
        let environment = try settings.agent.environment(in: world)
        let dataset = try OfflineDataset.load(logs: logs, runs: runs.isEmpty ? nil : runs, environment: environment,
                                              discounting: settings.agent.discounting)
        let selected = dataset.sources.map { SelectedRun(log: $0.log, run: $0.run) }
        let learner = try settings.agent.makeLearner(dataset: dataset, seed: seed)
        let loggedReturn = try Self.loggedDiscountedReturn(selected, configuration: learner.configuration.actorCritic)
        var result = try train(learner, world: world, ranker: ranker, progress: progress, note: note)
        result.report.loggedDiscountedReturn = loggedReturn
        result.report.wallSeconds = (clock.now - start).seconds
        try TrainingRun.createParentDirectory(of: checkpoint)
        let curvePath = TrainingRun.curvePath(for: checkpoint)
        try Self.writeCurve(result.report.curve, to: curvePath)
        do {
            try result.policy.save(to: URL(fileURLWithPath: checkpoint))
        } catch {
            try? FileManager.default.removeItem(atPath: curvePath)
            throw error
        }
        return result
    }

    /// Gradient steps in chunks (for progress), the oracle evaluation at every interval and after the last step.
    func train<L: OfflineLearner>(_ learner: L, world: World, ranker: any Ranker, progress: (Int) throws -> Void,
                                  note: (String) throws -> Void) throws -> Result {
        var learner = learner
        let clock = ContinuousClock(), start = clock.now
        var stream = RandomStream(seed: seed, keys: streamKey("offline-updates"))
        let evaluation = HeldOutEvaluation(world: world, ranker: ranker, seed: HeldOutEvaluation.trainingSeed,
                                           episodes: settings.evaluationEpisodes, threads: threads)
        let (total, interval) = (settings.steps, settings.evaluationInterval)
        var curve: [OfflineCurvePoint] = [], window = DiagnosticsWindow(), done = 0
        while done < total {
            let nextEvaluation = min(total, (done / interval + 1) * interval)
            let chunk = min(nextEvaluation - done, Self.progressChunk)
            window.add(learner.update(steps: chunk, stream: &stream))
            done += chunk
            try progress(done)
            guard done == nextEvaluation else { continue }
            let point = OfflineCurvePoint(gradientSteps: done, updates: learner.updateCount, wallSeconds: (clock.now - start).seconds,
                                          heldOut: evaluation.evaluate(learner.evaluationPolicy()), diagnostics: window.mean)
            curve.append(point)
            window = DiagnosticsWindow()
            let v = point.heldOut.rewardPerUserDay
            try note("steps \(done): \(Self.evaluationLabel) reward/user/day \(TrainingRun.fixed(v.mean)) "
                     + "[\(TrainingRun.fixed(v.lower)), \(TrainingRun.fixed(v.upper))]"
                     + (point.diagnostics.meanQ.map { ", mean Q on logged (s, a) \(TrainingRun.fixed($0))" } ?? ""))
        }
        let policy = learner.evaluationPolicy()
        let dataset = learner.dataset
        let space = learner.environment.actionSpace
        let audit = (learner as? any ValueEstimating).map { critic in
            ValueAudit(world: world, ranker: ranker, discounting: learner.configuration.actorCritic.discounting,
                       episodes: settings.evaluationEpisodes, threads: threads)
                .run(policy: policy, critic: critic, actionSpace: space, loggedStates: Self.loggedStates(dataset))
        }
        var report = OfflineTrainingReport(
            agent: L.name, environment: world.config.name, evaluationWorldSeed: world.seed, seed: seed,
            checkpoint: checkpoint, checkpointKind: policy.checkpoint().header.kind, sources: dataset.sources,
            transitions: dataset.count, steps: done, updates: learner.updateCount, wallSeconds: 0,
            heldOut: curve.last!.heldOut, diagnostics: curve.last!.diagnostics, curve: curve,
            loggedReward: .init(dataset.rewardStatistics),
            configuration: .init(learner.configuration), actionBox: .init(low: space.low, high: space.high))
        report.valueAudit = audit
        report.baseline = evaluation.evaluateBaseline()
        return Result(report: report, policy: policy)
    }

    /// Up to 4,096 logged states (raw), spread evenly over the dataset.
    static func loggedStates(_ dataset: OfflineDataset) -> Matrix {
        let n = min(dataset.count, 4_096), stride = max(dataset.count / max(n, 1), 1)
        var states = Matrix(rows: n, columns: dataset.environment.stateDimension)
        for r in 0..<n { states.setRow(r, to: dataset.transitions.transition(at: r * stride).state) }
        return states
    }

    /// Gradient steps between progress reports.
    static let progressChunk = 500

    // MARK: Loading

    /// A run of a log in the dataset.
    struct SelectedRun {
        var log: String
        var run: Int
    }

    /// The world of the first chosen run (the first run of the first log with one of `ids`, or its first run),
    /// rebuilt from its log (`Replay.world(of:path:)`), and the run's ranker name: where the learner is evaluated.
    /// Refusals of the logs themselves are `OfflineDataset.load`'s.
    static func firstRunWorld(logs: [String], ids: [Int]) throws -> (World, String) {
        guard let log = logs.first else { throw OfflineDatasetError.noLogs }
        let reader: EpisodeLogReader
        do { reader = try EpisodeLogFile.open(path: log) } catch let error as EpisodeLogError { throw OfflineDatasetError.log(error) }
        defer { try? reader.close() }
        let all = try reader.runs()
        guard let run = all.first(where: { ids.isEmpty || ids.contains($0.id) }) else {
            // Let the loader name what is missing, as it does for every log.
            _ = try OfflineDataset.load(logs: [log], runs: ids.isEmpty ? nil : ids)
            throw OfflineDatasetError.noRuns(log: log)
        }
        return (try Replay.world(of: run, path: log), run.metadata.rankerName)
    }

    /// The mean discounted Monte-Carlo return from the logged transitions that learners train on (those with an
    /// outcome), under the learner's discounting and reward scale: `G_i = r_i + γ_i·G_(i+1)` back from each episode's
    /// last logged step, `γ_i` per request or by the logged time (`Discounting`). It is the behaviour policy's
    /// `Q^β(s, a)` on the logged states and actions, estimated without bootstrapping: what a critic's mean Q on the
    /// same (s, a) is read against (a policy better than the behaviour may exceed it somewhat; offline TD3's climbs
    /// far above it). Returns cut at the horizon or by the end of logging count only what was logged, so this is a
    /// lower bound near the ends; `nil` when the rewards are normalised by their spread, or a time is unknown.
    static func loggedDiscountedReturn(_ runs: [SelectedRun], configuration c: ActorCriticConfiguration) throws -> Double? {
        guard !c.normalizeRewards else { return nil }
        let discounting = c.discounting, scale = Double(c.rewardScale)
        var total = 0.0, count = 0, unknown = false
        var episode: [(reward: Double, factor: Float?, kept: Bool)] = [], current: Int?
        func finish() {
            var g = 0.0
            for (k, step) in episode.enumerated().reversed() {
                if k == episode.count - 1 {
                    g = step.reward
                } else if let factor = step.factor {
                    g = step.reward + Double(factor) * g
                } else {
                    unknown = true
                }
                if step.kept {
                    total += scale * g
                    count += 1
                }
            }
            episode.removeAll(keepingCapacity: true)
        }
        for selected in runs {
            let reader = try EpisodeLogFile.open(path: selected.log)
            defer { try? reader.close() }
            try reader.transitions(run: selected.run).forEach { batch in
                for t in batch {
                    if current != t.episode { finish() }
                    current = t.episode
                    episode.append((t.reward, t.terminal ? 0 : discounting.factor(for: t), t.hasOutcome))
                }
            }
            finish()
            current = nil
        }
        return unknown || count == 0 ? nil : total / Double(count)
    }

    // MARK: The curve

    /// The learning curve as CSV: one row per point; the held-out columns are the simulator's oracle view.
    public static func writeCurve(_ curve: [OfflineCurvePoint], to path: String) throws {
        let oracle = "simulator_oracle_held_out"
        var lines = ["gradient_steps,updates,wall_seconds,\(oracle)_reward_per_user_day,\(oracle)_lower,\(oracle)_upper,"
                     + "\(oracle)_reward_per_session,\(oracle)_requests_per_session,\(oracle)_sessions_per_user_day,"
                     + "mean_q_logged,mean_target,critic_loss,actor_loss"]
        func optional(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        for p in curve {
            let h = p.heldOut, d = p.diagnostics
            lines.append("\(p.gradientSteps),\(p.updates),\(p.wallSeconds),\(h.rewardPerUserDay.mean),"
                         + "\(h.rewardPerUserDay.lower),\(h.rewardPerUserDay.upper),\(h.rewardPerSession),"
                         + "\(h.requestsPerSession),\(h.sessionsPerUserDay),\(optional(d.meanQ)),\(optional(d.meanTarget)),"
                         + "\(optional(d.criticLoss)),\(optional(d.actorLoss))")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// What the learner's updates said over one stretch of the curve, averaged over its gradient steps.
public struct OfflineDiagnostics: Codable, Sendable, Equatable {
    /// Mean of the first critic's `Q(s, a)` on logged states and actions (the mini-batches'): offline TD3's climbs
    /// above anything the data supports, the constrained learners' should not (`nil`: a learner without a critic).
    public var meanQ: Double?
    /// Mean TD target.
    public var meanTarget: Double?
    /// Mean critic loss (summed over an ensemble).
    public var criticLoss: Double?
    /// Mean actor (policy extraction) loss, over the steps that updated the actor.
    public var actorLoss: Double?

    public init(meanQ: Double? = nil, meanTarget: Double? = nil, criticLoss: Double? = nil, actorLoss: Double? = nil) {
        self.meanQ = meanQ
        self.meanTarget = meanTarget
        self.criticLoss = criticLoss
        self.actorLoss = actorLoss
    }
}

/// Step-weighted means of `UpdateDiagnostics` over several `update` calls.
struct DiagnosticsWindow {
    private var sums = [Double](repeating: 0, count: 4), weights = [Double](repeating: 0, count: 4)

    mutating func add(_ d: UpdateDiagnostics) {
        let values = [d.meanQ, d.meanTarget, d.criticLoss, d.actorLoss]
        for (k, value) in values.enumerated() {
            guard let value else { continue }
            let w = Double(k == 3 ? d.actorSteps : d.steps)
            sums[k] += w * value
            weights[k] += w
        }
    }

    var mean: OfflineDiagnostics {
        func m(_ k: Int) -> Double? { weights[k] > 0 ? sums[k] / weights[k] : nil }
        return OfflineDiagnostics(meanQ: m(0), meanTarget: m(1), criticLoss: m(2), actorLoss: m(3))
    }
}

/// One point of an offline learning curve: the deterministic policy's value on held-out users (the simulator's
/// oracle view) after some gradient steps, and the updates' diagnostics since the previous point.
public struct OfflineCurvePoint: Codable, Sendable, Equatable {
    public var gradientSteps: Int
    public var updates: Int
    public var wallSeconds: Double
    public var heldOut: HeldOutEvaluation.Result
    public var diagnostics: OfflineDiagnostics

    public init(gradientSteps: Int, updates: Int, wallSeconds: Double, heldOut: HeldOutEvaluation.Result,
                diagnostics: OfflineDiagnostics) {
        self.gradientSteps = gradientSteps
        self.updates = updates
        self.wallSeconds = wallSeconds
        self.heldOut = heldOut
        self.diagnostics = diagnostics
    }
}

/// What an offline training run made and how well it does (`mtfsim train-offline --json` prints it).
public struct OfflineTrainingReport: Encodable, Sendable {
    public var agent: String
    public var environment: String
    /// How `heldOut` and the curve were measured: `OfflineTrainingRun.evaluationLabel`.
    public var evaluation = OfflineTrainingRun.evaluationLabel
    /// The seed of the world whose held-out users evaluate the policy (the first run's).
    public var evaluationWorldSeed: UInt64
    /// Seeds the learner and its mini-batches.
    public var seed: UInt64
    /// The policy checkpoint written, and its kind.
    public var checkpoint: String
    public var checkpointKind: String
    /// The logged runs learned from (log, run, behaviour policy, sessions, transitions kept).
    public var sources: [OfflineDataset.Source]
    /// Transitions in the dataset.
    public var transitions: Int
    /// Gradient steps asked for and taken.
    public var steps: Int
    /// The learner's own count of updates (critic updates for the actor-critics).
    public var updates: Int
    public var wallSeconds: Double
    /// The final policy's value (the curve's last point; simulator oracle, held-out users).
    public var heldOut: HeldOutEvaluation.Result
    /// The environment's baseline weights on the same held-out episodes (the curve's reference line).
    public var baseline: HeldOutEvaluation.Result?
    /// The updates' diagnostics over the last interval (mean Q on logged states and actions, …).
    public var diagnostics: OfflineDiagnostics
    public var curve: [OfflineCurvePoint]
    /// Mean, standard deviation and range of the logged rewards per transition, for reading the Q-values against.
    public var loggedReward: RewardSummary
    /// The behaviour's mean discounted return from the logged (s, a), Monte Carlo, in the critic's units: the
    /// reference for `diagnostics.meanQ` (`nil` when it cannot be computed; see `OfflineTrainingRun`).
    public var loggedDiscountedReturn: Double?
    /// The critic against the truth (simulator oracle): its `Q(s, π(s))` on the held-out states the final policy
    /// meets and on logged states, beside the discounted return that followed (`ValueAudit`); `nil` for a learner
    /// without a critic (BC).
    public var valueAudit: ValueAudit.Result?
    /// The learner's configuration as it encodes itself.
    public var configuration: TrainingReport.Configuration
    /// The box the learner acts in, raw units (`--action-box`, `--around`).
    public var actionBox: TrainingReport.Box

    /// Summary statistics of the logged per-transition rewards.
    public struct RewardSummary: Codable, Sendable, Equatable {
        public var mean: Double
        public var standardDeviation: Double
        public var minimum: Double
        public var maximum: Double

        init(_ s: RunningStatistics) {
            mean = s.mean
            standardDeviation = s.standardDeviation
            minimum = s.minimum
            maximum = s.maximum
        }
    }
}
