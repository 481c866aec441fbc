import Agents
import ArgumentParser
import EpisodeLog
import Foundation
import Rollout
import Simulator

/// `mtfsim train`: learn fusion weights online in the simulator.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Learn a fusion policy online: DDPG, TD3 or SAC on batched simulator sessions, or a CEM search over fixed weights.",
        discussion: """
        Actor-critic agents (ddpg, td3, sac) observe each request's state (user features, session context, \
        feedback so far, candidate-prediction summary) and output the fusion weights. Training simulates rounds of \
        whole episodes of training users (the first 80% of user ids) with the agent's exploring behaviour policy, \
        learns from their transitions (--updates-per-step gradient steps per transition; γ = 0.95 per request, or \
        discounting by time with --discount-half-life-hours), and evaluates \
        the deterministic policy on held-out users (the last 20%) every --eval-interval steps: the learning curve, \
        printed and written next to the checkpoint as <out>.curve.csv.

        cem is the industry default: a cross-entropy search over one fixed weight vector, each candidate scored by \
        its reward per user-day on the same training-user episodes. Its result is saved as a state-free policy.

        Every policy checkpoint works wherever a policy is taken: `mtfsim simulate --policy models/td3.ckpt`, \
        `mtfsim compare --policies baseline,models/td3.ckpt`, `mtfsim replay LOG --resimulate --policy …`.
        With --log, every training episode is stored with its behaviour-policy fields (exploration σ, log-density, \
        policy version = the agent's update count) for batch RL and off-policy evaluation.

        Examples:
          mtfsim train --agent td3 --steps 300000 --seed 1 --out models/td3-seed1.ckpt
          mtfsim train --agent cem --seed 1 --out models/cem-seed1.ckpt
          mtfsim train --env tiny --agent sac --steps 50000 --log logs/sac-tiny.sqlite --out models/sac-tiny.ckpt
        """
    )

    enum AgentName: String, ExpressibleByArgument, CaseIterable {
        case ddpg, td3, sac, cem
    }

    @OptionGroup var environment: EnvironmentOptions

    @Option(help: ArgumentHelp("ddpg, td3, sac, or cem (fixed-weight search).", valueName: "name"))
    var agent: AgentName

    @Option(help: ArgumentHelp("Environment steps (requests) to learn from.", valueName: "count"))
    var steps = 300_000

    @Option(help: ArgumentHelp("Gradient steps per collected transition.", valueName: "ratio"))
    var updatesPerStep = 0.125

    @Option(help: ArgumentHelp("Hidden layer sizes of actor and critics, comma-separated.", valueName: "sizes"))
    var hidden = "128,128"

    @Option(help: "Learning rate of actor and critics.")
    var learningRate: Float = 3e-4

    @Option(help: ArgumentHelp("DDPG/TD3: σ of the Gaussian exploration, normalised action units.", valueName: "sigma"))
    var explorationSigma: Float = 0.1

    @Option(help: ArgumentHelp(
        "DDPG/TD3: λ of the L2 penalty on the actor's normalised actions (0: off).",
        discussion: """
        Adds λ·mean(a²) to the actor loss (HER's DDPG, Andrychowicz et al. 2017), which keeps the tanh actor off the \
        edges of the box, where its gradient vanishes and a DDPG actor can stay stuck.
        """,
        valueName: "lambda"))
    var actionPenalty: Float = 0

    @Option(help: ArgumentHelp(
        "SAC: the entropy the temperature is tuned to, nats in normalised action units (default −dim(A)).",
        discussion: """
        −dim(A) is the SAC paper's heuristic: about σ = 0.09 per dimension. A higher target keeps exploring wider \
        (0: σ ≈ 0.24). It must stay below dim(A)·log 2, the entropy of the uniform distribution on the box.
        """,
        valueName: "nats"))
    var targetEntropy: Float?

    @Option(help: ArgumentHelp("Discount γ per request (default 0.95; 1 with --discount-half-life-hours).", valueName: "gamma"))
    var discount: Float?

    @Option(help: ArgumentHelp(
        "Also discount by time: the next request's value counts 2^(−hours/H) (0: per request only).",
        discussion: """
        Time is the simulator's clock: a request's browsing and watching, plus the idle gap when the session ended. \
        A per-request discount cannot see that a user who leaves early loses the rest of the session, or that one \
        who returns sooner has more sessions per day; with a half-life of hours the value follows reward per \
        user-day instead.
        """,
        valueName: "H"))
    var discountHalfLifeHours: Float = 0

    @Option(help: ArgumentHelp(
        "Act in a box of this half-width around the baseline weights (normalised units; 1: the whole box).",
        discussion: "A residual action space: the agent adjusts the production weights instead of searching the whole box.",
        valueName: "h"))
    var actionBox: Float = 1

    @Option(help: ArgumentHelp(
        "With --action-box: centre the box on these fixed weights instead of the baseline.",
        discussion: "A fixed: spec or a cem checkpoint, e.g. the production weights a CEM search found; the agent then learns state-dependent adjustments to them.",
        valueName: "policy"))
    var around: String?

    @Option(help: ArgumentHelp("Evaluate on held-out users every this many steps.", valueName: "count"))
    var evalInterval = 50_000

    @Option(help: ArgumentHelp("Held-out episodes per evaluation.", valueName: "count"))
    var evalEpisodes = 128

    @Option(help: ArgumentHelp("CEM: candidates per iteration.", valueName: "count"))
    var cemPopulation = 16

    @Option(help: ArgumentHelp("CEM: iterations.", valueName: "count"))
    var cemIterations = 8

    @Option(help: ArgumentHelp("CEM: training-user episodes scoring each candidate.", valueName: "count"))
    var cemEpisodes = 64

    @Option(help: ArgumentHelp("Episode log to store every training episode in (a new file).", valueName: "path"))
    var log: String?

    @Option(help: ArgumentHelp("Policy checkpoint to write (default: models/<agent>-<environment>-seed<S>.ckpt).", valueName: "path"))
    var out: String?

    @Flag(help: "Print the training summary as JSON.")
    var json = false

    func validate() throws {
        guard steps > 0, updatesPerStep >= 0, evalInterval > 0, evalEpisodes > 0, learningRate > 0, explorationSigma > 0,
              actionBox > 0, actionBox <= 1,
              cemPopulation > 1, cemIterations > 0, cemEpisodes > 0 else {
            throw ValidationError("--steps, --eval-interval, --eval-episodes, --learning-rate and the --cem-* options must be positive")
        }
        guard discountHalfLifeHours >= 0, discountHalfLifeHours.isFinite else {
            throw ValidationError("--discount-half-life-hours must be a non-negative number of hours (0: per request only)")
        }
        if let discount, !(discount > 0 && (discount < 1 || discount == 1 && discountHalfLifeHours > 0)) {
            throw ValidationError("--discount must be in (0, 1), or (0, 1] with --discount-half-life-hours; got \(discount)")
        }
        _ = try TrainRankerCommand.sizes(hidden, option: "--hidden")
        if agent == .cem && log != nil { throw ValidationError("--log stores actor-critic training episodes; cem has none") }
        guard actionPenalty >= 0, actionPenalty.isFinite else { throw ValidationError("--action-penalty must be a non-negative number") }
        if actionPenalty > 0 && !(agent == .ddpg || agent == .td3) {
            throw ValidationError("--action-penalty acts on DDPG's and TD3's deterministic actor; \(agent.rawValue) has none")
        }
        if let targetEntropy {
            guard agent == .sac else { throw ValidationError("--target-entropy sets SAC's temperature target; \(agent.rawValue) has none") }
            guard targetEntropy.isFinite else { throw ValidationError("--target-entropy must be a finite number of nats") }
        }
        if around != nil && actionBox >= 1 { throw ValidationError("--around centres the residual box: give --action-box below 1") }
    }

    func run() throws {
        let (world, text) = try environment.world()
        let ranker = OracleNoiseRanker(config: world.config)
        let seed = environment.seed
        let path = out ?? "models/\(agent.rawValue)-\(world.config.name)-seed\(seed).ckpt"
        try createParentDirectory(of: path)
        let started = Date()
        let result: TrainingReport
        if agent == .cem {
            result = try searchFixedWeights(world: world, ranker: ranker, seed: seed, path: path)
        } else {
            var options = OnlineTrainingOptions()
            options.environmentSteps = steps
            options.updatesPerStep = updatesPerStep
            options.evaluationInterval = evalInterval
            options.evaluationEpisodes = evalEpisodes
            options.seed = seed
            options.threads = environment.threads
            let centre = try around.map { try PolicyResolver.fixedWeights($0, world: world) }
            let env = AgentEnvironment(stateNames: world.stateLayout.names,
                                       actionSpace: actionBox < 1 ? world.actionSpace.restricted(toHalfWidth: actionBox, around: centre)
                                                                  : world.actionSpace)
            func configure<C: AgentConfiguration>(_ c: inout C) throws {
                c.actorCritic.hiddenSizes = try TrainRankerCommand.sizes(hidden, option: "--hidden")
                c.actorCritic.actorLearningRate = learningRate
                c.actorCritic.criticLearningRate = learningRate
                c.actorCritic.explorationSigma = explorationSigma
                c.actorCritic.discount = discount ?? (discountHalfLifeHours > 0 ? 1 : 0.95)
                c.actorCritic.discountHalfLifeHours = discountHalfLifeHours
                c.actorCritic.actionPenalty = actionPenalty
            }
            switch agent {
            case .ddpg:
                var c = DDPGConfiguration()
                try configure(&c)
                result = try train(DDPGAgent(environment: env, configuration: c, seed: seed), world: world, text: text,
                                   ranker: ranker, options: options, path: path)
            case .td3:
                var c = TD3Configuration()
                try configure(&c)
                result = try train(TD3Agent(environment: env, configuration: c, seed: seed), world: world, text: text,
                                   ranker: ranker, options: options, path: path)
            case .sac:
                var c = SACConfiguration()
                try configure(&c)
                c.targetEntropy = targetEntropy
                result = try train(SACAgent(environment: env, configuration: c, seed: seed), world: world, text: text,
                                   ranker: ranker, options: options, path: path)
            case .cem:
                preconditionFailure("handled above")
            }
        }
        var report = result
        report.wallSeconds = Date().timeIntervalSince(started)
        try Self.writeCurve(report.curve, to: Self.curvePath(for: path))
        if json {
            print(try JSONOutput.encode(report))
        } else {
            let value = report.heldOut.rewardPerUserDay
            print("\(agent.rawValue) on \(world.config.name) seed \(seed): \(report.environmentSteps) steps, "
                  + "\(report.updates) updates, \(String(format: "%.0f", report.wallSeconds)) s → \(path)")
            print("held-out users: reward/user/day \(SummaryText.fixed(value.mean, 2)) [\(SummaryText.fixed(value.lower, 2)), "
                  + "\(SummaryText.fixed(value.upper, 2))], reward/session \(SummaryText.fixed(report.heldOut.rewardPerSession, 2)), "
                  + "requests/session \(SummaryText.fixed(report.heldOut.requestsPerSession, 2))")
        }
    }

    /// Online actor-critic training, with the log and progress wired in.
    func train<A: Agent>(_ agent: A, world: World, text: String, ranker: any Ranker, options: OnlineTrainingOptions,
                         path: String) throws -> TrainingReport {
        var training = OnlineTraining(agent: agent, world: world, ranker: ranker, options: options)
        var writer: EpisodeLogWriter? = nil
        if let log {
            try createParentDirectory(of: log)
            writer = try EpisodeLogFile.create(path: log)
            let behaviour = agent.behaviourPolicy()
            var metadata = SimulationLog.metadata(name: "train-\(A.name)-seed\(options.seed)", world: world,
                                                  environmentText: text, seed: options.seed, policy: behaviour,
                                                  ranker: ranker, sessions: 0, lanes: options.lanes, logCandidates: false)
            metadata.policySpec = "train:\(A.name)"
            metadata.policyParameters = String(decoding: try JSONEncoder().encode(agent.configuration), as: UTF8.self)
            try writer!.beginRun(metadata)
        }
        let progress = ProgressReporter(total: options.environmentSteps, unit: "steps", enabled: !json)
        do {
            try training.run(sessions: { sessions in try writer?.append(sessions: sessions) },
                             progress: { progress.update($0) },
                             evaluated: { point in
                                 let v = point.heldOut.rewardPerUserDay
                                 progress.note("steps \(point.environmentSteps), updates \(point.updates): held-out reward/user/day "
                                               + "\(SummaryText.fixed(v.mean, 2)) [\(SummaryText.fixed(v.lower, 2)), "
                                               + "\(SummaryText.fixed(v.upper, 2))]")
                             })
        } catch {
            try? writer?.finishRun(status: .interrupted)
            try? writer?.close()
            throw error
        }
        progress.finish()
        try writer?.finishRun()
        try writer?.close()
        let policy = training.agent.evaluationPolicy()
        try policy.save(to: URL(fileURLWithPath: path))
        let last = training.curve.last!
        var report = TrainingReport(agent: A.name, environment: world.config.name, seed: options.seed, checkpoint: path,
                                    environmentSteps: training.environmentSteps, updates: training.agent.updateCount,
                                    wallSeconds: 0, heldOut: last.heldOut, curve: training.curve, fixedWeights: nil)
        report.configuration = TrainingReport.Settings(agent.configuration)
        report.actionBox = TrainingReport.Box(low: agent.environment.actionSpace.low, high: agent.environment.actionSpace.high)
        return report
    }

    /// The CEM search over fixed weights, its result evaluated on held-out users like a learned policy.
    func searchFixedWeights(world: World, ranker: any Ranker, seed: UInt64, path: String) throws -> TrainingReport {
        var configuration = CrossEntropyMethodConfiguration()
        configuration.populationSize = cemPopulation
        configuration.iterations = cemIterations
        let search = FixedWeightSearch(world: world, ranker: ranker, configuration: configuration, episodes: cemEpisodes,
                                       seed: seed, threads: environment.threads)
        let progress = ProgressReporter(total: cemIterations, unit: "iterations", enabled: !json)
        let (mean, steps) = try search.run { iteration in
            progress.update(iteration.index + 1)
            progress.note("iteration \(iteration.index + 1): mean candidate \(SummaryText.fixed(iteration.meanValue, 2)), "
                          + "elite \(SummaryText.fixed(iteration.eliteMeanValue, 2)) reward/user/day (training users)")
        }
        progress.finish()
        let policy = FixedWeightSearch.constantPolicy(mean, environment: AgentEnvironment(world: world), agentName: "cem")
        try policy.save(to: URL(fileURLWithPath: path))
        let evaluation = HeldOutEvaluation(world: world, ranker: ranker, seed: OnlineTraining<TD3Agent>.evaluationSeed,
                                           episodes: evalEpisodes, threads: environment.threads)
        let heldOut = evaluation.evaluate(policy)
        return TrainingReport(agent: "cem", environment: world.config.name, seed: seed, checkpoint: path,
                              environmentSteps: steps, updates: 0, wallSeconds: 0, heldOut: heldOut,
                              curve: [LearningCurvePoint(environmentSteps: steps, updates: 0, wallSeconds: 0, heldOut: heldOut)],
                              fixedWeights: world.actionSpace.denormalize(mean))
    }

    static func curvePath(for checkpoint: String) -> String {
        (checkpoint.hasSuffix(".ckpt") ? String(checkpoint.dropLast(5)) : checkpoint) + ".curve.csv"
    }

    static func writeCurve(_ curve: [LearningCurvePoint], to path: String) throws {
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
}

/// What `mtfsim train --json` prints.
struct TrainingReport: Encodable {
    var agent: String
    var environment: String
    var seed: UInt64
    var checkpoint: String
    /// Requests simulated for learning (for CEM: scoring every candidate).
    var environmentSteps: Int
    var updates: Int
    var wallSeconds: Double
    var heldOut: HeldOutEvaluation.Result
    var curve: [LearningCurvePoint]
    /// CEM's weights in raw units.
    var fixedWeights: [Float]?
    /// The actor-critic's configuration as it encodes itself, so that the report says how the checkpoint was made.
    var configuration: Settings?
    /// The box the actor-critic acted in, raw units (`--action-box`, `--around`).
    var actionBox: Box?

    struct Settings: Encodable {
        let value: any Encodable
        init(_ value: any Encodable) { self.value = value }
        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
    }

    struct Box: Encodable {
        var low: [Float]
        var high: [Float]
    }
}
