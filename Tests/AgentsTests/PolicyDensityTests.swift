import Agents
import Foundation
import NeuralNet
import Numerics
import Rollout
import Simulator
import Testing
import TestSupport

/// `PolicyDensity` of `ActorPolicy` in every mode: the value for a logged (state, action) is the `logDensity` that
/// `act` recorded, the densities agree with the formulas written out by hand and are normalised, and the
/// deterministic mode gives the actor's action.
@Suite("Actor policy densities")
struct ActorPolicyDensityTests {
    static let sac = ActorHead.squashedGaussian(minimumLogStd: -20, maximumLogStd: 2)

    static let modes: [(String, ActorHead, ActorPolicy.Mode)] = [
        ("deterministic actor", .deterministic, .deterministic),
        ("deterministic actor, Gaussian exploration", .deterministic, .gaussian(sigma: 0.3)),
        ("SAC actor, mean", sac, .deterministic),
        ("SAC actor, Gaussian exploration", sac, .gaussian(sigma: 0.1)),
        ("SAC actor, sampling", sac, .squashedGaussian),
    ]

    /// `PolicyTests.policy` with the weights scaled by `scale` (large scales saturate the tanh) and other hidden layers.
    static func policy(head: ActorHead, mode: ActorPolicy.Mode, scale: Float = 0.3, hidden: [Int] = [32, 32],
                       seed: UInt64 = 60) -> ActorPolicy {
        var stream = RandomStream(seed: seed)
        var actor = ActorNetwork(stateDimension: 3, actionDimension: 2, hiddenSizes: hidden, head: head, stream: &stream)
        actor.setParameterVector(actor.parameterVector().map { _ in scale * stream.normalFloat() })
        let normalizer = NormalizerStatistics(mean: [0.1, -0.2, 0.4], scale: [2, 0.5, 1.5], clip: 5)
        return ActorPolicy(agentName: "test", actor: actor, normalizer: normalizer, environment: ToyTask.environment, mode: mode)
    }

    /// The actor's pre-squash means μ and clamped log σ per row (`batch × A` each).
    static func heads(_ policy: ActorPolicy, states: Matrix) -> (mean: Matrix, logStd: Matrix) {
        guard case .squashedGaussian(let lo, let hi) = policy.actor.head else { preconditionFailure("not a SAC actor") }
        let out = policy.actor.predictRowIndependent(policy.normalizer.applied(to: states))
        let a = policy.actor.actionDimension
        return (Matrix(rows: states.rows, columns: a) { out[$0, $1] },
                Matrix(rows: states.rows, columns: a) { min(max(out[$0, a + $1], lo), hi) })
    }

    /// Whether the normalised action of row `r` lies within rounding of a face in some dimension.
    static func onFace(_ actions: Matrix, row r: Int, space: ActionSpace) -> Bool {
        (0..<space.dimension).contains { j in
            abs(space.normalizedForDensity(actions[r, j], dimension: j) ?? 2) >= 1 - space.roundingSlack(dimension: j)
        }
    }

    @Test("the density of each logged action is the log-density act recorded; locations are the recorded means",
          arguments: 0..<5)
    func reproducesLoggedDensities(index: Int) {
        let (label, head, mode) = Self.modes[index]
        let policy = Self.policy(head: head, mode: mode, scale: 0.15)
        let states = Fixtures.uniform(400, 3, seed: 100, bound: 2)
        let out = PolicyTests.act(policy, states: states, streamSeeds: 0..<400)
        #expect(policy.isDeterministic == (mode == .deterministic))
        var locations = Matrix(rows: 0, columns: 0)
        policy.locations(states: states, into: &locations)
        #expect(locations.elements == out.means.elements, "\(label): locations are not the recorded means")
        if policy.isDeterministic { #expect(locations.elements == out.actions.elements, "\(label)") }
        // Draws whose tanh rounded onto a face are checked against the face cell below; none at this scale.
        #expect(!(0..<400).contains { Self.onFace(out.actions, row: $0, space: policy.actionSpace) })
        let check = expectLoggedDensities(policy, states: states, actions: out.actions, logged: out.logDensities, label)
        #expect(check.worst <= 1e-3, "\(label): differs from the log by \(check.worst)")
        var values = [Double]()
        policy.logDensities(states: states, actions: out.actions, into: &values)
        #expect(policy.logDensity(state: Array(states.row(7)), action: Array(out.actions.row(7))) == values[7])
    }

    @Test("saturated SAC draws: finite densities, the face cell's mean density, the log elsewhere")
    func saturatedSquashedGaussian() {
        let policy = Self.policy(head: Self.sac, mode: .squashedGaussian, scale: 0.5)
        let space = policy.actionSpace
        let rows = 400
        let states = Fixtures.uniform(rows, 3, seed: 101, bound: 2)
        let out = PolicyTests.act(policy, states: states, streamSeeds: 0..<rows)
        var values = [Double]()
        policy.logDensities(states: states, actions: out.actions, into: &values)
        let (mean, logStd) = Self.heads(policy, states: states)
        var interior = [Int](), saturated = 0
        for r in 0..<rows {
            #expect(values[r].isFinite, "row \(r)")
            guard Self.onFace(out.actions, row: r, space: space) else {
                interior.append(r)
                continue
            }
            saturated += 1
            // By hand: per dimension, the interior density or P(beyond the cell's edge) / w.
            var expected = -space.logJacobian
            for j in 0..<2 {
                let x = space.normalizedForDensity(out.actions[r, j], dimension: j)!
                let (mu, sigma) = (Double(mean[r, j]), Elementary.exp(Double(logStd[r, j])))
                let w = space.roundingSlack(dimension: j)
                if abs(x) >= 1 - w {
                    let edge = 0.5 * Elementary.log((2 - w) / w), side = x > 0 ? 1.0 : -1.0
                    expected += Elementary.log(StandardNormal.cdf(-(edge - side * mu) / sigma) / w)
                } else {
                    let u = 0.5 * Elementary.log((1 + x) / (1 - x))
                    expected += Elementary.log(StandardNormal.density((u - mu) / sigma) / sigma / (1 - x * x))
                }
            }
            assertClose(values[r], expected, relative: 1e-6, absolute: 1e-6, "row \(r)")
        }
        #expect(saturated >= 20 && interior.count >= 20, "\(saturated) saturated rows, \(interior.count) interior")
        let check = expectLoggedDensities(policy, states: states.gatherRows(interior), actions: out.actions.gatherRows(interior),
                                          logged: interior.map { out.logDensities[$0] }, "interior rows")
        #expect(check.rows == interior.count)
        // Interior rows differ by more than rounding-level amounts only where σ(1 − x²) nears the rounding itself;
        // this saturating actor has σ down to e⁻⁹ next to faces, and 127 of its 180 interior rows stay within 10⁻³.
        let close = interior.filter { abs(values[$0] - out.logDensities[$0]) <= 1e-3 }.count
        #expect(close * 5 >= interior.count * 3, "\(close) of \(interior.count) interior rows within 1e-3 of the log")
    }

    @Test("the squashed and truncated Gaussian densities agree with the formulas written out by hand")
    func knownAnswers() {
        let space = ToyTask.actionSpace
        let states = Fixtures.uniform(6, 3, seed: 102, bound: 2)
        let actions = Matrix([[0.3, -1.5], [1.9, 0.7], [1, 0], [0.05, 1.99], [1.2, -0.3], [0.6, 1.1]])
        let sampling = Self.policy(head: Self.sac, mode: .squashedGaussian)
        let (mean, logStd) = Self.heads(sampling, states: states)
        var squashed = [Double]()
        sampling.logDensities(states: states, actions: actions, into: &squashed)
        // Jacobian of [0, 2] × [−2, 2] from the normalised box: 1 · 2.
        for r in 0..<6 {
            var expected = -Elementary.log(2.0)
            for j in 0..<2 {
                let x = 2 * (Double(actions[r, j]) - Double(space.low[j])) / Double(space.high[j] - space.low[j]) - 1
                let u = 0.5 * Elementary.log((1 + x) / (1 - x)), sigma = Elementary.exp(Double(logStd[r, j]))
                expected += Elementary.log(StandardNormal.density((u - Double(mean[r, j])) / sigma) / sigma / (1 - x * x))
            }
            assertClose(squashed[r], expected, relative: 1e-9, absolute: 1e-9, "squashed row \(r)")
        }
        let exploring = Self.policy(head: .deterministic, mode: .gaussian(sigma: 0.4))
        var meanActions = Matrix(rows: 0, columns: 0), truncated = [Double]()
        exploring.locations(states: states, into: &meanActions)
        exploring.logDensities(states: states, actions: actions, into: &truncated)
        for r in 0..<6 {
            var expected = -Elementary.log(2.0)
            for j in 0..<2 {
                let x = 2 * (Double(actions[r, j]) - Double(space.low[j])) / Double(space.high[j] - space.low[j]) - 1
                let m = Double(space.normalize(meanActions[r, j], dimension: j))
                let mass = StandardNormal.cdf((1 - m) / 0.4) - StandardNormal.cdf((-1 - m) / 0.4)
                expected += Elementary.log(StandardNormal.density((x - m) / 0.4) / 0.4 / mass)
            }
            assertClose(truncated[r], expected, relative: 1e-5, absolute: 1e-5, "truncated row \(r)")
        }
        // Outside the box: no density in either mode.
        var outside = [Double]()
        sampling.logDensities(states: states.rows(0..<1), actions: Matrix([[2.5, 0]]), into: &outside)
        #expect(outside == [-.infinity])
        exploring.logDensities(states: states.rows(0..<1), actions: Matrix([[1, -2.5]]), into: &outside)
        #expect(outside == [-.infinity])
        // The deterministic mode: a point mass at the actor's action.
        let deterministic = exploring.with(mode: .deterministic)
        #expect(deterministic.isDeterministic && !exploring.isDeterministic && !sampling.isDeterministic)
        let location = deterministic.location(state: Array(states.row(2)))
        #expect(location == Array(meanActions.row(2)))
        #expect(deterministic.logDensity(state: Array(states.row(2)), action: location) == 0)
        #expect(deterministic.logDensity(state: Array(states.row(2)), action: [location[0].nextUp, location[1]]) == -.infinity)
    }

    /// ∫ exp(log π) over the raw box for one state, on an n × n grid of `x = tanh t`, t uniform on [−T, T] in each
    /// dimension (the quadrature follows the squashed density's mass towards the faces).
    static func integrate(_ policy: ActorPolicy, state: [Float], n: Int, t bound: Double) -> Double {
        let space = policy.actionSpace
        let step = 2 * bound / Double(n)
        var actions = Matrix(rows: n * n, columns: 2), weights = [Double](repeating: 0, count: n * n)
        for p in 0..<n {
            for q in 0..<n {
                var weight = step * step
                for (j, k) in [(0, p), (1, q)] {
                    let t = -bound + (Double(k) + 0.5) * step, x = Foundation.tanh(t)
                    let halfWidth = Double(space.high[j] - space.low[j]) / 2
                    actions[p * n + q, j] = Float(Double(space.low[j]) + (x + 1) * halfWidth)
                    weight *= (1 - x * x) * halfWidth
                }
                weights[p * n + q] = weight
            }
        }
        let states = Matrix(rows: n * n, columns: 3) { _, c in state[c] }
        var values = [Double]()
        policy.logDensities(states: states, actions: actions, into: &values)
        return zip(values, weights).reduce(0) { $0 + Elementary.exp($1.0) * $1.1 }
    }

    @Test("the squashed and the truncated Gaussian densities integrate to 1 over the raw box")
    func densitiesAreNormalised() {
        for (label, mode, head) in [("squashed", ActorPolicy.Mode.squashedGaussian, Self.sac),
                                    ("truncated", .gaussian(sigma: 0.3), ActorHead.deterministic)] {
            let policy = Self.policy(head: head, mode: mode, scale: 0.15, hidden: [8])
            for state: [Float] in [[0, 0, 0], [1, -1, 0.5], [-2, 0.5, 1]] {
                let integral = Self.integrate(policy, state: state, n: 200, t: 6)
                #expect(abs(integral - 1) < 2e-3, "\(label) at \(state): ∫ π = \(integral)")
            }
        }
    }

    @Test("the face cell's mass is the Gaussian tail beyond the cell's edge; the tail is continuous across z = 30")
    func faceCells() {
        let w = 1e-6, edge = 0.5 * Elementary.log((2 - w) / w)
        for (mu, logStd) in [(0.0, 0.0), (6.0, 0.5), (-9.0, -1.0), (12.0, 1.0)] {
            let sigma = Elementary.exp(logStd)
            let upper = SquashedGaussian.faceLogDensity(side: 1, cellWidth: w, mean: mu, logStd: logStd)
            let lower = SquashedGaussian.faceLogDensity(side: -1, cellWidth: w, mean: mu, logStd: logStd)
            assertClose(Elementary.exp(upper) * w, 1 - StandardNormal.cdf((edge - mu) / sigma), relative: 1e-9, absolute: 1e-15)
            assertClose(Elementary.exp(lower) * w, StandardNormal.cdf((-edge - mu) / sigma), relative: 1e-9, absolute: 1e-15)
        }
        assertClose(SquashedGaussian.logUpperTail(0), -Elementary.log(2), relative: 1e-15)
        assertClose(SquashedGaussian.logUpperTail(30.0.nextDown), SquashedGaussian.logUpperTail(30), relative: 1e-9)
        #expect(SquashedGaussian.logUpperTail(100).isFinite && SquashedGaussian.logUpperTail(100) < -5000)
    }
}

/// Logged runs through the traced simulation: every step's `logDensity` is what the acting policy's `PolicyDensity`
/// gives for that step's state and action.
@Suite("Logged densities in the simulator")
struct LoggedDensityTests {
    @Test("each logging policy's density reproduces the log-densities of its traced steps")
    func tracedRuns() throws {
        let world = SimulatorTrainingTests.world
        let space = world.actionSpace, names = world.stateLayout.names
        let environment = AgentEnvironment(world: world)
        func actor(_ head: ActorHead, seed: UInt64) -> ActorNetwork {
            var stream = RandomStream(seed: seed)
            return ActorNetwork(stateDimension: names.count, actionDimension: space.dimension, hiddenSizes: [16],
                                head: head, stream: &stream)
        }
        func actorPolicy(_ head: ActorHead, _ mode: ActorPolicy.Mode, seed: UInt64) -> ActorPolicy {
            ActorPolicy(agentName: "test", actor: actor(head, seed: seed), normalizer: .identity(dimension: names.count),
                        environment: environment, mode: mode)
        }
        let sac = ActorHead.squashedGaussian(minimumLogStd: -5, maximumLogStd: 2)
        let feature = 1
        let policies: [(String, any FusionPolicy)] = [
            ("baseline", try PolicySpec.parse("baseline", world: world)),
            ("random", try PolicySpec.parse("random", world: world)),
            ("gaussian", try PolicySpec.parse("gaussian:0.2", world: world)),
            ("mixture", try PolicySpec.parse("mixture", world: world)),
            ("ramp", RampPolicy(featureName: names[feature], featureIndex: feature, low: 0, high: 3,
                                from: space.denormalize([Float](repeating: -0.5, count: space.dimension)),
                                to: space.denormalize([Float](repeating: 0.5, count: space.dimension)), actionSpace: space)),
            ("DDPG actor", actorPolicy(.deterministic, .deterministic, seed: 1)),
            ("DDPG actor exploring", actorPolicy(.deterministic, .gaussian(sigma: 0.2), seed: 2)),
            ("SAC actor sampling", actorPolicy(sac, .squashedGaussian, seed: 3)),
            ("SAC actor mean", actorPolicy(sac, .deterministic, seed: 4)),
        ]
        for (label, policy) in policies {
            let density = try #require(policy as? any PolicyDensity, "\(label) states no density")
            let sessions = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config), policy: policy, seed: 21)
                .episodes(0..<8, threads: 1, lanes: 8, trace: true)
            let steps = sessions.flatMap(\.steps)
            #expect(steps.count >= 20, "\(label): \(steps.count) steps")
            let states = Matrix(rows: steps.count, columns: names.count, elements: steps.flatMap(\.state))
            let actions = Matrix(rows: steps.count, columns: space.dimension, elements: steps.flatMap(\.action))
            expectLoggedDensities(density, states: states, actions: actions, logged: steps.map(\.logDensity), label)
            var locations = Matrix(rows: 0, columns: 0)
            density.locations(states: states, into: &locations)
            #expect(locations.elements == steps.flatMap(\.behaviourMean), "\(label): locations are not the logged means")
        }
    }
}
