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
    public static func featureCount(states s: Int, actions a: Int) -> Int { 1 + s + 2 * a + s * a }

    /// Fits the model to `rewards` at the raw `states` and `actions`, episodes at `episodeOffsets`.
    ///
    /// Each fold's Φᵀ Φ is accumulated over blocks of `batchSize` rows: the block's features in `Float`, its Gram
    /// matrix by BLAS (`ssyrk`, the upper triangle), added in `Double`; Φᵀ r in `Double`. The folds run on up to
    /// `threads` threads; results do not depend on it.
    public init(states: Matrix, actions: Matrix, rewards: [Double], episodeOffsets: [Int], runSpace: ActionSpace,
                folds requested: Int = defaultFolds, ridge: Double = defaultRidge, batchSize: Int = 2048,
                threads: Int = 1) throws {
        guard requested >= 1, ridge > 0, ridge.isFinite else {
            throw EvaluationError.invalidParameter("reward model: folds must be ≥ 1 and the ridge positive, got \(requested) and \(ridge)")
        }
        let (n, s, a) = (states.rows, states.columns, actions.columns)
        precondition(actions.rows == n && rewards.count == n && episodeOffsets.last == n, "CrossFittedRewardModel: shapes differ")
        precondition(batchSize > 0 && threads > 0, "CrossFittedRewardModel: batch size and threads must be positive")
        let episodes = episodeOffsets.count - 1
        let folds = max(1, min(requested, episodes))
        self.folds = folds
        self.ridge = ridge
        stateDimension = s
        actionDimension = a
        let foldOffsets = (0...folds).map { episodeOffsets[$0 * episodes / folds] }
        self.foldOffsets = foldOffsets
        var statistics = [RunningStatistics](repeating: RunningStatistics(), count: s)
        states.elements.withUnsafeBufferPointer { x in
            for r in 0..<n {
                for j in 0..<s { statistics[j].add(Double(x[r * s + j])) }
            }
        }
        let means = statistics.map(\.mean)
        let scales = statistics.map { $0.standardDeviation > 0 ? $0.standardDeviation : 1 }
        stateMean = means
        stateScale = scales
        let p = Self.featureCount(states: s, actions: a)
        // Tasks of up to 32 blocks within one fold; each fold's sums are added task by task in row order, so the
        // result does not depend on the thread count.
        let chunk = 32 * batchSize
        let tasks = (0..<folds).flatMap { k in
            stride(from: foldOffsets[k], to: foldOffsets[k + 1], by: chunk).map { (k, $0..<min($0 + chunk, foldOffsets[k + 1])) }
        }
        let parts = ParallelSlots<(gram: [Double], moment: [Double])>(count: tasks.count, initial: ([], []))
        ParallelWork.run(tasks: tasks.count, threads: threads) { t in
            parts[t] = Self.blockSums(states: states, actions: actions, rewards: rewards, rows: tasks[t].1, runSpace: runSpace,
                                      means: means, scales: scales, p: p, batchSize: batchSize)
        }
        var sums = [(gram: [Double], moment: [Double])](repeating: ([Double](repeating: 0, count: p * p),
                                                                     [Double](repeating: 0, count: p)), count: folds)
        for (t, part) in parts.values.enumerated() {
            let k = tasks[t].0
            for c in 0..<(p * p) { sums[k].gram[c] += part.gram[c] }
            for c in 0..<p { sums[k].moment[c] += part.moment[c] }
        }
        for k in 0..<folds {
            for i in 0..<p {
                for j in 0..<i { sums[k].gram[i * p + j] = sums[k].gram[j * p + i] }
            }
        }
        var coefficients = [[Double]]()
        for k in 0..<folds {
            var matrix = [Double](repeating: 0, count: p * p), vector = [Double](repeating: 0, count: p)
            var count = 0
            for j in 0..<folds where folds == 1 || j != k {
                for c in 0..<(p * p) { matrix[c] += sums[j].gram[c] }
                for c in 0..<p { vector[c] += sums[j].moment[c] }
                count += foldOffsets[j + 1] - foldOffsets[j]
            }
            for c in 1..<p { matrix[c * p + c] += ridge * Double(max(count, 1)) }
            coefficients.append(try Self.solve(matrix, vector, p))
        }
        self.coefficients = coefficients
    }

    /// The upper triangle of Φᵀ Φ, and Φᵀ r, over `rows`, in blocks of `batchSize`.
    static func blockSums(states: Matrix, actions: Matrix, rewards: [Double], rows: Range<Int>, runSpace: ActionSpace,
                         means: [Double], scales: [Double], p: Int, batchSize: Int) -> (gram: [Double], moment: [Double]) {
        let (s, a) = (states.columns, actions.columns)
        var gram = [Double](repeating: 0, count: p * p), moment = [Double](repeating: 0, count: p)
        var features = [Float](repeating: 0, count: batchSize * p)
        var product = [Float](repeating: 0, count: p * p)
        var x = [Double](repeating: 0, count: a), x2 = [Double](repeating: 0, count: a)
        states.elements.withUnsafeBufferPointer { sp in
        actions.elements.withUnsafeBufferPointer { ap in
        features.withUnsafeMutableBufferPointer { f in
        product.withUnsafeMutableBufferPointer { g in
        gram.withUnsafeMutableBufferPointer { gram in
        moment.withUnsafeMutableBufferPointer { moment in
            var start = rows.lowerBound
            while start < rows.upperBound {
                let block = start..<min(start + batchSize, rows.upperBound)
                for (i, r) in block.enumerated() {
                    for j in 0..<a {
                        x[j] = Double(runSpace.normalize(ap[r * a + j], dimension: j))
                        x2[j] = x[j] * x[j]
                    }
                    Self.writeFeatures(sp.baseAddress! + r * s, s, x, x2, means: means, scales: scales, into: f.baseAddress! + i * p)
                    let row = f.baseAddress! + i * p, reward = rewards[r]
                    for c in 0..<p { moment[c] += Double(row[c]) * reward }
                }
                BLAS.ssyrkTransposed(n: p, k: block.count, alpha: 1, a: f.baseAddress!, lda: p, beta: 0, c: g.baseAddress!, ldc: p)
                for i in 0..<p {
                    for j in i..<p { gram[i * p + j] += Double(g[i * p + j]) }
                }
                start = block.upperBound
            }
        }
        }
        }
        }
        }
        }
        return (gram, moment)
    }

    /// φ(s, x) with x and x² given (normalised units), written as `Float`s from `offset`.
    static func writeFeatures(_ state: ArraySlice<Float>, _ x: [Double], _ x2: [Double], means: [Double],
                              scales: [Double], into out: inout [Float], at offset: Int) {
        state.withUnsafeBufferPointer { sp in
            out.withUnsafeMutableBufferPointer { o in
                writeFeatures(sp.baseAddress!, means.count, x, x2, means: means, scales: scales, into: o.baseAddress! + offset)
            }
        }
    }

    /// φ(s, x) with x and x² given (normalised units), written as `Float`s at `out`.
    @inline(__always)
    private static func writeFeatures(_ state: UnsafePointer<Float>, _ s: Int, _ x: [Double], _ x2: [Double], means: [Double],
                                      scales: [Double], into out: UnsafeMutablePointer<Float>) {
        let a = x.count
        out[0] = 1
        let z = out + 1
        for i in 0..<s { z[i] = Float((Double(state[i]) - means[i]) / scales[i]) }
        let linear = z + s
        for j in 0..<a { linear[j] = Float(x[j]) }
        for j in 0..<a { linear[a + j] = Float(x2[j]) }
        let cross = linear + 2 * a
        for i in 0..<s {
            let zi = z[i]
            for j in 0..<a { cross[i * a + j] = zi * Float(x[j]) }
        }
    }

    /// βᵀφ in `Double`, with x and x² at `x` and `x2` (normalised units).
    @inline(__always)
    private func value(_ beta: UnsafePointer<Double>, _ state: UnsafePointer<Float>, _ x: UnsafePointer<Double>,
                       _ x2: UnsafePointer<Double>) -> Double {
        let (s, a) = (stateDimension, actionDimension)
        var total = beta[0]
        withUnsafeTemporaryAllocation(of: Double.self, capacity: s) { z in
            for i in 0..<s {
                z[i] = (Double(state[i]) - stateMean[i]) / stateScale[i]
                total += beta[1 + i] * z[i]
            }
            let linear = beta + 1 + s, cross = beta + 1 + s + 2 * a
            for j in 0..<a { total += linear[j] * x[j] + linear[a + j] * x2[j] }
            for i in 0..<s {
                var inner = 0.0
                for j in 0..<a { inner += cross[i * a + j] * x[j] }
                total += z[i] * inner
            }
        }
        return total
    }

    /// `body(k, rows)` for every fold k and its rows, on up to `threads` threads.
    private func eachFold(_ n: Int, threads: Int, _ body: @Sendable (Int, Range<Int>) -> Void) {
        precondition(n == foldOffsets.last, "CrossFittedRewardModel: \(n) steps for a model fitted on \(foldOffsets.last!)")
        let chunk = 8192
        let tasks = (0..<folds).flatMap { k in
            stride(from: foldOffsets[k], to: foldOffsets[k + 1], by: chunk).map { (k, $0..<min($0 + chunk, foldOffsets[k + 1])) }
        }
        ParallelWork.run(tasks: tasks.count, threads: threads) { body(tasks[$0].0, tasks[$0].1) }
    }

    /// q̂(s_t, a_t) at the logged raw actions, each step with its fold's coefficients, on up to `threads` threads.
    public func loggedActionValues(states: Matrix, actions: Matrix, runSpace: ActionSpace, threads: Int = 1) -> [Double] {
        let a = actionDimension, s = stateDimension
        let out = ParallelSlots<Double>(count: states.rows, initial: 0)
        eachFold(states.rows, threads: threads) { k, rows in
            var x = [Double](repeating: 0, count: a), x2 = x
            self.coefficients[k].withUnsafeBufferPointer { beta in
            states.elements.withUnsafeBufferPointer { sp in
            actions.elements.withUnsafeBufferPointer { ap in
                for r in rows {
                    for j in 0..<a {
                        x[j] = Double(runSpace.normalize(ap[r * a + j], dimension: j))
                        x2[j] = x[j] * x[j]
                    }
                    out[r] = self.value(beta.baseAddress!, sp.baseAddress! + r * s, x, x2)
                }
            }
            }
            }
        }
        return out.values
    }

    /// v̂(s_t) = E_{π_e} q̂(s_t, ·) from the target's moments E[x], E[x²] per step (`TargetPolicy.actionMoments`), on
    /// up to `threads` threads.
    public func targetValues(states: Matrix, moments: (mean: [Double], meanSquare: [Double]), threads: Int = 1) -> [Double] {
        let a = actionDimension, s = stateDimension
        let out = ParallelSlots<Double>(count: states.rows, initial: 0)
        eachFold(states.rows, threads: threads) { k, rows in
            self.coefficients[k].withUnsafeBufferPointer { beta in
            states.elements.withUnsafeBufferPointer { sp in
            moments.mean.withUnsafeBufferPointer { m in
            moments.meanSquare.withUnsafeBufferPointer { m2 in
                for r in rows {
                    out[r] = self.value(beta.baseAddress!, sp.baseAddress! + r * s, m.baseAddress! + r * a, m2.baseAddress! + r * a)
                }
            }
            }
            }
            }
        }
        return out.values
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
