import Agents
import ArgumentParser
import Foundation

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

    @OptionGroup var environment: EnvironmentOptions

    @Option(help: ArgumentHelp("ddpg, td3, sac, or cem (fixed-weight search).", valueName: "name"))
    var agent: AgentKind

    @Option(help: ArgumentHelp("Environment steps (requests) to learn from.", valueName: "count"))
    var steps = 300_000

    @Option(help: ArgumentHelp("Gradient steps per collected transition.", valueName: "ratio"))
    var updatesPerStep = 0.125

    @OptionGroup var agentOptions: AgentOptions

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

    var settings: TrainingSettings {
        var s = TrainingSettings(agent: agentOptions.settings(kind: agent))
        s.steps = steps
        s.updatesPerStep = updatesPerStep
        s.evaluationInterval = evalInterval
        s.evaluationEpisodes = evalEpisodes
        s.cemPopulation = cemPopulation
        s.cemIterations = cemIterations
        s.cemEpisodes = cemEpisodes
        return s
    }

    func validate() throws {
        do {
            try settings.validate(logging: log != nil)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        let (world, text) = try environment.world()
        let training = TrainingRun(settings: settings, world: world, environmentText: text, seed: environment.seed,
                                   threads: environment.threads, checkpoint: out, log: log)
        let scale = training.progressScale
        let progress = ProgressReporter(total: scale.total, unit: scale.unit, enabled: !json)
        let report = try training.run(progress: { progress.update($0) }, note: { progress.note($0) }).report
        progress.finish()
        if json {
            print(try JSONOutput.encode(report, kind: "train"))
        } else {
            let value = report.heldOut.rewardPerUserDay
            print("\(agent.rawValue) on \(world.config.name) seed \(report.seed): \(report.environmentSteps) steps, "
                  + "\(report.updates) updates, \(String(format: "%.0f", report.wallSeconds)) s → \(report.checkpoint)")
            print("held-out users: reward/user/day \(SummaryText.fixed(value.mean, 2)) [\(SummaryText.fixed(value.lower, 2)), "
                  + "\(SummaryText.fixed(value.upper, 2))], reward/session \(SummaryText.fixed(report.heldOut.rewardPerSession, 2)), "
                  + "requests/session \(SummaryText.fixed(report.heldOut.requestsPerSession, 2))")
        }
    }
}

extension AgentKind: ExpressibleByArgument {}
