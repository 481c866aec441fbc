import EpisodeLog
import Foundation
import Ranking
import Rollout
import Simulator

/// The impressions of one run of a log, its world and its user split.
struct RankerLogSource {
    let run: RunInfo
    let world: World
    let data: ImpressionDataset
    let split: UserSplit

    init(path: String, run id: Int?, splitSeed: UInt64) throws {
        let reader = try EpisodeLogFile.open(path: path)
        let runs = try reader.runs()
        guard let run = id.map({ id in runs.first { $0.id == id } }) ?? runs.last(where: { $0.status == .complete }) ?? runs.last else {
            throw CommandFailure(id.map { "\(path): no run \($0) (runs: \(runs.map { String($0.id) }.joined(separator: ", ")))" }
                                 ?? "\(path): the log holds no runs")
        }
        self.run = run
        world = try Replay.world(of: run, path: path)
        data = try ImpressionDataset.examinedImpressions(of: reader, run: run.id, world: world)
        guard !data.isEmpty else { throw CommandFailure("\(path) run \(run.id): no examined impressions to learn from") }
        split = UserSplit(seed: splitSeed)
    }

    func part(_ part: UserSplit.Part) -> ImpressionDataset { split.select(part, from: data) }
}

/// What `train-ranker --json` and `evaluate-ranker --json` print.
struct RankerEvaluationReport: Encodable {
    var ranker: String
    var architecture: String
    var log: String
    var run: Int
    var split: String
    var splitSeed: UInt64
    var impressions: Int
    var epochs: Int?
    var bestEpoch: Int?
    var trainingSeconds: Double?
    var tasks: [RankerTaskEvaluation]

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
