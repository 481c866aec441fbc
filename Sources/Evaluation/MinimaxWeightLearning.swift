import Numerics
import Simulator

/// The state-action occupancy ratio of a target on the logged steps by minimax weight learning with linear classes
/// (MWL: Uehara, Huang & Jiang 2020, "Minimax Weight and Q-Function Learning for Off-Policy Evaluation", ICML, §4;
/// the marginalised ratio of Liu et al. 2018 and Xie et al. 2019 without a behaviour density).
///
/// With ν_π(s, a) = E_π Σ_t (Π_{u<t} γ_u) 1{s_t = s, a_t = a} the target's (discounted) visits per episode and d the
/// distribution of the logged steps, the ratio w = ν_π/d satisfies, for every f that is 0 after an episode's end,
///
///     E_d[ w(s, a) (f(s, a) − γ f(s′, π)) ] = E_{s₀}[ f(s₀, π) ],     f(s′, π) = E_{a′∼π} f(s′, a′),
///
/// (the telescoping of Σ_t γ^t (f(s_t, a_t) − γ f(s_{t+1}, π)) along the target's episodes), and then the return is
/// V = E_d[w r]. MWL takes w = θᵀφ and asks this for every f = βᵀφ in the same class: the p equations
/// M θ = b with M = (1/n) Σ_t (φ_t − γ_t φ′_t) φ_tᵀ, φ′_t = φ(s_{t+1}, π) (0 after an episode's last step) and
/// b = (1/m) Σ_e φ(s₀^e, π), over the n logged steps and m episodes. Solved directly, by Gaussian elimination with
/// partial pivoting in `Double`; only when M is singular to working precision as ridge least squares,
/// (MᵀM + λ tr(MᵀM)/p · I) θ = Mᵀ b with λ = 10⁻⁶. (Solving the ridge normal equations always, as a first version
/// did, squares M's condition number and flattened the weights: on the OPE benchmark's world-201 mixture log, MWL of
/// the baseline weights moved from 48 to 454, against a truth of 443.) The features are the reward model's, φ(s, x) = [1, z, x, x², z⊗x]
/// (`CrossFittedRewardModel`), linear in x and x² given s, so φ(s, π) needs only the target's E[x] and E[x²].
///
/// γ_t is the estimand's: the data's d_{t+1}/d_t for the discounted return (per request or by time), 1 for reward per
/// user-day, where episodes end and ν_π counts visits. A step's weight is the expected number of (discounted) target
/// visits per episode relative to the logged steps' frequency, so it averages about the episode's length, not 1;
/// being linear, it can be negative.
public struct MinimaxWeightLearning: Sendable {
    public static let ridge = 1e-6

    /// w(s_t, a_t) on every logged step of `states` and raw `actions`, episodes at `episodeOffsets`, γ_t in
    /// `transitionDiscounts` (the discount of the transition leaving step t; ignored at an episode's last step), the
    /// target's action moments per step in the normalised units of `runSpace` (`TargetPolicy.actionMoments`).
    public static func weights(states: Matrix, actions: Matrix, episodeOffsets: [Int], transitionDiscounts: [Double],
                               moments: (mean: [Double], meanSquare: [Double]), runSpace: ActionSpace,
                               batchSize: Int = 2048) throws -> [Double] {
        let (n, s, a) = (states.rows, states.columns, actions.columns)
        precondition(actions.rows == n && transitionDiscounts.count == n && episodeOffsets.last == n,
                     "MinimaxWeightLearning: shapes differ")
        let m = episodeOffsets.count - 1
        let p = CrossFittedRewardModel.featureCount(states: s, actions: a)
        var means = [Double](), scales = [Double]()
        for j in 0..<s {
            var statistics = RunningStatistics()
            for r in 0..<n { statistics.add(Double(states[r, j])) }
            means.append(statistics.mean)
            scales.append(statistics.standardDeviation > 0 ? statistics.standardDeviation : 1)
        }
        var isLast = [Bool](repeating: false, count: n), isFirst = [Bool](repeating: false, count: n)
        for e in 0..<m {
            isFirst[episodeOffsets[e]] = true
            isLast[episodeOffsets[e + 1] - 1] = true
        }
        func targetMoments(_ r: Int) -> ([Double], [Double]) {
            (Array(moments.mean[(r * a)..<((r + 1) * a)]), Array(moments.meanSquare[(r * a)..<((r + 1) * a)]))
        }
        func logged(_ r: Int) -> ([Double], [Double]) {
            let x = (0..<a).map { Double(runSpace.normalize(actions[r, $0], dimension: $0)) }
            return (x, x.map { $0 * $0 })
        }

        var system = [Double](repeating: 0, count: p * p), b = [Double](repeating: 0, count: p)
        var left = [Float](repeating: 0, count: batchSize * p), right = left
        var next = [Float](repeating: 0, count: p), product = [Float](repeating: 0, count: p * p)
        var start = 0
        while start < n {
            let rows = start..<min(start + batchSize, n)
            for (i, r) in rows.enumerated() {
                let (x, x2) = logged(r)
                CrossFittedRewardModel.writeFeatures(states.row(r), x, x2, means: means, scales: scales, into: &right, at: i * p)
                for c in 0..<p { left[i * p + c] = right[i * p + c] }
                if !isLast[r] {
                    let (mx, mx2) = targetMoments(r + 1)
                    CrossFittedRewardModel.writeFeatures(states.row(r + 1), mx, mx2, means: means, scales: scales, into: &next, at: 0)
                    let g = Float(transitionDiscounts[r])
                    for c in 0..<p { left[i * p + c] -= g * next[c] }
                }
                if isFirst[r] {
                    let (mx, mx2) = targetMoments(r)
                    CrossFittedRewardModel.writeFeatures(states.row(r), mx, mx2, means: means, scales: scales, into: &next, at: 0)
                    for c in 0..<p { b[c] += Double(next[c]) / Double(m) }
                }
            }
            // system[j, k] += Σ_i left[i, j] right[i, k]
            left.withUnsafeBufferPointer { l in
                right.withUnsafeBufferPointer { q in
                    product.withUnsafeMutableBufferPointer { out in
                        BLAS.sgemm(transposeA: true, transposeB: false, m: p, n: p, k: rows.count, alpha: 1,
                                   a: l.baseAddress!, lda: p, b: q.baseAddress!, ldb: p, beta: 0, c: out.baseAddress!, ldc: p)
                    }
                }
            }
            for c in 0..<(p * p) { system[c] += Double(product[c]) / Double(n) }
            start = rows.upperBound
        }

        let theta: [Double]
        if let direct = luSolve(system, b, p) {
            theta = direct
        } else {
            theta = try ridgeSolve(system, b, p)
        }

        var out = [Double](repeating: 0, count: n)
        var features = [Float](repeating: 0, count: p)
        for r in 0..<n {
            let (x, x2) = logged(r)
            CrossFittedRewardModel.writeFeatures(states.row(r), x, x2, means: means, scales: scales, into: &features, at: 0)
            var w = 0.0
            for c in 0..<p { w += theta[c] * Double(features[c]) }
            out[r] = w
        }
        return out
    }

    /// θ with M θ = b by Gaussian elimination with partial pivoting, M row-major p × p; nil when a pivot is below
    /// 10⁻¹² of the largest entry (M singular to working precision).
    public static func luSolve(_ matrix: [Double], _ vector: [Double], _ p: Int) -> [Double]? {
        var a = matrix, x = vector
        let scale = a.reduce(0) { max($0, abs($1)) }
        guard scale > 0 else { return nil }
        for k in 0..<p {
            var pivot = k
            for i in (k + 1)..<max(k + 1, p) where abs(a[i * p + k]) > abs(a[pivot * p + k]) { pivot = i }
            guard abs(a[pivot * p + k]) > 1e-12 * scale else { return nil }
            if pivot != k {
                for j in 0..<p { a.swapAt(k * p + j, pivot * p + j) }
                x.swapAt(k, pivot)
            }
            for i in (k + 1)..<max(k + 1, p) {
                let f = a[i * p + k] / a[k * p + k]
                guard f != 0 else { continue }
                for j in k..<p { a[i * p + j] -= f * a[k * p + j] }
                x[i] -= f * x[k]
            }
        }
        for k in stride(from: p - 1, through: 0, by: -1) {
            var sum = x[k]
            for j in (k + 1)..<max(k + 1, p) { sum -= a[k * p + j] * x[j] }
            x[k] = sum / a[k * p + k]
        }
        return x
    }

    /// The ridge least-squares θ of M θ = b, (MᵀM + λ tr(MᵀM)/p I) θ = Mᵀ b: the fallback when M is singular.
    static func ridgeSolve(_ system: [Double], _ b: [Double], _ p: Int) throws -> [Double] {
        var normal = [Double](repeating: 0, count: p * p), rhs = [Double](repeating: 0, count: p)
        for i in 0..<p {
            for j in 0...i {
                var sum = 0.0
                for k in 0..<p { sum += system[k * p + i] * system[k * p + j] }
                normal[i * p + j] = sum
                normal[j * p + i] = sum
            }
            for k in 0..<p { rhs[i] += system[k * p + i] * b[k] }
        }
        let trace = (0..<p).reduce(0.0) { $0 + normal[$1 * p + $1] }
        for i in 0..<p { normal[i * p + i] += ridge * max(trace / Double(p), .leastNormalMagnitude) }
        do {
            return try CrossFittedRewardModel.solve(normal, rhs, p)
        } catch {
            throw EvaluationError.invalidParameter("MWL: the weight equations cannot be solved (\(error))")
        }
    }
}

/// Marginalised importance sampling with MWL's occupancy ratio (Uehara, Huang & Jiang 2020, the w-estimator):
/// V̂ = (1/n) Σ_t w(s_t, a_t) r_t over the n logged steps, the return per episode (÷ the mean user-days for reward
/// per user-day), with w from `MinimaxWeightLearning` (`LoggedDecisions.occupancyWeights`). It needs no behaviour
/// density, so it works on logs of deterministic policies, and is right as far as the linear class holds the true
/// ratio; its variance does not grow with the episode's length as products of per-step weights do. Per-episode terms
/// (m/n) Σ_{t∈e} w_t r_t treat w as fixed: the interval ignores the error of fitting it.
public struct MarginalizedImportanceSampling: Estimator {
    public init() {}
    public var name: String { "MWL" }
    public var supportedEstimands: [Estimand] { [.discountedReturn, .rewardPerUserDay] }
    public var weightScope: WeightScope? { nil }

    public func statistic(_ input: EvaluationInput, estimand: Estimand) throws -> any EpisodeStatistic {
        try check(estimand)
        let data = input.data
        guard let w = data.occupancyWeights else {
            throw EvaluationError.invalidParameter("\(name) needs the target's occupancy weights (MinimaxWeightLearning)")
        }
        let scale = Double(data.episodes) / Double(data.steps)
        return try sequentialStatistic(input, estimand: estimand) { _ in
            RatioStatistic.meanOverEpisodes(RatioStatistic.episodeSums(data) { scale * w[$0] * data.rewards[$0] })
        }
    }
}
