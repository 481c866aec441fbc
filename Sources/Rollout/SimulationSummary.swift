import Numerics
import Simulator

/// What a run of sessions looked like: depth, per-impression rates, watch time, reward and returns.
public struct SimulationSummary: Sendable, Codable, Equatable {
    public var sessions: Int
    public var episodes: Int
    public var requests: Int
    public var impressions: Int
    public var requestsPerSession: Distribution
    public var impressionsPerSession: Double
    /// Realisations per shown item, by task name.
    public var ratePerImpression: [String: Double]
    public var watchSecondsPerSession: Double
    public var watchSecondsPerImpression: Double
    /// Mean session reward with a 95% confidence interval clustered by episode (sessions of one user are not independent).
    public var rewardPerSession: Estimate
    /// Sessions per user per day over complete episodes (churned users count their whole horizon).
    public var sessionsPerUserDay: Double
    /// The long-term objective: reward per user per day over complete episodes (session value × return
    /// frequency), with a 95% t-interval over episodes.
    public var rewardPerUserDay: Estimate
    public var returnGaps: ReturnGaps
    public var truncatedSessions: Int

    /// A mean with spread and quantiles.
    public struct Distribution: Sendable, Codable, Equatable {
        public var mean: Double
        public var standardDeviation: Double
        public var p10: Double
        public var p50: Double
        public var p90: Double
    }

    /// A mean with its 95% confidence interval.
    public struct Estimate: Sendable, Codable, Equatable {
        public var mean: Double
        public var lower: Double
        public var upper: Double

        public init(mean: Double, lower: Double, upper: Double) {
            self.mean = mean
            self.lower = lower
            self.upper = upper
        }
    }

    /// The gaps between a session and the next one.
    public struct ReturnGaps: Sendable, Codable, Equatable {
        /// Sessions followed by a return (within or beyond the horizon).
        public var returned: Int
        /// Share of sessions after which the user churned.
        public var churnRate: Double
        /// Share of gaps in [30 min, 2 h), and ≥ 2 h (KuaiRand-27K: 54% / 46%).
        public var shareUnderTwoHours: Double
        public var shareTwoHoursOrMore: Double
        public var medianMinutes: Double
        public var p90Minutes: Double
        public var meanHours: Double
    }

    public init(sessions records: [SessionRecord], config: EnvironmentConfig) {
        sessions = records.count
        episodes = Set(records.map(\.episode)).count
        requests = records.reduce(0) { $0 + $1.requests }
        impressions = records.reduce(0) { $0 + $1.impressions }
        let depths = records.map { Double($0.requests) }
        var depthStats = RunningStatistics()
        for v in depths { depthStats.add(v) }
        let q = depths.isEmpty ? [.nan, .nan, .nan] : quantiles(depths, [0.1, 0.5, 0.9])
        requestsPerSession = Distribution(mean: depthStats.mean, standardDeviation: depthStats.standardDeviation,
                                          p10: q[0], p50: q[1], p90: q[2])
        impressionsPerSession = Double(impressions) / Double(max(sessions, 1))
        var rates: [String: Double] = [:]
        for (k, name) in config.taskNames.enumerated() {
            rates[name] = Double(records.reduce(0) { $0 + $1.taskCounts[k] }) / Double(max(impressions, 1))
        }
        ratePerImpression = rates
        let watch = records.reduce(0) { $0 + $1.watchSeconds }
        watchSecondsPerSession = watch / Double(max(sessions, 1))
        watchSecondsPerImpression = watch / Double(max(impressions, 1))
        rewardPerSession = SimulationSummary.clusteredMean(records.map { ($0.episode, $0.reward) })

        // Complete episodes end with a churn or at the horizon.
        var sessionsByEpisode: [Int: Int] = [:]
        var complete = Set<Int>()
        for r in records {
            sessionsByEpisode[r.episode, default: 0] += 1
            if r.end != .returned { complete.insert(r.episode) }
        }
        let completeSessions = complete.reduce(0) { $0 + (sessionsByEpisode[$1] ?? 0) }
        sessionsPerUserDay = complete.isEmpty ? .nan : Double(completeSessions) / (Double(complete.count) * config.episode.horizonDays)
        var episodeReward: [Int: Double] = [:]
        for r in records where complete.contains(r.episode) { episodeReward[r.episode, default: 0] += r.reward }
        let perDay = episodeReward.keys.sorted().map { episodeReward[$0]! / config.episode.horizonDays }
        let interval = perDay.count > 1 ? tInterval(values: perDay) : nil
        rewardPerUserDay = Estimate(mean: interval?.estimate ?? perDay.first ?? .nan,
                                    lower: interval?.lower ?? .nan, upper: interval?.upper ?? .nan)

        let gaps = records.compactMap(\.returnGapMinutes)
        let g = gaps.isEmpty ? [.nan, .nan] : quantiles(gaps, [0.5, 0.9])
        returnGaps = ReturnGaps(
            returned: gaps.count,
            churnRate: Double(records.filter { $0.end == .churned }.count) / Double(max(sessions, 1)),
            shareUnderTwoHours: Double(gaps.filter { $0 < 120 }.count) / Double(max(gaps.count, 1)),
            shareTwoHoursOrMore: Double(gaps.filter { $0 >= 120 }.count) / Double(max(gaps.count, 1)),
            medianMinutes: g[0], p90Minutes: g[1],
            meanHours: gaps.isEmpty ? .nan : gaps.reduce(0, +) / Double(gaps.count) / 60)
        truncatedSessions = records.filter(\.truncated).count
    }

    /// Mean of per-session values with a 95% interval clustered by episode: the ratio estimator
    /// Σ_e Y_e / Σ_e n_e with the linearised (sandwich) variance, t quantile on E − 1 degrees of freedom.
    public static func clusteredMean(_ values: [(cluster: Int, value: Double)]) -> Estimate {
        var sums: [Int: (total: Double, count: Double)] = [:]
        for (c, v) in values {
            let s = sums[c, default: (0, 0)]
            sums[c] = (s.total + v, s.count + 1)
        }
        let n = Double(values.count)
        guard n > 0 else { return Estimate(mean: .nan, lower: .nan, upper: .nan) }
        let mean = values.reduce(0) { $0 + $1.value } / n
        let e = Double(sums.count)
        guard e > 1 else { return Estimate(mean: mean, lower: .nan, upper: .nan) }
        let meanCount = n / e
        let residual = sums.keys.sorted().reduce(0.0) { acc, cluster in
            let s = sums[cluster]!
            let r = s.total - mean * s.count
            return acc + r * r
        }
        let standardError = (residual / (e * (e - 1))).squareRoot() / meanCount
        let tq = StudentT.quantile(0.975, degreesOfFreedom: e - 1)
        return Estimate(mean: mean, lower: mean - tq * standardError, upper: mean + tq * standardError)
    }
}
