import Foundation
import Numerics
import Simulator
import Testing
import TestSupport

/// A centre that is not a `PolicyDensity` and draws random numbers while acting, though its mean is a function of
/// the state: `ExplorationAround` must give it a stream of its own, never the row's.
struct StreamConsumingCentre: FusionPolicy {
    let actionSpace: ActionSpace
    var spec: String { "stream-consuming" }
    var explorationScale: Float { 0 }

    func act(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into output: inout PolicyOutput) {
        let a = actionSpace.dimension
        output.prepare(batch: states.rows, actionDimension: a)
        var mean = [Float](repeating: 0, count: a)
        for r in 0..<states.rows {
            for _ in 0..<5 { _ = streams[r].next() }
            for i in 0..<a {
                let t = 1 / (1 + Elementary.exp(-states[r, i % states.columns]))
                mean[i] = actionSpace.low[i] + t * (actionSpace.high[i] - actionSpace.low[i])
            }
            output.record(row: r, action: mean, mean: mean, logDensity: 0, group: .deterministic)
        }
    }
}

/// Exploration kernels around a policy (`ExplorationAround`): around fixed weights they are `GaussianPolicy` and
/// `MixturePolicy` bit for bit; the uniform box is uniform on the cut box; every density integrates to 1, is what
/// `act` logged, centres on the centre's action, and rows are independent.
@Suite("Exploration around a policy")
struct ExplorationAroundTests {
    static let space = PolicyDensityTests.space
    static let plane = PolicyDensityTests.plane
    static let line = PolicyDensityTests.line

    /// A ramp on state feature 1 of `space`.
    static func ramp(_ s: ActionSpace = space) -> RampPolicy {
        RampPolicy(featureName: "depth", featureIndex: 1, low: 0, high: 5, from: s.denormalize([Float](repeating: -0.95, count: s.dimension)),
                   to: s.denormalize([Float](repeating: 0.9, count: s.dimension)), actionSpace: s)
    }

    static let kernels: [ExplorationKernel] = [.gaussian(sigma: 0.2), .box(halfWidth: 0.15), .mixture(sigma: 0.1, boxHalfWidth: 0.15),
                                               .box(halfWidth: 3)]

    @Test("around fixed weights, the Gaussian and mixture kernels are GaussianPolicy and MixturePolicy bit for bit")
    func reproducesTheFixedWeightPolicies() {
        let s = Self.space
        let near = s.denormalize([0.95, -0.9, 0.2])
        for mean in [s.baseline, near] {
            let pairs: [(any FusionPolicy, ExplorationKernel)] = [
                (GaussianPolicy(mean: mean, sigma: 0.3, actionSpace: s), .gaussian(sigma: 0.3)),
                (MixturePolicy(mean: mean, sigma: 0.1, boxHalfWidth: 0.15, actionSpace: s), .mixture(sigma: 0.1, boxHalfWidth: 0.15)),
            ]
            for (reference, kernel) in pairs {
                let around = ExplorationAround(centre: FixedPolicy(action: mean, actionSpace: s), kernel: kernel, actionSpace: s)
                #expect(around.spec == reference.spec)
                #expect(around.explorationScale == reference.explorationScale)
                let states = PolicyDensityTests.states(500, seed: 4)
                let (a, _) = PolicyDensityTests.actAndEvaluate(around, states: states, seed: 5)
                let (b, _) = PolicyDensityTests.actAndEvaluate(reference as! any PolicyDensity, states: states, seed: 5)
                #expect(a.actions.elements == b.actions.elements, "\(reference.spec)")
                #expect(a.means.elements == b.means.elements && a.logDensities == b.logDensities && a.groups == b.groups)
            }
        }
    }

    /// Policies with state-dependent and fixed centres, each kernel.
    static func policies() -> [(String, ExplorationAround)] {
        var out: [(String, ExplorationAround)] = []
        for kernel in kernels {
            out.append(("\(kernel.spec) around a ramp", ExplorationAround(centre: ramp(), kernel: kernel, actionSpace: space)))
            out.append(("\(kernel.spec) around weights near the faces",
                        ExplorationAround(centre: FixedPolicy(action: space.denormalize([0.95, -0.9, 0.2]), actionSpace: space),
                                          kernel: kernel, actionSpace: space)))
            out.append(("\(kernel.spec) around a stream-consuming centre",
                        ExplorationAround(centre: StreamConsumingCentre(actionSpace: space), kernel: kernel, actionSpace: space)))
        }
        return out
    }

    @Test("the logged log-density is the density recomputed; locations and recorded means are the centre's action",
          arguments: 0..<12)
    func reproducesLoggedDensities(index: Int) {
        let (label, policy) = Self.policies()[index]
        let states = PolicyDensityTests.states(2_000, seed: 30 + UInt64(index))
        let (output, values) = PolicyDensityTests.actAndEvaluate(policy, states: states, seed: 40 + UInt64(index))
        #expect(values.allSatisfy { $0.isFinite }, "\(label)")
        let check = expectLoggedDensities(policy, states: states, actions: output.actions, logged: output.logDensities, label)
        #expect(check.worst <= 1e-5, "\(label): differs from the log by \(check.worst)")
        var centres = PolicyOutput(batch: 0, actionDimension: 3)
        withStreams(count: states.rows, seed: 1) { policy.centre.act(states: states, streams: $0, into: &centres) }
        #expect(output.means.elements == centres.means.elements, "\(label): recorded means are not the centre's actions")
        var locations = Matrix(rows: 0, columns: 0)
        policy.locations(states: states, into: &locations)
        #expect(locations.elements == output.means.elements, "\(label)")
        #expect(!policy.isDeterministic && output.groups.allSatisfy { $0 != .deterministic })
        if case .box = policy.kernel { #expect(output.groups.allSatisfy { $0 == .uniformBox }) }
        if case .gaussian = policy.kernel { #expect(output.groups.allSatisfy { $0 == .gaussian }) }
    }

    @Test("rows are independent: a batch acts as its rows acting alone", arguments: 0..<12)
    func rowIndependence(index: Int) {
        let (label, policy) = Self.policies()[index]
        let states = PolicyDensityTests.states(40, seed: 7)
        var batch = PolicyOutput(batch: 0, actionDimension: 3)
        withStreams(count: 40, seed: 8) { policy.act(states: states, streams: $0, into: &batch) }
        for r in [0, 17, 39] {
            var stream = RandomStream(seed: 8, keys: UInt64(r))
            var single = PolicyOutput(batch: 1, actionDimension: 3)
            policy.act(states: Matrix(rows: 1, columns: 3, elements: Array(states.row(r))), streams: &stream, into: &single)
            #expect(Array(single.actions.row(0)) == Array(batch.actions.row(r)), "\(label) row \(r)")
            #expect(single.logDensities[0] == batch.logDensities[r], "\(label) row \(r)")
        }
    }

    @Test("each kernel around a state-dependent centre integrates to 1 over the raw box in two states (2-D midpoint rule)",
          arguments: [Float(-3), Float(1), Float(2.5)])
    func densitiesAreNormalised(feature: Float) {
        // The plane's ramp on feature 0 puts the centre at normalised −0.95 + 1.85·t per dimension, t = feature / 5
        // clamped: −0.95 (feature −3, cut by the face), −0.58 (1) and −0.025 (2.5), where every box face, centre ± 0.15
        // or ± 0.6, falls on a boundary of the 400-cell grid (cells of 0.005).
        let centre = RampPolicy(featureName: "f", featureIndex: 0, low: 0, high: 5, from: Self.plane.denormalize([-0.95, -0.95]),
                                to: Self.plane.denormalize([0.9, 0.9]), actionSpace: Self.plane)
        for kernel in [ExplorationKernel.gaussian(sigma: 0.2), .box(halfWidth: 0.15), .mixture(sigma: 0.2, boxHalfWidth: 0.15),
                       .box(halfWidth: 0.6)] {
            let policy = ExplorationAround(centre: centre, kernel: kernel, actionSpace: Self.plane)
            let n = 400
            let widths = (0..<2).map { Double(Self.plane.high[$0] - Self.plane.low[$0]) }
            var actions = Matrix(rows: n * n, columns: 2)
            for r in 0..<n {
                for c in 0..<n {
                    actions[r * n + c, 0] = Float(Double(Self.plane.low[0]) + (Double(r) + 0.5) * widths[0] / Double(n))
                    actions[r * n + c, 1] = Float(Double(Self.plane.low[1]) + (Double(c) + 0.5) * widths[1] / Double(n))
                }
            }
            let states = Matrix(rows: n * n, columns: 1, elements: [Float](repeating: feature, count: n * n))
            var values = [Double]()
            policy.logDensities(states: states, actions: actions, into: &values)
            let integral = values.reduce(0) { $0 + Elementary.exp($1) } * widths[0] * widths[1] / Double(n * n)
            #expect(abs(integral - 1) < 1e-3, "\(kernel.spec) at feature \(feature): ∫ π = \(integral)")
        }
    }

    @Test("the box kernel's density, by hand: 1 / width of the cut box, over the raw Jacobian")
    func boxKnownAnswers() throws {
        let space = Self.line, none = [Float]()
        // Centre x = 0 (raw 1), b = 0.15: uniform on [−0.15, 0.15], density 1/0.3 in x, halved in raw units.
        let centred = ExplorationAround(centre: FixedPolicy(action: [1], actionSpace: space), kernel: .box(halfWidth: 0.15), actionSpace: space)
        assertClose(centred.logDensity(state: none, action: [1.2]), Elementary.log(1 / 0.3 / 2), relative: 1e-6)
        #expect(centred.logDensity(state: none, action: [1.4]) == -.infinity)
        // Centre x = 0.9 (raw 2.8): the box [0.75, 1] of width 0.25.
        let cut = ExplorationAround(centre: FixedPolicy(action: [2.8], actionSpace: space), kernel: .box(halfWidth: 0.15), actionSpace: space)
        assertClose(cut.logDensity(state: none, action: [3]), Elementary.log(1 / 0.25 / 2), relative: 1e-5)
        assertClose(cut.logDensity(state: none, action: [2.6]), Elementary.log(1 / 0.25 / 2), relative: 1e-5)
        #expect(cut.logDensity(state: none, action: [2.4]) == -.infinity)
        // A box wider than the action box is the uniform policy.
        let whole = ExplorationAround(centre: FixedPolicy(action: Self.space.baseline, actionSpace: Self.space),
                                      kernel: .box(halfWidth: 2), actionSpace: Self.space)
        let random = UniformRandomPolicy(actionSpace: Self.space)
        assertClose(whole.logDensity(state: none, action: [0.2, 0.1, -3]), random.logDensity(state: none, action: [0.2, 0.1, -3]),
                    relative: 1e-12)
    }

    @Test("box draws are uniform on the cut box around a state-dependent centre (χ² per dimension)")
    func boxIsUniform() {
        let space = Self.space, rows = 40_000, bins = 20
        let policy = ExplorationAround(centre: Self.ramp(), kernel: .box(halfWidth: 0.15), actionSpace: space)
        // Two states: the centre at −0.95 (box cut to [−1, −0.8]) and in the middle (t = 0.5, centre −0.025).
        for feature: Float in [-1, 2.5] {
            let output = act(policy, rows: rows, stateDimension: 3, seed: 61) { _ in [0, feature, 0] }
            for i in 0..<space.dimension {
                let m = space.normalize(output.means[0, i], dimension: i)
                let (low, high) = (Double(max(-1, m - 0.15)), Double(min(1, m + 0.15)))
                var counts = [Int](repeating: 0, count: bins)
                for r in 0..<rows {
                    let x = Double(space.normalize(output.actions[r, i], dimension: i))
                    #expect(x >= low - 1e-5 && x <= high + 1e-5, "feature \(feature) dimension \(i): \(x) outside [\(low), \(high)]")
                    counts[min(max(Int((x - low) / (high - low) * Double(bins)), 0), bins - 1)] += 1
                }
                let chi2 = chiSquareStatistic(observed: counts, probabilities: [Double](repeating: 1 / Double(bins), count: bins))
                #expect(chi2 < chiSquareCriticalValue(degreesOfFreedom: bins - 1), "feature \(feature) dimension \(i): χ² = \(chi2)")
            }
        }
    }

    @Test("a stochastic centre is refused in one line; the parameters are JSON with the centre's")
    func refusalsAndParameters() throws {
        let s = Self.space
        for centre: any FusionPolicy in [UniformRandomPolicy(actionSpace: s), GaussianPolicy(mean: s.baseline, sigma: 0.1, actionSpace: s)] {
            let reason = try #require(ExplorationAround.refusal(centre: centre))
            #expect(reason.contains("stochastic") && reason.contains(centre.spec) && !reason.contains("\n"))
        }
        #expect(ExplorationAround.refusal(centre: Self.ramp()) == nil)
        #expect(ExplorationAround.refusal(centre: StreamConsumingCentre(actionSpace: s)) == nil)
        let policy = ExplorationAround(centre: Self.ramp(), kernel: .mixture(sigma: 0.1, boxHalfWidth: 0.2), actionSpace: s,
                                       spec: "mixture:0.1,0.2@a \"quoted\" ramp")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(policy.parametersJSON.utf8)) as? [String: Any])
        #expect(object["spec"] as? String == "mixture:0.1,0.2@a \"quoted\" ramp")
        #expect(object["kernel"] as? String == "mixture")
        #expect((object["sigma"] as? Double).map { abs($0 - 0.1) < 1e-6 } == true)
        #expect((object["boxHalfWidth"] as? Double).map { abs($0 - 0.2) < 1e-6 } == true)
        let centre = try #require(object["centre"] as? [String: Any])
        #expect(centre["spec"] as? String == Self.ramp().spec)
    }
}

@Suite("Exploration specs")
struct ExplorationSpecTests {
    let world = Fixtures.tinyWorld

    func parse(_ spec: String) throws -> any FusionPolicy { try PolicySpec.parse(spec, world: world) }

    @Test func parsesEveryForm() throws {
        let space = world.actionSpace
        let box = try #require(try parse("box:0.2") as? ExplorationAround)
        #expect(box.kernel == .box(halfWidth: 0.2) && (box.centre as? FixedPolicy)?.action == space.baseline)
        #expect(box.spec == "box:0.2" && box.explorationScale == 0.2)
        let weights = try #require(try parse("box:0.1@0.1,0.9,-3") as? ExplorationAround)
        #expect((weights.centre as? FixedPolicy)?.action == [0.1, 0.9, -3])
        let ramp = "ramp:session.requestIndex=0..10@0.5,0.5,-2@0.2,0.8,-5"
        let gaussian = try #require(try parse("gaussian:0.3@" + ramp) as? ExplorationAround)
        #expect(gaussian.kernel == .gaussian(sigma: 0.3) && gaussian.centre is RampPolicy && gaussian.spec == "gaussian:0.3@" + ramp)
        let mixture = try #require(try parse("mixture@" + ramp) as? ExplorationAround)
        let defaults = world.config.policies
        #expect(mixture.kernel == .mixture(sigma: Float(defaults.explorationSigma), boxHalfWidth: Float(defaults.boxHalfWidth)))
        let aroundBaseline = try #require(try parse("mixture:0.1,0.2@baseline") as? ExplorationAround)
        #expect(aroundBaseline.kernel == .mixture(sigma: 0.1, boxHalfWidth: 0.2))
        // Weights after the kernel keep the existing policies.
        #expect(try parse("gaussian:0.3@0.1,0.9,-3") is GaussianPolicy)
        #expect(try parse("mixture@0.1,0.9,-3") is MixturePolicy)
        #expect(PolicySpec.forms.contains("box:B[@w1,…|@POLICY]"))
    }

    /// The spec recorded is the spec given, and parses back to the same policy.
    @Test func specsRoundTrip() throws {
        for spec in ["box:0.2", "box:0.1@0.1,0.9,-3", "gaussian:0.3@ramp:session.requestIndex=0..10@0.5,0.5,-2@0.2,0.8,-5",
                     "box:0.15@baseline", "mixture:0.1,0.2@fixed:0.2,0.8,-1"] {
            let policy = try #require(try parse(spec) as? ExplorationAround)
            #expect(policy.spec == spec)
            let again = try #require(try parse(policy.spec) as? ExplorationAround)
            #expect(again.kernel == policy.kernel && again.centre.spec == policy.centre.spec)
        }
        let programmatic = ExplorationAround(centre: FixedPolicy(action: [0.1, 0.9, -3], actionSpace: world.actionSpace),
                                             kernel: .box(halfWidth: 0.25), actionSpace: world.actionSpace)
        let again = try #require(try parse(programmatic.spec) as? ExplorationAround)
        #expect(again.kernel == .box(halfWidth: 0.25) && (again.centre as? FixedPolicy)?.action == [0.1, 0.9, -3])
    }

    func expectParseError(_ spec: String, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try PolicySpec.parse(spec, world: world)
            Issue.record("'\(spec)' parsed", sourceLocation: sourceLocation)
        } catch {
            #expect(error.spec == spec, sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix("policy '\(spec)': "), sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
            for f in fragments {
                #expect(error.message.contains(f), "'\(f)' missing from: \(error)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func clearErrors() {
        expectParseError("box", ["expected box:B"])
        expectParseError("box:-0.1", ["expected a positive box half-width", "-0.1"])
        expectParseError("box:0.1@0.5,0.5", ["expected 3 weights"])
        expectParseError("box:0.1@0.5,x,-2", ["expected a number", "'x'"])
        expectParseError("box:0.1@random", ["stochastic", "'random'", "deterministic"])
        expectParseError("gaussian:0.1@mixture", ["stochastic"])
        expectParseError("gaussian:0.1@box:0.2", ["stochastic"])
        expectParseError("gaussian@baseline", ["expected gaussian:SIGMA@POLICY"])
        expectParseError("mixture:0.1@baseline", ["expected mixture:SIGMA,BOX@POLICY"])
        expectParseError("box:0@baseline", ["expected a positive box half-width"])
        expectParseError("box:0.1@softmax:1", ["centre policy 'softmax:1'", "unknown policy kind"])
        expectParseError("box:0.1@", ["expected a policy after '@'"])
    }
}
