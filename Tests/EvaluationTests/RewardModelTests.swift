import Evaluation
import Numerics
import Simulator
import Testing

/// The cross-fitted reward model's blocked fit (per-block `Float` features, BLAS `ssyrk` Gram, `Double`
/// accumulation) against answers known without it: rewards exactly linear in the features are recovered at every
/// step, and the ridge solution equals one computed from the definition in `Double`; blocks and threads change
/// nothing beyond rounding.
@Suite("Cross-fitted reward model")
struct RewardModelTests {
    static let (n, s, a) = (240, 3, 2)
    static let space = ActionSpace(names: ["w0", "w1"], low: [0, -2], high: [1, 2], baseline: [0.5, 0])
    /// 24 episodes of 10 steps.
    static let offsets = Array(stride(from: 0, through: 240, by: 10))

    static func data() -> (states: Matrix, actions: Matrix) {
        var stream = RandomStream(seed: 11)
        let states = Matrix(rows: n, columns: s) { _, j in Float(j + 1) * stream.normalFloat() + Float(j) }
        let actions = Matrix(rows: n, columns: a) { _, j in
            space.denormalize(Float(2 * stream.nextUniform() - 1), dimension: j)
        }
        return (states, actions)
    }

    /// φ(s, x) = [1, z, x, x², z ⊗ x] in `Double`, from the definition.
    static func features(_ states: Matrix, _ actions: Matrix, row r: Int) -> [Double] {
        let columns = (0..<s).map { j in RunningStatistics((0..<n).map { Double(states[$0, j]) }) }
        let z = (0..<s).map { (Double(states[r, $0]) - columns[$0].mean) / columns[$0].standardDeviation }
        let x = (0..<a).map { Double(space.normalize(actions[r, $0], dimension: $0)) }
        return [1] + z + x + x.map { $0 * $0 } + z.flatMap { zi in x.map { zi * $0 } }
    }

    @Test func linearRewardsAreRecoveredAtEveryStep() throws {
        let (states, actions) = Self.data()
        let phi = (0..<Self.n).map { Self.features(states, actions, row: $0) }
        let beta = (0..<phi[0].count).map { 0.5 - Double($0 % 5) * 0.3 }
        let rewards = phi.map { row in zip(row, beta).reduce(0) { $0 + $1.0 * $1.1 } }
        let model = try CrossFittedRewardModel(states: states, actions: actions, rewards: rewards, episodeOffsets: Self.offsets,
                                               runSpace: Self.space, ridge: 1e-10, batchSize: 7)
        #expect(model.folds == 5)
        let q = model.loggedActionValues(states: states, actions: actions, runSpace: Self.space)
        let worst = zip(q, rewards).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-3, "largest |q̂ − r| = \(worst)")
        // v̂ at the logged actions' own moments (E[x] = x, E[x²] = x²) is q̂.
        let x = (0..<Self.n).flatMap { r in (0..<Self.a).map { Double(Self.space.normalize(actions[r, $0], dimension: $0)) } }
        let v = model.targetValues(states: states, moments: (x, x.map { $0 * $0 }))
        #expect(zip(v, q).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test func ridgeSolutionEqualsTheDefinitionAndDoesNotDependOnBlocksOrThreads() throws {
        let (states, actions) = Self.data()
        var stream = RandomStream(seed: 12)
        let rewards = (0..<Self.n).map { r in Double(states[r, 0]) * Double(actions[r, 1]) + stream.normal() }
        let ridge = 0.05
        let model = try CrossFittedRewardModel(states: states, actions: actions, rewards: rewards, episodeOffsets: Self.offsets,
                                               runSpace: Self.space, ridge: ridge, batchSize: 16)
        let q = model.loggedActionValues(states: states, actions: actions, runSpace: Self.space)

        // Fold k (episodes ⌊24k/5⌋..<⌊24(k+1)/5⌋) is predicted by β_k = (Φ₋ₖᵀΦ₋ₖ + λ n₋ₖ D)⁻¹ Φ₋ₖᵀ r₋ₖ, solved here by Gaussian
        // elimination with partial pivoting in Double.
        let phi = (0..<Self.n).map { Self.features(states, actions, row: $0) }
        let p = phi[0].count
        var expected = [Double](repeating: 0, count: Self.n)
        for k in 0..<5 {
            let held = Self.offsets[24 * k / 5]..<Self.offsets[24 * (k + 1) / 5]
            var system = [[Double]](repeating: [Double](repeating: 0, count: p + 1), count: p)
            for r in 0..<Self.n where !held.contains(r) {
                for i in 0..<p {
                    for j in 0..<p { system[i][j] += phi[r][i] * phi[r][j] }
                    system[i][p] += phi[r][i] * rewards[r]
                }
            }
            for i in 1..<p { system[i][i] += ridge * Double(Self.n - held.count) }
            for column in 0..<p {
                let pivot = (column..<p).max { abs(system[$0][column]) < abs(system[$1][column]) }!
                system.swapAt(column, pivot)
                for row in 0..<p where row != column {
                    let factor = system[row][column] / system[column][column]
                    for j in column...p { system[row][j] -= factor * system[column][j] }
                }
            }
            let beta = (0..<p).map { system[$0][p] / system[$0][$0] }
            for r in held { expected[r] = zip(phi[r], beta).reduce(0) { $0 + $1.0 * $1.1 } }
        }
        let worst = zip(q, expected).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4, "largest |q̂ − q̂_definition| = \(worst)")

        // One block or one row per block, one thread or three: the same values to rounding, and bit for bit across
        // thread counts.
        for (batchSize, threads) in [(1, 1), (4096, 1), (16, 3)] {
            let other = try CrossFittedRewardModel(states: states, actions: actions, rewards: rewards,
                                                   episodeOffsets: Self.offsets, runSpace: Self.space, ridge: ridge,
                                                   batchSize: batchSize, threads: threads)
            let values = other.loggedActionValues(states: states, actions: actions, runSpace: Self.space, threads: threads)
            if batchSize == 16 {
                #expect(values == q)
            } else {
                #expect(zip(values, q).allSatisfy { abs($0 - $1) < 1e-5 }, "batch size \(batchSize)")
            }
        }
    }
}
