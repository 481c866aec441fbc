import Numerics
import Simulator

/// A simulated statistic beside its real-world target.
public struct CalibrationRow: Sendable, Codable, Equatable {
    public var label: String
    public var target: Double
    public var simulated: Double
    /// (simulated − target) / target.
    public var relativeError: Double
    public var tolerance: Double
    public var withinTolerance: Bool
    /// For ranker AUCs: the AUC of the world's true probabilities on the same impressions (the ceiling).
    public var ceiling: Double?
    public var source: String
}

public enum Calibration {
    /// Compares a run with the environment's calibration targets, in the targets' order.
    public static func compare(summary: SimulationSummary, samples: [ImpressionSample], config: EnvironmentConfig) -> [CalibrationRow] {
        guard let calibration = config.calibration else { return [] }
        return calibration.targets.map { target in
            let simulated: Double
            switch target.metric {
            case .rate:
                simulated = summary.ratePerImpression[target.task ?? ""] ?? .nan
            case .gapShareUnderTwoHours:
                simulated = summary.returnGaps.shareUnderTwoHours
            case .sessionsPerUserDay:
                simulated = summary.sessionsPerUserDay
            case .impressionsPerSession:
                simulated = summary.impressionsPerSession
            case .rankerAUC:
                simulated = config.taskIndex(target.task ?? "").map { rankerAUC(samples, task: $0) } ?? .nan
            }
            let error = (simulated - target.value) / target.value
            let ceiling = target.metric == .rankerAUC
                ? config.taskIndex(target.task ?? "").map { ceilingAUC(samples, task: $0) } : nil
            return CalibrationRow(label: target.label, target: target.value, simulated: simulated, relativeError: error,
                                  tolerance: target.tolerance, withinTolerance: abs(error) <= target.tolerance, ceiling: ceiling,
                                  source: target.source.isEmpty ? calibration.source : target.source)
        }
    }

    /// ROC-AUC of the ranker's predictions for `task` against the realised labels of shown items.
    public static func rankerAUC(_ samples: [ImpressionSample], task: Int) -> Double {
        rocAUC(scores: samples.map { $0.predictions[task] }, labels: samples.map { $0.tasks & (1 << UInt32(task)) != 0 })
    }

    /// ROC-AUC of the world's true probabilities: the ceiling any ranker can reach on these impressions.
    public static func ceilingAUC(_ samples: [ImpressionSample], task: Int) -> Double {
        rocAUC(scores: samples.map { $0.truth[task] }, labels: samples.map { $0.tasks & (1 << UInt32(task)) != 0 })
    }
}
