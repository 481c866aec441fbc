import Agents
import ArgumentParser
import Foundation

/// `mtfsim train-offline`: learn a fusion policy from episode logs alone (batch RL).
struct TrainOfflineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-offline",
        abstract: "Learn a fusion policy offline from episode logs: BC, BCQ, TD3+BC, IQL, CQL, or unconstrained TD3.",
        discussion: """
        Industrial RL-MTF learns from logs: a behaviour policy explores around the production weights, the \
        episodes are logged (`mtfsim simulate --policy mixture --log …`), and a learner trains on the transitions \
        without ever acting. Off-policy TD learning then bootstraps from actions the log never tried, whose \
        Q-values nothing corrects (extrapolation error, Fujimoto et al. 2019); the batch-constrained learners keep \
        the policy near the logged actions. The learners, each with its paper's hyper-parameters as defaults:

        \(OfflineAgentOptions.learnerList)

        The dataset is every transition of the chosen runs (--run, default all) of every --log; they must share one \
        environment, state layout and action box. Training takes --steps gradient steps; every --eval-interval \
        steps the deterministic policy is evaluated on --eval-episodes whole episodes of the held-out users (the \
        last 20% of user ids) of the first run's world, rebuilt from its log. That evaluation is the SIMULATOR'S \
        ORACLE VIEW, labelled "simulator oracle (held-out users)" in the text, the curve and the JSON: a production \
        team would not have it, only the log. Beside it: the critic's mean Q on the logged states and actions, \
        and the behaviour's discounted return from them (Monte Carlo over the log) that it is read against: \
        offline TD3's Q climbs past it, the constrained learners' should not.

        Writes the policy checkpoint (--out, loadable wherever a policy is taken: `simulate --policy`, `compare \
        --policies`, `replay --resimulate`) and the learning curve next to it as <out>.curve.csv. A refusal writes \
        nothing.

        Examples:
          mtfsim simulate --env tiny --policy mixture --sessions 5000 --log logs/tiny-mixture.sqlite
          mtfsim train-offline --agent bcq --log logs/tiny-mixture.sqlite --steps 50000 --out models/bcq-tiny.ckpt
          mtfsim train-offline --agent td3 --log logs/a.sqlite --log logs/b.sqlite --steps 100000 --json --out models/td3-offline.ckpt
        """
    )

    @Option(help: ArgumentHelp("The learner: bc, bcq, td3bc, iql, cql or td3 (see above).", valueName: "name"))
    var agent: String

    @Option(name: .customLong("log"), help: ArgumentHelp("Episode log to learn from (repeat for several).", valueName: "path"))
    var logs: [String] = []

    @Option(name: .customLong("run"), help: ArgumentHelp("Run id to read from every log (repeat; default: every run).", valueName: "id"))
    var runs: [Int] = []

    @Option(help: ArgumentHelp("Gradient steps (mini-batches) to train for.", valueName: "count"))
    var steps: Int

    @Option(help: ArgumentHelp("Policy checkpoint to write.", valueName: "path"))
    var out: String

    @Option(help: "Seed of the learner's weights and mini-batches; same seed, same checkpoint.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Worker threads of the evaluation (results do not depend on it).", valueName: "count"))
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Evaluate on held-out users (simulator oracle) every this many gradient steps.", valueName: "count"))
    var evalInterval = 10_000

    @Option(help: ArgumentHelp("Held-out episodes per evaluation.", valueName: "count"))
    var evalEpisodes = 128

    @OptionGroup var learner: OfflineAgentOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
    }

    func run() throws {
        var settings = OfflineTrainingSettings(agent: learner.settings(kind: try OfflineAgentOptions.kind(agent)))
        settings.steps = steps
        settings.evaluationInterval = evalInterval
        settings.evaluationEpisodes = evalEpisodes
        let training = OfflineTrainingRun(settings: settings, logs: logs, runs: runs, seed: seed, threads: threads, checkpoint: out)
        let progress = ProgressReporter(total: steps, unit: "steps", enabled: !json)
        let report: OfflineTrainingReport
        do {
            report = try training.run(progress: { progress.update($0) }, note: { progress.note($0) }).report
        } catch {
            progress.finish()
            throw CommandFailure.oneLine(error)
        }
        progress.finish()
        if json {
            print(try JSONOutput.encode(report, kind: "train-offline"))
            return
        }
        let value = report.heldOut.rewardPerUserDay
        let logCount = Set(report.sources.map(\.log)).count
        print("\(report.agent) on \(report.environment): \(report.sources.count) run(s) of \(logCount) log(s), "
              + "\(report.transitions) transitions, \(report.steps) gradient steps, "
              + "\(String(format: "%.0f", report.wallSeconds)) s → \(report.checkpoint)")
        print("\(report.evaluation), world seed \(report.evaluationWorldSeed): reward/user/day "
              + "\(SummaryText.fixed(value.mean, 2)) [\(SummaryText.fixed(value.lower, 2)), \(SummaryText.fixed(value.upper, 2))], "
              + "reward/session \(SummaryText.fixed(report.heldOut.rewardPerSession, 2)), "
              + "requests/session \(SummaryText.fixed(report.heldOut.requestsPerSession, 2))")
        if let q = report.diagnostics.meanQ {
            let reference = report.loggedDiscountedReturn.map { "; the behaviour's discounted return from them (Monte Carlo): "
                + SummaryText.fixed($0, 2) } ?? ""
            print("mean Q on logged (s, a): \(SummaryText.fixed(q, 2))\(reference)")
        }
        print("(the simulator's oracle view: a production team has only the log)")
    }
}
