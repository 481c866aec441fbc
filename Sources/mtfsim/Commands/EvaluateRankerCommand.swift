import ArgumentParser
import Foundation
import Ranking
import Rollout

/// `mtfsim evaluate-ranker`: a trained ranker's per-task metrics beside the ceiling.
struct EvaluateRankerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-ranker",
        abstract: "Per-task AUC, log-loss and calibration of a trained ranker beside the ceiling AUC.",
        discussion: """
        The ceiling is the AUC of the world's true probabilities on the same impressions: what a perfect ranker \
        would reach given the feedback noise. By default the ranker is evaluated on the test users of the split it \
        was trained with (recorded in the checkpoint); --split all evaluates every examined impression, e.g. of \
        another log of the same world.

        Example:
          mtfsim evaluate-ranker --log logs/train.sqlite --ranker models/mmoe.ckpt --json
        """
    )

    @Option(help: ArgumentHelp("Episode log with the impressions to evaluate on.", valueName: "log"))
    var log: String

    @Option(help: ArgumentHelp("Ranker checkpoint from `mtfsim train-ranker`.", valueName: "file"))
    var ranker: String

    @Option(name: .customLong("run"), help: ArgumentHelp("Run of the log (default: its last complete run).", valueName: "id"))
    var runID: Int?

    @Option(help: ArgumentHelp("Users to evaluate on: test, validation, train or all.", valueName: "part"))
    var split = RankerLogSource.Users.test

    @Option(help: ArgumentHelp("Seed of the user split (default: the one the ranker was trained with).", valueName: "seed"))
    var splitSeed: UInt64?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let report = try RankerEvaluationReport.evaluate(rankerPath: ranker, logPath: log, run: runID, users: split, splitSeed: splitSeed)
        if json {
            print(try JSONOutput.encode(report))
        } else {
            print("\(ranker) (\(report.architecture)) on \(log) run \(report.run)")
            print(RankerEvaluationReport.table(report.tasks, title: "\(split.rawValue) users (\(report.impressions) impressions)"))
        }
    }
}

extension RankerEvaluationReport {
    /// The text form of a ranker's per-task evaluation.
    static func table(_ rows: [RankerTaskEvaluation], title: String) -> String {
        var lines = ["\(title)",
                     "task          positives     AUC  ceiling   gap   log-loss  mean pred  observed  calib   mean truth"]
        for r in rows {
            let ceiling = r.ceilingAUC.map { String(format: "%7.4f", $0) } ?? "      –"
            let gap = r.ceilingAUC.map { String(format: "%6.3f", $0 - r.auc) } ?? "     –"
            let truth = r.meanTrueProbability.map { String(format: "%10.5f", $0) } ?? "         –"
            let task = r.task.padding(toLength: max(12, r.task.count), withPad: " ", startingAt: 0)
            lines.append(String(format: "%@ %10d  %6.4f  %@ %@  %8.4f  %9.5f  %8.5f  %+5.1f%%  %@",
                                task as NSString, r.positives, r.auc, ceiling as NSString, gap as NSString, r.logLoss,
                                r.meanPrediction, r.observedRate, 100 * r.calibrationError, truth as NSString))
        }
        return lines.joined(separator: "\n")
    }
}
