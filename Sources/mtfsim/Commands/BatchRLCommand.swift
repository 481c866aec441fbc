import Agents
import ArgumentParser
import Foundation

/// `mtfsim batch-rl`: the iterated loop of offline learning and exploratory logging.
struct BatchRLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch-rl",
        abstract: "Iterate batch RL: log with exploration, train offline on every log so far, deploy, repeat.",
        discussion: """
        BatchRL-MTF (Zhang et al., KDD 2022) learns fusion weights in rounds. Round 0 logs \
        --sessions-per-round sessions of training users (the first 80% of user ids) under --exploration around \
        the baseline weights; every round then trains a fresh --agent offline (--steps-per-round gradient steps) on \
        every log so far and saves its policy; the next round logs under the same exploration around that policy \
        (spec KERNEL@DIR/round-k.ckpt), and so on. Rounds continue the episode numbering: fresh sessions of the \
        next training users.

        --exploration: mixture (BatchRL-MTF: half uniform in a box ±--exploration-box, half Gaussian with σ = \
        --exploration-sigma), box (uniform ±b, as UnifiedRL), or gaussian (σ). Defaults: the environment's logging \
        exploration (σ 0.1, box 0.15 on the presets), in normalised action units.

        Each round's policy is evaluated on held-out users: the SIMULATOR'S ORACLE VIEW (the true value), which a \
        production team would not have. Writes DIR/round-K.sqlite, DIR/round-K.ckpt (with its curve) for every \
        round and DIR/batch-rl.json; refuses a folder that already holds them.

        The learners:
        \(OfflineAgentOptions.learnerList)

        Example:
          mtfsim batch-rl --env tiny --agent bcq --rounds 4 --sessions-per-round 5000 --out-dir runs/batch-rl-tiny
        """
    )

    @OptionGroup var environment: EnvironmentOptions

    @Option(help: ArgumentHelp("The learner: bc, bcq, td3bc, iql, cql or td3.", valueName: "name"))
    var agent = "bcq"

    @Option(help: ArgumentHelp("Rounds of logging and training.", valueName: "count"))
    var rounds = 4

    @Option(help: ArgumentHelp("Sessions logged per round.", valueName: "count"))
    var sessionsPerRound = 5_000

    @Option(help: ArgumentHelp("Gradient steps of each round's learner.", valueName: "count"))
    var stepsPerRound = 50_000

    @Option(help: ArgumentHelp("Exploration around each round's policy: mixture, box or gaussian.", valueName: "kernel"))
    var exploration: BatchRLExploration.Kernel = .mixture

    @Option(help: ArgumentHelp("σ of the Gaussian (mixture, gaussian), normalised units (default: the environment's).", valueName: "sigma"))
    var explorationSigma: Float?

    @Option(help: ArgumentHelp("Half-width of the uniform box (mixture, box), normalised units (default: the environment's).", valueName: "b"))
    var explorationBox: Float?

    @Option(help: ArgumentHelp("Held-out episodes evaluating each round's policy.", valueName: "count"))
    var evalEpisodes = 128

    @Option(help: ArgumentHelp("Folder for the rounds' logs, checkpoints and batch-rl.json.", valueName: "dir"))
    var outDir: String

    @OptionGroup var learner: OfflineAgentOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let (world, text) = try environment.world()
        var settings = BatchRLSettings(agent: learner.settings(kind: try OfflineAgentOptions.kind(agent)))
        settings.rounds = rounds
        settings.sessionsPerRound = sessionsPerRound
        settings.stepsPerRound = stepsPerRound
        settings.exploration = BatchRLExploration(kernel: exploration, sigma: explorationSigma, boxHalfWidth: explorationBox, world: world)
        settings.evaluationEpisodes = evalEpisodes
        let loop = BatchRLLoop(settings: settings, world: world, environmentText: text, seed: environment.seed,
                               threads: environment.threads, directory: outDir)
        var current: (phase: String, reporter: ProgressReporter)?
        func report(_ p: BatchRLLoop.Progress) {
            let (phase, done, total, unit): (String, Int, Int, String) = switch p {
            case .logging(let k, let sessions): ("log \(k)", sessions, sessionsPerRound, "sessions")
            case .training(let k, let steps): ("train \(k)", steps, stepsPerRound, "steps")
            }
            if current?.phase != phase {
                current?.reporter.finish()
                current = (phase, ProgressReporter(total: total, unit: unit, enabled: !json))
            }
            current?.reporter.update(done)
        }
        let result: BatchRLReport
        do {
            result = try loop.run(progress: { report($0) }, note: { line in
                if let current { current.reporter.note(line) } else { printError(line) }
            })
        } catch {
            current?.reporter.finish()
            throw CommandFailure.oneLine(error)
        }
        current?.reporter.finish()
        if json {
            print(try JSONOutput.encode(result))
            return
        }
        let b = result.baseline.rewardPerUserDay
        print("\(result.agent) batch RL on \(result.environment), \(result.rounds.count) rounds of \(result.sessionsPerRound) sessions "
              + "under \(result.exploration) → \(loop.reportPath)")
        print("\(result.evaluation): reward/user/day")
        print("  baseline weights: \(SummaryText.fixed(b.mean, 2)) [\(SummaryText.fixed(b.lower, 2)), \(SummaryText.fixed(b.upper, 2))]")
        for r in result.rounds {
            let v = r.heldOut.rewardPerUserDay
            print("  round \(r.round) (\(r.transitions) transitions): \(SummaryText.fixed(v.mean, 2)) "
                  + "[\(SummaryText.fixed(v.lower, 2)), \(SummaryText.fixed(v.upper, 2))] → \(r.checkpoint)")
        }
    }
}
