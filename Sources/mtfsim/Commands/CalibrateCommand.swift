import ArgumentParser
import Foundation
import Rollout

/// `mtfsim calibrate`: the simulated statistics beside the environment's real-world targets.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Compare simulated rates, session depth, return gaps and ranker AUCs with the environment's targets.",
        discussion: """
        Runs the environment under its logging-like policy (default: `mixture`, BatchRL-MTF's exploration around \
        the baseline weights) and prints every calibration target of the environment file (for short-video: \
        KuaiRand-1K per-impression rates and response-model AUCs, KuaiRand-27K sessions and gaps) beside the \
        simulated value and the relative error. Exits with status 1 if any target is outside its tolerance.
        """
    )

    @OptionGroup var environment: EnvironmentOptions
    @OptionGroup var policyOption: PolicyOption

    @Option(help: ArgumentHelp("Sessions to simulate (≥ 2,000 gives ≥ 10⁵ impressions on short-video).", valueName: "count"))
    var sessions = 3_000

    @Flag(help: "Print the comparison as JSON.")
    var json = false

    func validate() throws {
        guard sessions > 0 else { throw ValidationError("--sessions must be positive, got \(sessions)") }
    }

    func run() throws {
        let (world, _) = try environment.world()
        guard world.config.calibration != nil else {
            throw ValidationError("\(environment.env) has no calibration targets (add a `calibration:` section)")
        }
        let policy = try policyOption.parse(world: world)
        let progress = ProgressReporter(total: sessions, unit: "sessions", enabled: !json)
        let report = Calibration.run(world: world, policy: policy, seed: environment.seed, sessions: sessions,
                                     threads: environment.threads, progress: { progress.update($0) })
        progress.finish()
        let rows = report.rows
        if json {
            print(try JSONOutput.encode(report))
        } else {
            print("\(report.environment) · seed \(report.seed) · policy \(report.policy) · \(report.sessions) sessions, \(report.impressions) impressions")
            let width = max(rows.map(\.label.count).max() ?? 0, 6)
            print("target".padding(toLength: width, withPad: " ", startingAt: 0) + "        real   simulated   rel.error  tolerance")
            for row in rows {
                print(row.label.padding(toLength: width, withPad: " ", startingAt: 0)
                      + String(format: " %11.5g %11.5g %+10.1f%% %9.0f%%  ", row.target, row.simulated,
                               100 * row.relativeError, 100 * row.tolerance)
                      + (row.withinTolerance ? "ok" : "OUT")
                      + (row.ceiling.map { String(format: "  (ceiling %.4f)", $0) } ?? ""))
            }
            if let source = world.config.calibration?.source { print("sources: \(source)") }
        }
        if !report.withinTolerance { throw ExitCode.failure }
    }
}
