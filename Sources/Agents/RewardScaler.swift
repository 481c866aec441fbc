import Numerics

/// Scales rewards before they enter TD targets: a constant factor and, optionally, division by
/// the running standard deviation of the rewards seen so far.
///
/// Rewards are stored unscaled in the replay buffer and scaled when a batch is drawn, so the
/// scale can adapt without rewriting the buffer. (This is the simple per-reward form; PPO-style
/// scaling by the standard deviation of discounted returns (Engstrom et al. 2020) is not used.)
public struct RewardScaler: Sendable, Equatable {
    public var constant: Float
    public var normalizeByStandardDeviation: Bool
    public private(set) var statistics = RunningStatistics()

    public init(constant: Float = 1, normalizeByStandardDeviation: Bool = false) {
        precondition(constant > 0, "RewardScaler: constant must be positive, got \(constant)")
        self.constant = constant
        self.normalizeByStandardDeviation = normalizeByStandardDeviation
    }

    /// A scaler that starts from the statistics of rewards seen elsewhere (an offline dataset's).
    public init(constant: Float = 1, normalizeByStandardDeviation: Bool = false, statistics: RunningStatistics) {
        self.init(constant: constant, normalizeByStandardDeviation: normalizeByStandardDeviation)
        if normalizeByStandardDeviation { self.statistics = statistics }
    }

    public mutating func update(_ rewards: [Float]) {
        guard normalizeByStandardDeviation else { return }
        for r in rewards { statistics.add(Double(r)) }
    }

    /// The current multiplier: `constant / σ_r` (σ_r floored at 10⁻⁴; 1 before two rewards) or `constant`.
    public var factor: Float {
        guard normalizeByStandardDeviation, statistics.count > 1 else { return constant }
        return constant / Float(max(statistics.standardDeviation, 1e-4))
    }

    /// Scales a `batch × 1` reward matrix in place.
    public func apply(to rewards: inout Matrix) {
        let f = factor
        if f != 1 { rewards.scale(by: f) }
    }
}
