import ArgumentParser
import EpisodeLog
import Foundation

/// `mtfsim inspect`: what an episode log holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise an episode log: runs, sessions, steps, impressions, feedback rates, rewards, actions.",
        discussion: """
        Opens the log read-only (it may still be written by a running simulation) and refuses files that are not \
        MTFSim logs, are corrupt, or come from a newer MTFSim. `--digest` adds a digest of the logical content \
        (every table ordered by its key, wall-clock times excluded): equal digests mean equal logs.
        """
    )

    @Argument(help: ArgumentHelp("The episode log.", valueName: "log"))
    var log: String

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Also compute each run's logical-content digest (reads the whole log).")
    var digest = false

    func run() throws {
        let reader = try EpisodeLogFile.open(path: log)
        defer { try? reader.close() }
        let report = try EpisodeLogInspection(reader: reader, path: log, digest: digest)
        if json {
            print(try JSONOutput.encode(report))
            return
        }
        print("\(log): \(report.fileBytes) bytes, schema version \(report.schemaVersion), \(report.runs.count) run(s)")
        for r in report.runs {
            let f = SummaryText.fixed
            print("run \(r.id) \(r.name) [\(r.status)] · \(r.environment) · seed \(r.seed) · policy \(r.policy) · ranker \(r.ranker)")
            let requested = r.requestedSessions > 0 ? " of \(r.requestedSessions) requested" : ""  // 0: a training run
            print("  sessions \(r.sessions)\(requested); steps \(r.steps); impressions \(r.impressions); candidate sets \(r.candidateSets)")
            print("  session ends: returned \(r.sessionEnds["returned"]!), churned \(r.sessionEnds["churned"]!), horizon \(r.sessionEnds["horizon"]!)")
            print("  rate/impression: examined \(f(r.examinedRate, 4))  " + r.taskOrder.map { "\($0) \(SummaryText.format(r.ratePerImpression[$0]!))" }.joined(separator: "  "))
            print("  reward per step \(f(r.rewardPerStep.mean, 3)) (sd \(f(r.rewardPerStep.standardDeviation, 3))); per session \(f(r.rewardPerSession, 3))")
            print("  actions:")
            for a in r.actions {
                print("    \(a.name.padding(toLength: 14, withPad: " ", startingAt: 0)) mean \(f(a.mean, 4))  sd \(f(a.standardDeviation, 4))  min \(f(a.minimum, 4))  max \(f(a.maximum, 4))")
            }
            if let d = r.logicalDigest { print("  logical digest \(d)") }
        }
    }
}
