import EpisodeLog
import Foundation
import Numerics
import Rollout
import Simulator

/// The exploration that batch RL logs with, around a centre policy: BatchRL-MTF's 50/50 mixture of a uniform box and
/// a Gaussian (Zhang et al., KDD 2022, §4.2), a uniform box ±b (UnifiedRL, Tencent 2024), or a Gaussian. σ and b are
/// in normalised units of the logged box.
public struct BatchRLExploration: Codable, Sendable, Equatable {
    public enum Kernel: String, Codable, Sendable, CaseIterable {
        case mixture, box, gaussian
    }

    public var kernel: Kernel
    /// σ of the Gaussian (mixture, gaussian).
    public var sigma: Float
    /// Half-width b of the uniform box (mixture, box).
    public var boxHalfWidth: Float

    public init(kernel: Kernel = .mixture, sigma: Float = 0.1, boxHalfWidth: Float = 0.15) {
        self.kernel = kernel
        self.sigma = sigma
        self.boxHalfWidth = boxHalfWidth
    }

    /// The kernel with the environment's logging defaults (`policies.explorationSigma`, `policies.boxHalfWidth`)
    /// where `sigma` or `boxHalfWidth` is `nil`.
    public init(kernel: Kernel, sigma: Float?, boxHalfWidth: Float?, world: World) {
        self.init(kernel: kernel, sigma: sigma ?? Float(world.config.policies.explorationSigma),
                  boxHalfWidth: boxHalfWidth ?? Float(world.config.policies.boxHalfWidth))
    }

    /// The spec without its centre: `mixture:σ,b`, `box:b` or `gaussian:σ`.
    public var kernelSpec: String {
        switch kernel {
        case .mixture: "mixture:\(sigma),\(boxHalfWidth)"
        case .box: "box:\(boxHalfWidth)"
        case .gaussian: "gaussian:\(sigma)"
        }
    }

    /// The policy spec of this exploration around `centre` (raw weights `w1,…`, or a policy checkpoint's path), as
    /// `PolicyResolver.resolve` takes it.
    public func spec(around centre: String) -> String { "\(kernelSpec)@\(centre)" }

    /// Throws when σ or b is out of range, naming `batch-rl`'s options.
    public func validate() throws(SettingsError) {
        guard sigma > 0, sigma.isFinite else { throw SettingsError("--exploration-sigma must be positive, got \(sigma)") }
        guard boxHalfWidth > 0, boxHalfWidth <= 1 else {
            throw SettingsError("--exploration-box must be in (0, 1], got \(boxHalfWidth)")
        }
    }
}

/// Everything `mtfsim batch-rl` takes besides the folder, seed and threads.
public struct BatchRLSettings: Codable, Sendable, Equatable {
    public var agent: OfflineAgentSettings
    /// Rounds: each logs `sessionsPerRound` sessions, then trains on every log so far.
    public var rounds = 4
    public var sessionsPerRound = 5_000
    /// Gradient steps of each round's learner (trained afresh on every log so far).
    public var stepsPerRound = 50_000
    public var exploration = BatchRLExploration()
    /// Held-out episodes evaluating each round's policy.
    public var evaluationEpisodes = 128

    public init(agent: OfflineAgentSettings) {
        self.agent = agent
    }

    public init(kind: OfflineAgentKind = .bcq) {
        self.init(agent: OfflineAgentSettings(kind: kind))
    }

    public func validate() throws(SettingsError) {
        guard rounds > 0, sessionsPerRound > 0, stepsPerRound > 0, evaluationEpisodes > 0 else {
            throw SettingsError("--rounds, --sessions-per-round, --steps-per-round and --eval-episodes must be positive")
        }
        try exploration.validate()
        try agent.validate()
    }
}

/// The iterated batch-RL loop of BatchRL-MTF (Zhang et al., KDD 2022, §4): log with exploration around the deployed
/// policy, train a conservative learner offline on every log so far, deploy its policy with the same exploration
/// around it, and repeat.
///
/// Round `k` (from 0):
/// 1. logs `sessionsPerRound` sessions of training users (`UserPool.training`) to `DIR/round-k.sqlite` under
///    `exploration` around the baseline weights (round 0) or around `DIR/round-(k−1).ckpt` (later rounds);
/// 2. trains a fresh learner on the logs of rounds 0…k (`OfflineTrainingRun`, `stepsPerRound` gradient steps) and
///    saves its deterministic policy as `DIR/round-k.ckpt`;
/// 3. evaluates that policy on held-out users (the simulator's oracle view, the same users and streams in every
///    round, so that rounds compare under common random numbers).
/// The last round's policy has learnt from `rounds × sessionsPerRound` sessions, as one-shot training on a log of
/// that size would.
///
/// Rounds continue the episode numbering, as online training's collection rounds do: every round's sessions are
/// fresh draws (each episode has its own keyed streams), of the next training users in id order, cycling through the
/// training users when a run needs more episodes than there are of them. The world and the logs' seed are the run's
/// seed; each round's learner is seeded from it and the round. Deterministic: the same settings and seed write the
/// same logs and checkpoints, for any thread count.
public struct BatchRLLoop: Sendable {
    /// Episodes simulated per chunk while a round logs (fixed, so that rounds start at the same episode whatever
    /// the thread count).
    public static let episodesPerChunk = 128

    public var settings: BatchRLSettings
    public var world: World
    /// The environment file's text, recorded in every log.
    public var environmentText: String
    public var ranker: any Ranker
    public var seed: UInt64
    public var threads: Int
    /// The folder of the rounds' logs, checkpoints and `batch-rl.json`.
    public var directory: String
    /// Resolves a round's exploration spec (`KERNEL@weights` or `KERNEL@round-k.ckpt`) to its policy.
    public var resolve: @Sendable (String, World) throws -> any FusionPolicy

    public init(settings: BatchRLSettings, world: World, environmentText: String, seed: UInt64, threads: Int,
                directory: String, ranker: (any Ranker)? = nil,
                resolve: @escaping @Sendable (String, World) throws -> any FusionPolicy = { try PolicyResolver.resolve($0, world: $1) }) {
        self.settings = settings
        self.world = world
        self.environmentText = environmentText
        self.seed = seed
        self.threads = threads
        self.directory = directory
        self.ranker = ranker ?? OracleNoiseRanker(config: world.config)
        self.resolve = resolve
    }

    public func logPath(round k: Int) -> String { (directory as NSString).appendingPathComponent("round-\(k).sqlite") }
    public func checkpointPath(round k: Int) -> String { (directory as NSString).appendingPathComponent("round-\(k).ckpt") }
    public var reportPath: String { (directory as NSString).appendingPathComponent("batch-rl.json") }

    /// The seed of round `k`'s learner.
    public func learnerSeed(round k: Int) -> UInt64 {
        RandomStream.derivedSeed(seed, [streamKey("batch-rl-learner"), UInt64(k)])
    }

    /// Where a run is.
    public enum Progress: Sendable, Equatable {
        /// Round `round` has logged `sessions` of its sessions.
        case logging(round: Int, sessions: Int)
        /// Round `round`'s learner has taken `steps` of its gradient steps.
        case training(round: Int, steps: Int)
    }

    /// Runs every round and writes `batch-rl.json`.
    ///
    /// - Parameters:
    ///   - progress: sessions logged and gradient steps taken in the current round.
    ///   - note: one line per finished phase, for people.
    /// - Throws: `SettingsError` for settings refused (before anything is written), `OfflineRunError` when the
    ///   folder already holds a run, and the errors of resolving the exploration, logging, training and writing.
    public func run(progress: (Progress) throws -> Void = { _ in }, note: (String) throws -> Void = { _ in }) throws -> BatchRLReport {
        try settings.validate()
        _ = try settings.agent.environment(in: world)
        let files = (0..<settings.rounds).flatMap { [logPath(round: $0), checkpointPath(round: $0)] } + [reportPath]
        if let existing = files.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            throw OfflineRunError("\(existing) already exists: batch-rl writes its rounds into a new or empty folder")
        }
        let clock = ContinuousClock(), start = clock.now
        let evaluation = HeldOutEvaluation(world: world, ranker: ranker, seed: HeldOutEvaluation.trainingSeed,
                                           episodes: settings.evaluationEpisodes, threads: threads)
        let space = world.actionSpace
        let baseline = evaluation.evaluate(FixedPolicy(action: space.baseline, actionSpace: space))
        let baselineWeights = space.baseline.map { "\($0)" }.joined(separator: ",")
        var report = BatchRLReport(agent: settings.agent.kind.rawValue, environment: world.config.name, seed: seed,
                                   exploration: settings.exploration.kernelSpec, sessionsPerRound: settings.sessionsPerRound,
                                   stepsPerRound: settings.stepsPerRound, baseline: baseline, rounds: [], wallSeconds: 0)
        var episode = 0
        for k in 0..<settings.rounds {
            let spec = settings.exploration.spec(around: k == 0 ? baselineWeights : checkpointPath(round: k - 1))
            let behaviour = try resolve(spec, world)
            let logged = try log(round: k, behaviour: behaviour, firstEpisode: episode, progress: progress)
            try note("round \(k): logged \(logged.sessions) sessions (episodes \(episode)..<\(episode + logged.episodes)) "
                     + "under \(spec) → \(logPath(round: k))")
            var training = OfflineTrainingSettings(agent: settings.agent)
            training.steps = settings.stepsPerRound
            training.evaluationInterval = settings.stepsPerRound
            training.evaluationEpisodes = settings.evaluationEpisodes
            let trainingRun = OfflineTrainingRun(settings: training, logs: (0...k).map { logPath(round: $0) },
                                                 seed: learnerSeed(round: k), threads: threads,
                                                 checkpoint: checkpointPath(round: k))
            let trained = try trainingRun.run(progress: { try progress(.training(round: k, steps: $0)) }).report
            let v = trained.heldOut.rewardPerUserDay
            try note("round \(k): \(trained.agent) on \(trained.transitions) transitions → \(trained.checkpoint); "
                     + "\(OfflineTrainingRun.evaluationLabel) reward/user/day \(TrainingRun.fixed(v.mean)) "
                     + "[\(TrainingRun.fixed(v.lower)), \(TrainingRun.fixed(v.upper))]")
            report.rounds.append(.init(round: k, behaviourPolicy: spec, log: logPath(round: k), sessions: logged.sessions,
                                       firstEpisode: episode, episodes: logged.episodes, transitions: trained.transitions,
                                       checkpoint: trained.checkpoint, learnerSeed: trainingRun.seed,
                                       heldOut: trained.heldOut, diagnostics: trained.diagnostics,
                                       loggedDiscountedReturn: trained.loggedDiscountedReturn,
                                       trainingSeconds: trained.wallSeconds))
            episode += logged.episodes
        }
        report.wallSeconds = (clock.now - start).seconds
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(report).write(to: URL(fileURLWithPath: reportPath), options: .atomic)
        return report
    }

    /// Logs round `k`: whole episodes of training users from `firstEpisode` on, in chunks, until `sessionsPerRound`
    /// sessions (the first ones in (episode, session) order); returns the sessions logged and the episodes used.
    func log(round k: Int, behaviour: any FusionPolicy, firstEpisode: Int,
             progress: (Progress) throws -> Void) throws -> (sessions: Int, episodes: Int) {
        let target = settings.sessionsPerRound, lanes = 64
        let metadata = SimulationLog.metadata(name: "batch-rl-round-\(k)", world: world, environmentText: environmentText,
                                              seed: seed, policy: behaviour, ranker: ranker, sessions: target, lanes: lanes,
                                              logCandidates: false)
        let simulation = Simulation(world: world, ranker: ranker, policy: behaviour, seed: seed, users: .training,
                                    policyVersion: k)
        return try LoggedRun.create(path: logPath(round: k), metadata: metadata).record { logged in
            var sessions = 0, episode = firstEpisode
            while sessions < target {
                let chunk = episode..<(episode + Self.episodesPerChunk)
                let records = simulation.episodes(chunk, threads: threads, lanes: lanes, trace: true)
                let kept = Array(records.prefix(target - sessions))
                try logged.append(kept)
                sessions += kept.count
                episode = chunk.upperBound
                try progress(.logging(round: k, sessions: sessions))
            }
            return (sessions, episode - firstEpisode)
        }
    }
}

/// What `mtfsim batch-rl` did, round by round (`DIR/batch-rl.json`, and `--json`).
public struct BatchRLReport: Codable, Sendable {
    public var agent: String
    public var environment: String
    public var seed: UInt64
    /// The exploration kernel around each round's centre (`mixture:σ,b`, `box:b`, `gaussian:σ`).
    public var exploration: String
    public var sessionsPerRound: Int
    public var stepsPerRound: Int
    /// How every value here was measured: `OfflineTrainingRun.evaluationLabel`.
    public var evaluation = OfflineTrainingRun.evaluationLabel
    /// The baseline weights (round 0's centre) on the same held-out users.
    public var baseline: HeldOutEvaluation.Result
    public var rounds: [Round]
    public var wallSeconds: Double

    /// One round: what it logged, what it trained, and its policy's value.
    public struct Round: Codable, Sendable, Equatable {
        public var round: Int
        /// The exploration policy it logged with.
        public var behaviourPolicy: String
        public var log: String
        public var sessions: Int
        /// The training users' episodes it logged: `firstEpisode ..< firstEpisode + episodes`.
        public var firstEpisode: Int
        public var episodes: Int
        /// Transitions the learner trained on (every log so far).
        public var transitions: Int
        public var checkpoint: String
        public var learnerSeed: UInt64
        /// The checkpoint's deterministic policy on held-out users (simulator oracle).
        public var heldOut: HeldOutEvaluation.Result
        /// The learner's diagnostics over its last stretch of gradient steps.
        public var diagnostics: OfflineDiagnostics
        /// The behaviour's mean discounted return from the logged (s, a) of every log so far (Monte Carlo), the
        /// reference for `diagnostics.meanQ`.
        public var loggedDiscountedReturn: Double?
        public var trainingSeconds: Double
    }
}
