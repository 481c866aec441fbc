import Foundation

/// The built-in reward model for logged bandit feedback: q̂(x, a, position) = the mean logged reward of the cell
/// (a, position), ignoring the context; the overall mean reward for a cell with no logged row.
///
/// A context-free regression, the simplest q̂ that DM and the DR family can use: DM is then right only when the
/// reward does not depend on the context beyond (action, position), while DR stays unbiased whatever q̂ (the
/// weights correct it). Fitted on the same rows it is evaluated on, as obp's `RegressionModel.fit` then `predict`
/// (not its cross-fitted `fit_predict`).
public struct TabularRewardModel: BanditRewardEstimates {
    /// (action, position) → (mean reward, rows).
    public let cells: [BanditKey: (mean: Double, count: Int)]
    /// The mean reward over every logged row, q̂ of an empty cell.
    public let overallMean: Double
    /// The actions it answers for (the policy's); nil answers every action.
    public let actions: Set<Int>?

    /// Fits on `feedback`'s rows; `actions` are the actions q̂ is defined for (others give nil).
    public init(_ feedback: BanditFeedback, actions: Set<Int>? = nil) {
        var sums: [BanditKey: (sum: Double, count: Int)] = [:]
        var total = 0.0
        for row in feedback.rows {
            let key = BanditKey(round: -1, action: row.action, position: row.position)
            sums[key, default: (0, 0)].sum += row.reward
            sums[key, default: (0, 0)].count += 1
            total += row.reward
        }
        cells = sums.mapValues { (mean: $0.sum / Double($0.count), count: $0.count) }
        overallMean = total / Double(feedback.rows.count)
        self.actions = actions
    }

    public func estimate(round: Int, action: Int, position: Int) -> Double? {
        if let actions, !actions.contains(action) { return nil }
        return cells[BanditKey(round: -1, action: action, position: position)]?.mean ?? overallMean
    }

    public var dependsOnRound: Bool { false }
    public var source: String { "tabular (mean reward per (action, position) over \(cells.count) logged cells, the overall mean \(String(format: "%.6g", overallMean)) elsewhere)" }
}
