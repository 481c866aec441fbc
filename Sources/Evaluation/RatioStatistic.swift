/// An estimate that is a sum of ratios of sums over episodes: V = Σ_k (Σ_i c_i a_{k,i}) / (Σ_i c_i b_{k,i}).
///
/// It covers the per-request estimators (a mean over steps is Σ_i a_i / Σ_i n_i with a_i the episode's sum and n_i
/// its step count; SNIPS divides by the episode's weight sum; SNDR adds two such ratios), and the episode means of
/// the sequential estimators (b_i = 1). The linearised terms are y_i = V + m Σ_k (a_{k,i} − R_k b_{k,i}) / B_k, with
/// R_k = A_k / B_k and A_k, B_k the sums on the data (the delta method for a ratio; exact when every b_i = 1).
/// A bootstrap replicate costs O(m·K).
public struct RatioStatistic: EpisodeStatistic {
    /// a_{k,i}: per part k, per episode i.
    public let numerators: [[Double]]
    /// b_{k,i}: per part k, per episode i.
    public let denominators: [[Double]]
    public let value: Double
    public let episodeTerms: [Double]

    public init(numerators: [[Double]], denominators: [[Double]]) {
        precondition(numerators.count == denominators.count && !numerators.isEmpty, "RatioStatistic: parts differ")
        let m = numerators[0].count
        precondition(numerators.allSatisfy { $0.count == m } && denominators.allSatisfy { $0.count == m },
                     "RatioStatistic: every part needs one value per episode")
        self.numerators = numerators
        self.denominators = denominators
        let sums = zip(numerators, denominators).map { (a: $0.reduce(0, +), b: $1.reduce(0, +)) }
        let value = sums.reduce(0) { $0 + $1.a / $1.b }
        self.value = value
        var terms = [Double](repeating: value, count: m)
        for (k, sum) in sums.enumerated() {
            let ratio = sum.a / sum.b
            let scale = Double(m) / sum.b
            for i in 0..<m { terms[i] += scale * (numerators[k][i] - ratio * denominators[k][i]) }
        }
        episodeTerms = terms
    }

    public var episodes: Int { numerators[0].count }

    public func value(multiplicities c: [Double]) -> Double {
        var total = 0.0
        for k in numerators.indices {
            var a = 0.0, b = 0.0
            numerators[k].withUnsafeBufferPointer { num in
                denominators[k].withUnsafeBufferPointer { den in
                    for i in 0..<c.count where c[i] != 0 {
                        a += c[i] * num[i]
                        b += c[i] * den[i]
                    }
                }
            }
            total += a / b
        }
        return total
    }

    /// Sums a per-step quantity within each episode.
    static func episodeSums(_ data: LoggedDecisions, _ perStep: (Int) -> Double) -> [Double] {
        (0..<data.episodes).map { e in data.range(ofEpisode: e).reduce(0) { $0 + perStep($1) } }
    }

    /// Each episode's step count, the denominator of a mean over steps.
    static func stepCounts(_ data: LoggedDecisions) -> [Double] {
        (0..<data.episodes).map { Double(data.episodeOffsets[$0 + 1] - data.episodeOffsets[$0]) }
    }

    /// The mean over steps of `perStep`: Σ_t x_t / n, grouped by episode.
    static func meanOverSteps(_ data: LoggedDecisions, _ perStep: (Int) -> Double) -> RatioStatistic {
        RatioStatistic(numerators: [episodeSums(data, perStep)], denominators: [stepCounts(data)])
    }

    /// The mean over episodes of a per-episode value.
    static func meanOverEpisodes(_ values: [Double]) -> RatioStatistic {
        RatioStatistic(numerators: [values], denominators: [[Double](repeating: 1, count: values.count)])
    }
}

/// Reward per user-day from a statistic of the undiscounted return: V = V_R / D̄, with D̄ = Σ_i c_i D_i / Σ_i c_i
/// the mean logged user-days (`Estimand.rewardPerUserDay`: user-days do not depend on the policy, so only the
/// return is importance weighted). Linearised terms: y_i = V + (y_i^R − V_R)/D̄ − V (D_i − D̄)/D̄
/// = V + (y_i^R − V·D_i)/D̄.
public struct PerUserDayStatistic: EpisodeStatistic {
    public let returnStatistic: any EpisodeStatistic
    public let userDays: [Double]
    public let value: Double
    public let episodeTerms: [Double]

    public init(returnStatistic: any EpisodeStatistic, userDays: [Double]) {
        precondition(userDays.count == returnStatistic.episodes, "PerUserDayStatistic: one user-day count per episode")
        self.returnStatistic = returnStatistic
        self.userDays = userDays
        let meanDays = userDays.reduce(0, +) / Double(userDays.count)
        let value = returnStatistic.value / meanDays
        self.value = value
        episodeTerms = zip(returnStatistic.episodeTerms, userDays).map { value + ($0 - value * $1) / meanDays }
    }

    public var episodes: Int { userDays.count }

    public func value(multiplicities c: [Double]) -> Double {
        var days = 0.0, count = 0.0
        for i in 0..<c.count where c[i] != 0 {
            days += c[i] * userDays[i]
            count += c[i]
        }
        return returnStatistic.value(multiplicities: c) / (days / count)
    }
}
