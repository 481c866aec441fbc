import Numerics

/// How well one estimator chooses among candidate policies, against their true values (DOPE's metrics, Fu et al.
/// 2021, "Benchmarks for deep off-policy evaluation", ICLR: rank correlation and regret@1).
public struct OffPolicySelection: Sendable, Codable, Equatable {
    public var estimator: String
    /// Spearman's ρ between the estimates and the true values: the Pearson correlation of their ranks (average
    /// ranks for ties); NaN when either side is constant.
    public var spearman: Double
    /// The candidate with the highest estimate (the first on ties), by index.
    public var chosen: Int
    /// regret@1 = max_i V_i − V_chosen ≥ 0, in the estimand's units.
    public var regret: Double
    /// regret@1 / (max_i V_i − min_i V_i), DOPE's normalised regret; NaN when every true value is equal.
    public var normalizedRegret: Double
    /// The safe choice: the candidate with the highest lower confidence bound (the first on ties), by index.
    public var safeChoice: Int
    /// Its regret, max_i V_i − V_safe.
    public var safeRegret: Double

    /// The metrics of `estimates`, their lower bounds `lowerBounds` and the candidates' `truths` (one each, ≥ 2).
    public init(estimator: String, estimates: [Double], lowerBounds: [Double], truths: [Double]) {
        precondition(estimates.count == truths.count && lowerBounds.count == truths.count && truths.count >= 2,
                     "OffPolicySelection: one estimate, lower bound and truth per candidate, at least 2")
        self.estimator = estimator
        spearman = Self.spearman(estimates, truths)
        let best = truths.max()!, worst = truths.min()!
        chosen = Self.argmax(estimates)
        regret = best - truths[chosen]
        normalizedRegret = best > worst ? regret / (best - worst) : .nan
        safeChoice = Self.argmax(lowerBounds)
        safeRegret = best - truths[safeChoice]
    }

    /// The first index of the largest value (NaN counts as −∞).
    static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for i in values.indices where (values[i].isNaN ? -.infinity : values[i]) > (values[best].isNaN ? -.infinity : values[best]) {
            best = i
        }
        return best
    }

    /// Ranks 1…n, ties given their average rank.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let average = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = average }
            i = j + 1
        }
        return ranks
    }

    /// Spearman's ρ: the Pearson correlation of the ranks.
    static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        let (ra, rb) = (ranks(a), ranks(b))
        let n = Double(a.count)
        let (ma, mb) = (ra.reduce(0, +) / n, rb.reduce(0, +) / n)
        var covariance = 0.0, va = 0.0, vb = 0.0
        for i in a.indices {
            covariance += (ra[i] - ma) * (rb[i] - mb)
            va += (ra[i] - ma) * (ra[i] - ma)
            vb += (rb[i] - mb) * (rb[i] - mb)
        }
        guard va > 0 && vb > 0 else { return .nan }
        return covariance / (va * vb).squareRoot()
    }
}
