import Numerics
import Simulator
import Testing
import TestSupport

/// `PolicyDensity` of the simulator's policies: the value for a logged (state, action) is the `logDensity` that `act`
/// recorded, each density is normalised and agrees with values computed by hand, and deterministic policies give
/// their action.
@Suite("Policy densities")
struct PolicyDensityTests {
    /// Three dimensions, raw widths 2, 1 and 5 (tiny preset's box).
    static let space = Fixtures.tinyWorld.actionSpace
    /// One dimension, raw box [−1, 3] (normalised x ↦ raw −1 + 2(x + 1), Jacobian 2).
    static let line = ActionSpace(names: ["w.click"], low: [-1], high: [3], baseline: [1])
    /// Two dimensions, raw boxes [0, 2] and [−2, 4] (Jacobian 1 · 3).
    static let plane = ActionSpace(names: ["w.a", "w.b"], low: [0, -2], high: [2, 4], baseline: [1, 1])

    /// Logging policies acting on `space`, with a label; the ramp reads state feature 1.
    static func loggingPolicies() -> [(String, any PolicyDensity)] {
        let s = space
        let near = s.denormalize([0.95, -0.9, 0.2])
        return [
            ("fixed", FixedPolicy(action: s.baseline, actionSpace: s)),
            ("random", UniformRandomPolicy(actionSpace: s)),
            ("gaussian σ 0.3 at the baseline", GaussianPolicy(mean: s.baseline, sigma: 0.3, actionSpace: s)),
            ("gaussian σ 0.05 near faces", GaussianPolicy(mean: near, sigma: 0.05, actionSpace: s)),
            ("gaussian σ 2", GaussianPolicy(mean: s.baseline, sigma: 2, actionSpace: s)),
            ("mixture at the baseline", MixturePolicy(mean: s.baseline, sigma: 0.1, boxHalfWidth: 0.15, actionSpace: s)),
            ("mixture near faces", MixturePolicy(mean: near, sigma: 0.2, boxHalfWidth: 0.15, actionSpace: s)),
            ("ramp", RampPolicy(featureName: "depth", featureIndex: 1, low: 0, high: 5, from: [0.2, 0.9, -4],
                                to: [1.5, 0.1, -7], actionSpace: s)),
        ]
    }

    /// `rows` states of 3 features uniform in [−2, 7] (the ramp's feature sweeps past both ends).
    static func states(_ rows: Int, seed: UInt64) -> Matrix {
        var stream = RandomStream(seed: seed)
        return Matrix(rows: rows, columns: 3) { _, _ in Float(-2 + 9 * stream.nextUniform()) }
    }

    /// The output of `act` on `states` (one seeded stream per row) and the protocol's values for its actions.
    static func actAndEvaluate(_ policy: any PolicyDensity, states: Matrix, seed: UInt64) -> (PolicyOutput, [Double]) {
        var output = PolicyOutput(batch: states.rows, actionDimension: policy.actionSpace.dimension)
        withStreams(count: states.rows, seed: seed) { policy.act(states: states, streams: $0, into: &output) }
        var values = [Double]()
        policy.logDensities(states: states, actions: output.actions, into: &values)
        return (output, values)
    }

    @Test("the density of each logged action is the log-density act recorded; locations are the recorded means",
          arguments: 0..<8)
    func reproducesLoggedDensities(index: Int) {
        let (label, policy) = Self.loggingPolicies()[index]
        let states = Self.states(2_000, seed: 80 + UInt64(index))
        let (output, values) = Self.actAndEvaluate(policy, states: states, seed: 90 + UInt64(index))
        #expect(values.allSatisfy { $0.isFinite }, "\(label)")
        let check = expectLoggedDensities(policy, states: states, actions: output.actions, logged: output.logDensities, label)
        #expect(check.worst <= 1e-5, "\(label): differs from the log by \(check.worst)")
        #expect(policy.isDeterministic == output.groups.allSatisfy { $0 == .deterministic }, "\(label)")
        var locations = Matrix(rows: 0, columns: 0)
        policy.locations(states: states, into: &locations)
        #expect(locations.elements == output.means.elements, "\(label): locations are not the recorded means")
        if policy.isDeterministic { #expect(locations.elements == output.actions.elements, "\(label)") }
        // Row by row, through the convenience, the same numbers.
        for r in [0, 1, states.rows - 1] {
            #expect(policy.logDensity(state: Array(states.row(r)), action: Array(output.actions.row(r))) == values[r])
            #expect(policy.location(state: Array(states.row(r))) == Array(output.means.row(r)))
        }
    }

    /// ∫ exp(log π) over the plane's raw box by the midpoint rule on an n × n grid.
    static func integrateOverPlane(_ policy: any PolicyDensity, n: Int) -> Double {
        let space = Self.plane
        let widths = (0..<2).map { Double(space.high[$0] - space.low[$0]) }
        var actions = Matrix(rows: n * n, columns: 2)
        for r in 0..<n {
            for c in 0..<n {
                actions[r * n + c, 0] = Float(Double(space.low[0]) + (Double(r) + 0.5) * widths[0] / Double(n))
                actions[r * n + c, 1] = Float(Double(space.low[1]) + (Double(c) + 0.5) * widths[1] / Double(n))
            }
        }
        var values = [Double]()
        policy.logDensities(states: Matrix(rows: n * n, columns: 1), actions: actions, into: &values)
        return values.reduce(0) { $0 + Elementary.exp($1) } * widths[0] * widths[1] / Double(n * n)
    }

    @Test("each stochastic density integrates to 1 over the raw box (2-D midpoint rule)",
          arguments: [(Float(0.5), Float(-0.2)), (Float(-0.9), Float(1)), (Float(0.95), Float(0.9))])
    func densitiesAreNormalised(x0: Float, x1: Float) {
        let space = Self.plane
        let mean = space.denormalize([x0, x1])
        // The box faces (μ ± 0.15, cut at ±1) fall on cell boundaries of the 400-cell grid (cells of 0.005).
        let policies: [(String, any PolicyDensity)] = [
            ("random", UniformRandomPolicy(actionSpace: space)),
            ("gaussian", GaussianPolicy(mean: mean, sigma: 0.2, actionSpace: space)),
            ("mixture", MixturePolicy(mean: mean, sigma: 0.2, boxHalfWidth: 0.15, actionSpace: space)),
        ]
        for (label, policy) in policies {
            let integral = Self.integrateOverPlane(policy, n: 400)
            #expect(abs(integral - 1) < 1e-3, "\(label) at (\(x0), \(x1)): ∫ π = \(integral)")
        }
    }

    @Test("Gaussian and mixture densities agree with values computed by hand")
    func knownAnswers() {
        let space = Self.line
        let none = [Float]()
        let mass = StandardNormal.cdf(2) - StandardNormal.cdf(-2)
        // N(0, 0.5²) truncated to [−1, 1] at x = 0.5 (raw 2): z = 1; raw units halve the density.
        let gaussian = GaussianPolicy(mean: [1], sigma: 0.5, actionSpace: space)
        let pGauss = StandardNormal.density(1) / 0.5 / mass
        assertClose(gaussian.logDensity(state: none, action: [2]), Elementary.log(pGauss / 2), relative: 1e-12)
        // At the face (raw 3, x = 1, z = 2) the truncated density is finite; beyond it, zero.
        assertClose(gaussian.logDensity(state: none, action: [3]),
                    Elementary.log(StandardNormal.density(2) / 0.5 / mass / 2), relative: 1e-12)
        #expect(gaussian.logDensity(state: none, action: [3.5]) == -.infinity)
        #expect(gaussian.logDensity(state: none, action: [-1.01]) == -.infinity)
        // One unit in the last place beyond the face is rounding, not outside.
        #expect(gaussian.logDensity(state: none, action: [Float(3).nextUp]).isFinite)

        // The mixture: ½ uniform on [−0.15, 0.15] + ½ the same Gaussian, both evaluated at every point.
        let mixture = MixturePolicy(mean: [1], sigma: 0.5, boxHalfWidth: 0.15, actionSpace: space)
        let pInside = StandardNormal.density(0.2) / 0.5 / mass      // x = 0.1 (raw 1.2)
        assertClose(mixture.logDensity(state: none, action: [1.2]),
                    Elementary.log((0.5 / 0.3 + 0.5 * pInside) / 2), relative: 1e-6)
        assertClose(mixture.logDensity(state: none, action: [2]), Elementary.log(0.5 * pGauss / 2), relative: 1e-12)

        // A box cut by the face: mean x = 0.9, box [0.75, 1] of width 0.25.
        let cut = MixturePolicy(mean: [2.8], sigma: 0.5, boxHalfWidth: 0.15, actionSpace: space)
        let cutMass = StandardNormal.cdf(0.2) - StandardNormal.cdf(-3.8)
        let pCut = StandardNormal.density(0) / 0.5 / cutMass          // x = 0.9 (raw 2.8), the mean
        assertClose(cut.logDensity(state: none, action: [2.8]), Elementary.log((0.5 / 0.25 + 0.5 * pCut) / 2), relative: 1e-6)

        // The whole box of the tiny preset: 1 / (2 · 1 · 5).
        let random = UniformRandomPolicy(actionSpace: Self.space)
        assertClose(random.logDensity(state: none, action: Self.space.baseline), -Elementary.log(10), relative: 1e-12)
        #expect(random.logDensity(state: none, action: [0.5, 0.5, 1]) == -.infinity)
    }

    @Test("deterministic policies say so, give their action as location, and are point masses there")
    func deterministicPolicies() {
        let s = Self.space
        let fixed = FixedPolicy(action: [0.2, 0.9, -4], actionSpace: s)
        #expect(fixed.isDeterministic)
        #expect(fixed.location(state: [3]) == [0.2, 0.9, -4])
        #expect(fixed.logDensity(state: [3], action: [0.2, 0.9, -4]) == 0)
        #expect(fixed.logDensity(state: [3], action: [0.2, 0.9, Float(-4).nextUp]) == -.infinity)

        // Feature 1 at 1.25 of the ramp 0…5: a quarter of the way from `from` to `to`.
        let ramp = RampPolicy(featureName: "depth", featureIndex: 1, low: 0, high: 5, from: [0, 1, -4], to: [2, 0, -8], actionSpace: s)
        #expect(ramp.isDeterministic)
        let state: [Float] = [9, 1.25, 9]
        #expect(ramp.location(state: state) == [0.5, 0.75, -5])
        #expect(ramp.logDensity(state: state, action: [0.5, 0.75, -5]) == 0)
        #expect(ramp.logDensity(state: state, action: [0, 1, -4]) == -.infinity)
        #expect(ramp.location(state: [0, -3, 0]) == [0, 1, -4])
        #expect(ramp.location(state: [0, 30, 0]) == [2, 0, -8])

        for policy: any PolicyDensity in [UniformRandomPolicy(actionSpace: s), GaussianPolicy(mean: s.baseline, sigma: 0.2, actionSpace: s),
                                          MixturePolicy(mean: s.baseline, sigma: 0.2, boxHalfWidth: 0.1, actionSpace: s)] {
            #expect(!policy.isDeterministic, "\(policy.spec)")
        }
    }

    @Test("output buffers are reshaped to the batch and reused")
    func buffers() {
        let policy = GaussianPolicy(mean: Self.space.baseline, sigma: 0.3, actionSpace: Self.space)
        let states = Self.states(5, seed: 3)
        let (output, _) = Self.actAndEvaluate(policy, states: states, seed: 4)
        var values = [Double](repeating: .nan, count: 9)
        policy.logDensities(states: states, actions: output.actions, into: &values)
        #expect(values.count == 5 && values.allSatisfy { $0.isFinite })
        var locations = Matrix(rows: 9, columns: 1)
        policy.locations(states: states, into: &locations)
        #expect(locations.rows == 5 && locations.columns == 3)
        var empty = [Double](repeating: 1, count: 2)
        policy.logDensities(states: Matrix(rows: 0, columns: 3), actions: Matrix(rows: 0, columns: 3), into: &empty)
        #expect(empty.isEmpty)
    }
}
