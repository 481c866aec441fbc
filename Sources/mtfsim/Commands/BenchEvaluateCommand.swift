import ArgumentParser
import Benchmarks
import Foundation
import Simulator

/// `mtfsim bench evaluate`: off-policy evaluation's speed phase by phase on a log of 10⁶ steps, against issue 14's
/// 5 s goal, and FQE's gradient steps/s (`EvaluationBenchmark`).
struct BenchEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Off-policy evaluation: seconds per phase of the per-request estimators on a 10⁶-step log, and FQE's gradient steps/s.",
        discussion: """
        The log: --log PATH when that file exists (reused as it is); otherwise a log of --policy (stochastic, with \
        densities) with at least --steps logged steps is simulated first (not timed) and written to PATH, kept for the \
        next run, or to a temporary directory that is removed. Then timed, phase by phase, as `mtfsim evaluate \
        --estimand per-request` runs them: reading the run from SQLite; the world and the targets; the reward model's \
        fit and q̂; per target (--stochastic-target, and --deterministic-target with its kernel by Scott's rule) its \
        log-densities, v̂ and weights, and every per-request estimator with its t-interval. Evaluating each target alone \
        (the shared phases and its own) and both together are compared with the 5 s goal, set for 10⁶ steps or more; \
        each phase's process CPU time is shown beside its wall time. `OffPolicyEvaluation.run` is then timed end to end \
        on the same log (skip with --no-end-to-end). FQE is timed apart: the offline dataset's load and --fqe-steps gradient steps per target.

        Examples:
          mtfsim bench evaluate --log logs/bench-evaluate.sqlite    # first run: writes it
          mtfsim bench evaluate --steps 100000 --fqe-steps 0 --json
        """
    )

    @Option(help: ArgumentHelp("Environment file or preset of a generated log.", valueName: "file"))
    var env = "environments/short-video.yaml"

    @Option(help: ArgumentHelp("Logged steps of a generated log, at least.", valueName: "count"))
    var steps = 1_000_000

    @Option(help: ArgumentHelp("Logging policy of a generated log (stochastic, with densities).", valueName: "spec"))
    var policy = "mixture"

    @Option(help: ArgumentHelp("Log to reuse, or where to write the generated one (default: a temporary file).", valueName: "path"))
    var log: String?

    @Option(help: ArgumentHelp("The stochastic target policy.", valueName: "spec"))
    var stochasticTarget = "gaussian:0.2"

    @Option(help: ArgumentHelp("The deterministic target policy (kernel-smoothed weights).", valueName: "spec"))
    var deterministicTarget = "baseline"

    @Option(help: ArgumentHelp("FQE gradient steps timed per target (0: skip FQE).", valueName: "count"))
    var fqeSteps = 200

    @Flag(inversion: .prefixedNo, help: "Also time OffPolicyEvaluation.run end to end.")
    var endToEnd = true

    @Option(help: ArgumentHelp("Worker threads: simulating a generated log, and evaluation's reward model and v̂.", valueName: "count"))
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Seed of a generated log.")
    var seed: UInt64 = 1

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard fqeSteps >= 0 else { throw ValidationError("--fqe-steps must be ≥ 0, got \(fqeSteps)") }
        guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
    }

    func run() throws {
        let (config, text) = try EnvironmentLoader.resolve(env)
        let benchmark = EvaluationBenchmark(config: config, environmentText: text, steps: steps, loggingPolicy: policy, log: log,
                                            stochasticTarget: stochasticTarget, deterministicTarget: deterministicTarget,
                                            fqeSteps: fqeSteps, endToEnd: endToEnd, threads: threads, seed: seed)
        let report = try benchmark.run { line in if !json { FileHandle.standardError.write(Data((line + "\n").utf8)) } }
        if json {
            print(try JSONOutput.encode(report))
            return
        }
        print("\(report.environment): \(report.steps) logged steps in \(report.episodes) complete episodes of \(report.loggingPolicy) "
              + "(log \(report.logBytes / 1_000_000) MB\(report.log.map { ", \($0)" } ?? ""))")
        print("reward model: \(report.rewardModelFeatures) features, \(report.rewardModelFolds) folds; OpenBLAS core "
              + "\(report.blasCore), \(report.blasThreads) thread\(report.blasThreads == 1 ? "" : "s")")
        func line(_ name: String, _ seconds: Double, _ phase: String) {
            let cpu = report.cpuSeconds[phase].map { String(format: " (CPU %.3f s)", $0) } ?? ""
            print("  " + name.padding(toLength: max(44, name.count), withPad: " ", startingAt: 0) + String(format: " %8.3f s", seconds) + cpu)
        }
        func verdict(_ seconds: Double) -> String {
            guard report.steps >= report.goalSteps else { return "set for \(report.goalSteps) steps or more" }
            return seconds < report.goalSeconds ? "met" : "missed"
        }
        line("read the run from SQLite", report.readSeconds, "read")
        line("world and targets", report.worldSeconds, "world")
        line("reward model: fit and q̂", report.rewardModelSeconds, "rewardModel")
        for (t, alone) in zip(report.targets, report.perTargetSeconds) {
            let kind = t.kind.rawValue
            print("  \(t.policy) (\(kind))")
            line("  log-densities", t.densitySeconds, "\(kind).density")
            line("  v̂ (action moments)", t.targetValueSeconds, "\(kind).targetValues")
            line("  weights", t.weightSeconds, "\(kind).weights")
            line("  \(t.estimates.count) estimators with t-intervals", t.estimatorSeconds, "\(kind).estimators")
            print(String(format: "  evaluating it alone (shared phases + its own): %.3f s (goal %.0f s: ", alone, report.goalSeconds)
                  + verdict(alone) + ")")
        }
        print(String(format: "total, both targets: %.3f s (goal %.0f s: ", report.totalSeconds, report.goalSeconds)
              + verdict(report.totalSeconds) + String(format: "); process CPU %.3f s", report.totalCPUSeconds))
        if let e = report.endToEndSeconds { print(String(format: "OffPolicyEvaluation.run end to end: %.3f s", e)) }
        if let f = report.fqe {
            print(String(format: "FQE: %d transitions loaded in %.3f s; ", f.transitions, f.loadSeconds)
                  + "critic \(f.hiddenSizes.map(String.init).joined(separator: "×")), batch \(f.batchSize)")
            for r in f.rates {
                print("  \(r.policy): " + String(format: "%.1f gradient steps/s (%d steps; setup %.3f s)", r.stepsPerSecond,
                                                   r.steps, r.setupSeconds))
            }
        }
    }
}
