/// Real-world statistics a calibrated environment should reproduce under its logging-like policy,
/// with the relative tolerance accepted and the source of each number.
public struct CalibrationTargets: Sendable, Equatable {
    /// Where the numbers come from (dataset, repository, file).
    public var source: String = ""
    public var targets: [CalibrationTarget] = []
    public init() {}
}

/// One calibration target: a metric, its real value and the accepted relative error.
public struct CalibrationTarget: Sendable, Equatable {
    public enum Metric: String, Sendable, Equatable, Decodable, CaseIterable {
        /// Per-impression positive rate of `task`.
        case rate
        /// Share of between-session gaps (≥ 30 min) that are shorter than 2 h.
        case gapShareUnderTwoHours = "gap-share-under-2h"
        /// Sessions per user per day.
        case sessionsPerUserDay = "sessions-per-user-day"
        /// Impressions per session.
        case impressionsPerSession = "impressions-per-session"
        /// ROC-AUC of the simulation ranker's predictions for `task` on shown items (KuaiRand-1K response models).
        case rankerAUC = "ranker-auc"
    }
    public var metric: Metric
    public var task: String? = nil
    public var value: Double
    /// Accepted |simulated − value| / value.
    public var tolerance: Double
    public var source: String = ""

    public init(metric: Metric, task: String? = nil, value: Double, tolerance: Double, source: String = "") {
        self.metric = metric
        self.task = task
        self.value = value
        self.tolerance = tolerance
        self.source = source
    }

    /// An empty rate target (decoding fills the required fields).
    public init() { self.init(metric: .rate, value: 0, tolerance: 0) }

    /// A short label, e.g. `rate(click)`.
    public var label: String { task.map { "\(metric.rawValue)(\($0))" } ?? metric.rawValue }
}
