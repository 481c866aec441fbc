import NeuralNet
import Numerics

/// How well a ranker predicts one task on a set of impressions, beside the ceiling: the AUC of the world's
/// true probabilities on the same impressions (docs/design.md, "Rankers").
public struct RankerTaskEvaluation: Codable, Equatable, Sendable {
    public var task: String
    public var impressions: Int
    public var positives: Int
    public var auc: Double
    public var logLoss: Double
    /// `nil` when the impressions do not carry true probabilities (version-1 logs).
    public var ceilingAUC: Double?
    public var meanPrediction: Double
    public var observedRate: Double
    /// The mean of the world's true probabilities on the same impressions: what a perfectly calibrated ranker would
    /// predict on average, so `observedRate` minus it is the labels' sampling noise, not the ranker's error.
    /// `nil` without true probabilities.
    public var meanTrueProbability: Double?
    /// (mean prediction − observed rate) / observed rate.
    public var calibrationError: Double { observedRate > 0 ? (meanPrediction - observedRate) / observedRate : .nan }

    /// Per-task AUC, log-loss, calibration and ceiling AUC of `ranker` on `data`, for every binary or cascade
    /// column (the watch-time regression is left out); the ceiling needs the impressions' true probabilities.
    public static func evaluate<Network: MultiTaskNetwork>(_ ranker: inout MultiTaskRanker<Network>, features: RankerFeatures,
                                                          data: ImpressionDataset) -> [RankerTaskEvaluation] {
        let t = ranker.tasks.count
        let scored = ranker.tasks.indices.filter { ranker.tasks[$0].kind != .regression }
        var predicted = [[Float]](repeating: [], count: t)
        for k in scored { predicted[k].reserveCapacity(data.count) }
        var batch = FeatureBatch(count: 0, categorical: [], numerical: Matrix(rows: 0, columns: features.layout.numericalDimension))
        var outputs = Matrix(rows: 0, columns: 0)
        let size = 8192
        for start in stride(from: 0, to: data.count, by: size) {
            let n = min(size, data.count - start)
            features.fill(count: n, users: { data.users[start + $0] }, items: { data.items[start + $0] },
                          requestIndices: { data.requestIndices[start + $0] },
                          history: { data.writeHistory(start + $0, into: $1) }, into: &batch)
            ranker.forward(batch, into: &outputs)
            let p = ranker.predictions(outputs: outputs)
            p.withUnsafeBufferPointer { p in
                for i in 0..<n { for k in scored { predicted[k].append(p[i * t + k]) } }
            }
        }
        return scored.map { k in
            let labels = (0..<data.count).map { data.label($0, task: k) }
            let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
            let ceiling = data.hasTruth
                ? rocAUC(scores: (0..<data.count).map { data.trueProbabilities[$0 * data.taskCount + k] }, labels: labels)
                : nil
            return RankerTaskEvaluation(
                task: ranker.tasks[k].name, impressions: data.count, positives: positives,
                auc: rocAUC(scores: predicted[k], labels: labels), logLoss: Numerics.logLoss(probabilities: predicted[k], labels: labels),
                ceilingAUC: ceiling, meanPrediction: predicted[k].reduce(0.0) { $0 + Double($1) } / Double(max(data.count, 1)),
                observedRate: Double(positives) / Double(max(data.count, 1)),
                meanTrueProbability: data.hasTruth
                    ? (0..<data.count).reduce(0.0) { $0 + Double(data.trueProbabilities[$1 * data.taskCount + k]) } / Double(max(data.count, 1))
                    : nil)
        }
    }
}
