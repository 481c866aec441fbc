import Numerics
import Simulator

/// The reward model of the per-request model-based estimators (DM, DR, SNDR, Switch-DR, DR-OS): a ridge regression
/// of the logged reward on features of the state and action, cross-fitted on folds of episodes.
///
/// Features: φ(s, x) = [1, z, x, x², z ⊗ x], with z the state standardised by the log's mean and standard deviation
/// per feature, x the action in the normalised units of the run's box ([−1, 1]^A), x² elementwise and z ⊗ x every
/// product z_i x_j (1 + S + 2A + S·A features: 359 on `short-video`): the reward's dependence on the weights may
/// change with the state (the candidates' predictions, the session so far), and bends with each weight.
///
/// Fit: β = (Φᵀ Φ + λ n D)⁻¹ Φᵀ r, λ = `ridge` per step, D the identity without the intercept. Cross-fitting
/// (Chernozhukov et al. 2018, "Double/debiased machine learning", Econometrics Journal; for OPE, Kallus & Uehara 2020):
/// the episodes are cut into `folds` contiguous blocks, and q̂ on a block comes from the fit on the other blocks, so
/// that the DR correction w (r − q̂) is not fitted to its own noise and DR keeps its unbiasedness whatever q̂.
///
/// v̂(s) = E_{a∼π_e(·|s)} q̂(s, a): q̂ is linear in [x, x²] given s, so v̂ is q̂ with x and x² replaced by the target's
/// E[x] and E[x²] at s (`TargetPolicy.actionMoments`: sampled target actions, or the kernel-smoothed target).
/// Deterministic: no randomness in the fit.
public struct CrossFittedRewardModel: Sendable {
    public static let defaultFolds = 5
    public static let defaultRidge = 1e-3

    /// Number of folds used (fewer than asked when the log has fewer episodes; 1: no cross-fitting).
    public let folds: Int
    public let ridge: Double
    /// The first step of each fold, then the step count.
    let foldOffsets: [Int]
    /// β per fold.
    let coefficients: [[Double]]
    let stateMean: [Double]
    let stateScale: [Double]
    let stateDimension: Int
    let actionDimension: Int

    /// Number of features 1 + S + 2A + S·A.
    static func featureCount(states s: Int, actions a: Int) -> Int { 1 + s + 2 * a + s * a }

    /// Fits the model to `rewards` at the raw `states` and `actions`, episodes at `episodeOffsets`.
    public init(states: Matrix, actions: Matrix, rewards: [Double], episodeOffsets: [Int], runSpace: ActionSpace,
                folds requested: Int = defaultFolds, ridge: Double = defaultRidge, batchSize: Int = 2048) throws {
        guard requested >= 1, ridge > 0, ridge.isFinite else {
            throw EvaluationError.invalidParameter("reward model: folds must be ≥ 1 and the ridge positive, got \(requested) and \(ridge)")
        }
        let (n, s, a) = (states.rows, states.columns, actions.columns)
        precondition(actions.rows == n && rewards.count == n && episodeOffsets.last == n, "CrossFittedRewardModel: shapes differ")
        let episodes = episodeOffsets.count - 1
        let folds = max(1, min(requested, episodes))
        self.folds = folds
        self.ridge = ridge
        stateDimension = s
        actionDimension = a
        foldOffsets = (0...folds).map { episodeOffsets[$0 * episodes / folds] }
        var means = [Double](), scales = [Double]()
        for j in 0..<s {
            var statistics = RunningStatistics()
            for r in 0..<n { statistics.add(Double(states[r, j])) }
            means.append(statistics.mean)
            scales.append(statistics.standardDeviation > 0 ? statistics.standardDeviation : 1)
        }
        stateMean = means
        stateScale = scales
        let p = Self.featureCount(states: s, actions: a)
        var gram = [[Double]](repeating: [Double](repeating: 0, count: p * p), count: folds)
        var moment = [[Double]](repeating: [Double](repeating: 0, count: p), count: folds)
        var features = [Float](repeating: 0, count: batchSize * p)
        var product = [Float](repeating: 0, count: p * p)
        var x = [Double](repeating: 0, count: a), x2 = [Double](repeating: 0, count: a)
        for k in 0..<folds {
            var start = foldOffsets[k]
            while start < foldOffsets[k + 1] {
                let rows = start..<min(start + batchSize, foldOffsets[k + 1])
                for (i, r) in rows.enumerated() {
                    for j in 0..<a {
                        x[j] = Double(runSpace.normalize(actions[r, j], dimension: j))
                        x2[j] = x[j] * x[j]
                    }
                    Self.writeFeatures(states.row(r), x, x2, means: means, scales: scales, into: &features, at: i * p)
                    for c in 0..<p { moment[k][c] += Double(features[i * p + c]) * rewards[r] }
                }
                features.withUnsafeBufferPointer { f in
                    product.withUnsafeMutableBufferPointer { g in
                        BLAS.sgemm(transposeA: true, transposeB: false, m: p, n: p, k: rows.count, alpha: 1,
                                   a: f.baseAddress!, lda: p, b: f.baseAddress!, ldb: p, beta: 0, c: g.baseAddress!, ldc: p)
                    }
                }
                for c in 0..<(p * p) { gram[k][c] += Double(product[c]) }
                start = rows.upperBound
            }
        }
        var coefficients = [[Double]]()
        for k in 0..<folds {
            var matrix = [Double](repeating: 0, count: p * p), vector = [Double](repeating: 0, count: p)
            var count = 0
            for j in 0..<folds where folds == 1 || j != k {
                for c in 0..<(p * p) { matrix[c] += gram[j][c] }
                for c in 0..<p { vector[c] += moment[j][c] }
                count += foldOffsets[j + 1] - foldOffsets[j]
            }
            for c in 1..<p { matrix[c * p + c] += ridge * Double(max(count, 1)) }
            coefficients.append(try Self.solve(matrix, vector, p))
        }
        self.coefficients = coefficients
    }

    /// φ(s, x) with x and x² given (normalised units), written as `Float`s from `offset`.
    static func writeFeatures(_ state: ArraySlice<Float>, _ x: [Double], _ x2: [Double], means: [Double],
                                      scales: [Double], into out: inout [Float], at offset: Int) {
        let (s, a) = (means.count, x.count)
        var c = offset
        out[c] = 1
        c += 1
        let base = state.startIndex
        for i in 0..<s { out[c + i] = Float((Double(state[base + i]) - means[i]) / scales[i]) }
        let zStart = c
        c += s
        for j in 0..<a { out[c + j] = Float(x[j]) }
        c += a
        for j in 0..<a { out[c + j] = Float(x2[j]) }
        c += a
        for i in 0..<s {
            let z = out[zStart + i]
            for j in 0..<a { out[c + i * a + j] = z * Float(x[j]) }
        }
    }

    /// βᵀφ in `Double`.
    private func value(_ beta: [Double], _ state: ArraySlice<Float>, _ x: [Double], _ x2: [Double]) -> Double {
        let (s, a) = (stateDimension, actionDimension)
        var total = beta[0]
        let base = state.startIndex
        var c = 1
        var z = [Double](repeating: 0, count: s)
        for i in 0..<s {
            z[i] = (Double(state[base + i]) - stateMean[i]) / stateScale[i]
            total += beta[c + i] * z[i]
        }
        c += s
        for j in 0..<a { total += beta[c + j] * x[j] + beta[c + a + j] * x2[j] }
        c += 2 * a
        for i in 0..<s {
            var inner = 0.0
            for j in 0..<a { inner += beta[c + i * a + j] * x[j] }
            total += z[i] * inner
        }
        return total
    }

    /// The fold of each step's coefficients.
    private func eachStep(_ n: Int, _ body: (Int, [Double]) -> Void) {
        precondition(n == foldOffsets.last, "CrossFittedRewardModel: \(n) steps for a model fitted on \(foldOffsets.last!)")
        for k in 0..<folds {
            for r in foldOffsets[k]..<foldOffsets[k + 1] { body(r, coefficients[k]) }
        }
    }

    /// q̂(s_t, a_t) at the logged raw actions, each step with its fold's coefficients.
    public func loggedActionValues(states: Matrix, actions: Matrix, runSpace: ActionSpace) -> [Double] {
        var out = [Double](repeating: 0, count: states.rows)
        var x = [Double](repeating: 0, count: actionDimension), x2 = x
        eachStep(states.rows) { r, beta in
            for j in 0..<actionDimension {
                x[j] = Double(runSpace.normalize(actions[r, j], dimension: j))
                x2[j] = x[j] * x[j]
            }
            out[r] = value(beta, states.row(r), x, x2)
        }
        return out
    }

    /// v̂(s_t) = E_{π_e} q̂(s_t, ·) from the target's moments E[x], E[x²] per step (`TargetPolicy.actionMoments`).
    public func targetValues(states: Matrix, moments: (mean: [Double], meanSquare: [Double])) -> [Double] {
        var out = [Double](repeating: 0, count: states.rows)
        let a = actionDimension
        eachStep(states.rows) { r, beta in
            out[r] = value(beta, states.row(r), Array(moments.mean[(r * a)..<((r + 1) * a)]),
                           Array(moments.meanSquare[(r * a)..<((r + 1) * a)]))
        }
        return out
    }

    /// Solves the symmetric positive-definite system by Cholesky (A = L Lᵀ).
    static func solve(_ matrix: [Double], _ vector: [Double], _ p: Int) throws -> [Double] {
        var l = [Double](repeating: 0, count: p * p)
        for i in 0..<p {
            for j in 0...i {
                var sum = matrix[i * p + j]
                for k in 0..<j { sum -= l[i * p + k] * l[j * p + k] }
                if i == j {
                    guard sum > 0 else {
                        throw EvaluationError.invalidParameter("reward model: the ridge system is not positive definite at feature \(i)")
                    }
                    l[i * p + i] = sum.squareRoot()
                } else {
                    l[i * p + j] = sum / l[j * p + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: p)
        for i in 0..<p {
            var sum = vector[i]
            for k in 0..<i { sum -= l[i * p + k] * y[k] }
            y[i] = sum / l[i * p + i]
        }
        var beta = [Double](repeating: 0, count: p)
        for i in stride(from: p - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<p { sum -= l[k * p + i] * beta[k] }
            beta[i] = sum / l[i * p + i]
        }
        return beta
    }
}
