import Numerics

/// Weighted (self-normalised) per-decision importance sampling, WPDIS (Precup, Sutton & Singh 2000, weighted
/// per-decision IS): each decision's weights normalised over the episodes,
///
///     V̂ = Σ_t Σ_i ρ^{(i)}_{0:t} d^{(i)}_t r^{(i)}_t / Σ_i ρ^{(i)}_{0:t}.
///
/// Biased, consistent, and far less variable than PDIS. Episodes of different lengths are padded, as in Jiang & Li
/// 2016 and Thomas & Brunskill 2016, with an absorbing state of reward 0 whose weight stays ρ_{0:T_i−1}, so an
/// ended episode still counts in later decisions' normalisers (with all weights 1 the estimate is the mean return).
/// This is `WeightedDoublyRobust` with Q̂ = 0.
public struct WeightedPerDecisionImportanceSampling: Estimator {
    public init() {}
    public var name: String { "WPDIS" }
    public var supportedEstimands: [Estimand] { [.discountedReturn, .rewardPerUserDay] }
    public var weightScope: WeightScope? { .trajectory }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let weights = try input.requireWeights(for: name)
        return try sequentialStatistic(input, estimand: estimand) { discounts in
            try WeightedPerDecisionStatistic(input.data, weights: weights, discounts: discounts, model: nil, name: name)
        }
    }
}

/// Weighted doubly robust, WDR (Thomas & Brunskill 2016, "Data-efficient off-policy policy evaluation for
/// reinforcement learning", ICML, the WDR estimator):
///
///     V̂ = Σ_t Σ_i d_t [w̃^{(i)}_t (r_t − q̂_t) + w̃^{(i)}_{t−1} v̂_t],   w̃^{(i)}_t = ρ^{(i)}_{0:t} / Σ_j ρ^{(j)}_{0:t},
///
/// with w̃^{(i)}_{−1} = 1/m, q̂_t and v̂_t as in `PerDecisionDoublyRobust`, and episodes padded as in
/// `WeightedPerDecisionImportanceSampling`. Biased but consistent; typically the lowest-error of the
/// importance-sampling family.
public struct WeightedDoublyRobust: Estimator {
    public init() {}
    public var name: String { "WDR" }
    public var supportedEstimands: [Estimand] { [.discountedReturn, .rewardPerUserDay] }
    public var weightScope: WeightScope? { .trajectory }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let weights = try input.requireWeights(for: name)
        let model = try input.requireRewardModel(for: name)
        return try sequentialStatistic(input, estimand: estimand) { discounts in
            try WeightedPerDecisionStatistic(input.data, weights: weights, discounts: discounts, model: model, name: name)
        }
    }
}

/// WDR (WPDIS without a model) as a function of episode multiplicities c_i:
///
///     V = Σ_t N^a_t / D_t + Σ_t N^b_t / D_{t−1},
///     N^a_t = Σ_i c_i ρ̃_{i,t} d_{i,t} (r_{i,t} − q̂_{i,t}),  N^b_t = Σ_i c_i ρ̃_{i,t−1} d_{i,t} v̂_{i,t},
///     D_t = Σ_i c_i ρ̃_{i,t} (padded),  D_{−1} = Σ_i c_i,
///
/// where ρ̃_{i,t} = exp(log ρ_{i,0:t} − M_t) is rescaled by the largest log-weight M_t at decision t (the ratios do
/// not change, and trajectory weights beyond the `Double` range stay usable). A decision at which every weight is 0
/// contributes 0. The linearised term of episode i is
/// y_i = V + m [Σ_{t<T_i} (a_{i,t}/D_t + b_{i,t}/D_{t−1}) − Σ_{t=−1}^{T−1} ρ̃_{i,t} G_t / D_t],
/// G_t = N^a_t/D_t + N^b_{t+1}/D_t. The terms and each replicate cost O(steps + episodes + longest episode).
struct WeightedPerDecisionStatistic: EpisodeStatistic {
    let offsets: [Int]
    /// ρ̃ d (r − q̂) per step.
    let currentTerms: [Double]
    /// ρ̃_{t−1} d v̂ per step (all 0 without a model).
    let previousTerms: [Double]
    /// ρ̃_{i,t} per step.
    let scaledWeights: [Double]
    /// log ρ_{0:T_i−1} per episode (the padded weight's logarithm before rescaling).
    let finalLogWeights: [Double]
    /// M_t per decision position.
    let shifts: [Double]
    /// Episodes sorted by length, for the padded normalisers.
    let byLength: [Int]
    let value: Double
    let episodeTerms: [Double]

    init(_ data: LoggedDecisions, weights: ImportanceWeights, discounts: [Double],
         model: LoggedDecisions.RewardModel?, name: String) throws {
        let m = data.episodes, longest = data.longestEpisode
        let cumulative = weights.cumulativeLogWeights
        let finalLogWeights = weights.trajectoryLogWeights(data)
        let lengths = (0..<m).map { data.episodeOffsets[$0 + 1] - data.episodeOffsets[$0] }
        let byLength = (0..<m).sorted { lengths[$0] < lengths[$1] }
        // M_t: the largest log-weight at decision t, padded episodes included (0 when every weight is 0).
        var shifts = [Double](repeating: -.infinity, count: longest)
        for e in 0..<m {
            for t in data.range(ofEpisode: e) {
                let position = t - data.episodeOffsets[e]
                shifts[position] = max(shifts[position], cumulative[t])
            }
        }
        var endedMaximum = -Double.infinity, next = 0
        for position in 0..<longest {
            while next < m && lengths[byLength[next]] <= position {
                endedMaximum = max(endedMaximum, finalLogWeights[byLength[next]])
                next += 1
            }
            shifts[position] = max(shifts[position], endedMaximum)
            if shifts[position] == -.infinity { shifts[position] = 0 }
        }
        var currentTerms = [Double](repeating: 0, count: data.steps)
        var previousTerms = [Double](repeating: 0, count: data.steps)
        var scaledWeights = [Double](repeating: 0, count: data.steps)
        for e in 0..<m {
            var previous = 1.0
            for t in data.range(ofEpisode: e) {
                let position = t - data.episodeOffsets[e]
                let scaled = Elementary.exp(cumulative[t] - shifts[position])
                scaledWeights[t] = scaled
                let correction = model.map { data.rewards[t] - $0.loggedActionValues[t] } ?? data.rewards[t]
                currentTerms[t] = scaled * discounts[t] * correction
                if let model { previousTerms[t] = previous * discounts[t] * model.targetValues[t] }
                previous = scaled
            }
        }
        offsets = data.episodeOffsets
        self.currentTerms = currentTerms
        self.previousTerms = previousTerms
        self.scaledWeights = scaledWeights
        self.finalLogWeights = finalLogWeights
        self.shifts = shifts
        self.byLength = byLength
        let ones = [Double](repeating: 1, count: m)
        let sums = Self.sums(multiplicities: ones, offsets: offsets, current: currentTerms, previous: previousTerms,
                             scaled: scaledWeights, finalLogWeights: finalLogWeights, shifts: shifts, byLength: byLength)
        guard sums.denominators.first.map({ $0 > 0 }) ?? false else { throw EvaluationError.noTargetSupport(estimator: name) }
        value = Self.combine(sums, episodeCount: Double(m))
        // Linearised terms.
        let (na, nb, d) = sums
        let dm = Double(m)
        var g = [Double](repeating: 0, count: longest)
        for t in 0..<longest where d[t] > 0 {
            g[t] = na[t] / d[t] + (t + 1 < longest ? nb[t + 1] / d[t] : 0)
        }
        let gStart = longest > 0 ? nb[0] / dm : 0
        // The padded part of each term, Σ_{t ≥ T_i} e^{L_i − M_t} G_t/D_t with L_i = log ρ_{i,0:T_i−1}, from suffix sums
        // S_T = Σ_{t ≥ T} e^{R_T − M_t} G_t/D_t scaled by R_T = min_{t ≥ T} M_t: every exponent is ≤ 0, and
        // L_i ≤ M_t for t ≥ T_i (M_t covers the padded weights), so e^{L_i − R_{T_i}} S_{T_i} cannot overflow either.
        var suffix = [Double](repeating: 0, count: longest + 1), suffixShift = [Double](repeating: .infinity, count: longest + 1)
        for t in stride(from: longest - 1, through: 0, by: -1) {
            let shift = min(shifts[t], suffixShift[t + 1])
            let own = d[t] > 0 ? Elementary.exp(shift - shifts[t]) * g[t] / d[t] : 0
            let rest = suffix[t + 1] == 0 ? 0 : Elementary.exp(shift - suffixShift[t + 1]) * suffix[t + 1]
            suffix[t] = own + rest
            suffixShift[t] = shift
        }
        var terms = [Double](repeating: 0, count: m)
        for e in 0..<m {
            var inner = -gStart / dm
            for t in offsets[e]..<offsets[e + 1] {
                let position = t - offsets[e]
                if d[position] > 0 { inner += (currentTerms[t] - scaledWeights[t] * g[position]) / d[position] }
                inner += position == 0 ? previousTerms[t] / dm : (d[position - 1] > 0 ? previousTerms[t] / d[position - 1] : 0)
            }
            if finalLogWeights[e] > -.infinity && lengths[e] < longest {
                inner -= Elementary.exp(finalLogWeights[e] - suffixShift[lengths[e]]) * suffix[lengths[e]]
            }
            terms[e] = value + dm * inner
        }
        episodeTerms = terms
    }

    var episodes: Int { offsets.count - 1 }

    func value(multiplicities c: [Double]) -> Double {
        Self.combine(Self.sums(multiplicities: c, offsets: offsets, current: currentTerms, previous: previousTerms,
                               scaled: scaledWeights, finalLogWeights: finalLogWeights, shifts: shifts, byLength: byLength),
                     episodeCount: c.reduce(0, +))
    }

    /// V from the per-decision sums; D_{−1} = Σ c.
    static func combine(_ sums: (numerators: [Double], previousNumerators: [Double], denominators: [Double]),
                        episodeCount: Double) -> Double {
        let (na, nb, d) = sums
        var total = 0.0
        for t in 0..<d.count {
            if d[t] > 0 { total += na[t] / d[t] }
            let before = t == 0 ? episodeCount : d[t - 1]
            if before > 0 { total += nb[t] / before }
        }
        return total
    }

    /// N^a_t, N^b_t and D_t (padded) for multiplicities `c`. The padded part of D_t, Σ_{i: T_i ≤ t} c_i ρ_{i,0:T_i−1}
    /// · e^{−M_t}, is a running log-sum-exp over the episodes as they end.
    static func sums(multiplicities c: [Double], offsets: [Int], current: [Double], previous: [Double], scaled: [Double],
                     finalLogWeights: [Double], shifts: [Double], byLength: [Int])
        -> (numerators: [Double], previousNumerators: [Double], denominators: [Double]) {
        let longest = shifts.count
        var na = [Double](repeating: 0, count: longest)
        var nb = [Double](repeating: 0, count: longest)
        var d = [Double](repeating: 0, count: longest)
        for e in 0..<(offsets.count - 1) where c[e] != 0 {
            let ce = c[e], start = offsets[e]
            for t in start..<offsets[e + 1] {
                na[t - start] += ce * current[t]
                nb[t - start] += ce * previous[t]
                d[t - start] += ce * scaled[t]
            }
        }
        var runningMaximum = -Double.infinity, runningSum = 0.0, next = 0
        for position in 0..<longest {
            while next < byLength.count && offsets[byLength[next] + 1] - offsets[byLength[next]] <= position {
                let e = byLength[next]
                next += 1
                guard c[e] > 0 && finalLogWeights[e] > -.infinity else { continue }
                let l = Elementary.log(c[e]) + finalLogWeights[e]
                if l > runningMaximum {
                    runningSum = runningSum * Elementary.exp(runningMaximum - l) + 1
                    runningMaximum = l
                } else {
                    runningSum += Elementary.exp(l - runningMaximum)
                }
            }
            if runningSum > 0 { d[position] += runningSum * Elementary.exp(runningMaximum - shifts[position]) }
        }
        return (na, nb, d)
    }
}
