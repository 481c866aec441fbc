import Numerics
import Simulator
import Testing
import TestSupport

/// log of the N(μ, σ²) density truncated to [-1, 1] (normalised units), computed independently.
func truncatedNormalLogDensity(_ x: Double, mean: Double, sigma: Double) -> Double {
    guard x >= -1 && x <= 1 else { return -.infinity }
    let mass = StandardNormal.cdf((1 - mean) / sigma) - StandardNormal.cdf((-1 - mean) / sigma)
    return Elementary.log(StandardNormal.density((x - mean) / sigma) / sigma / mass)
}

/// ∫ exp(logDensity) over the box, by the trapezoid rule on the sorted sampled actions (1-D), with the
/// density held constant over the two end gaps.
func integrateSampledDensity(actions: [Double], logDensities: [Double], low: Double, high: Double) -> Double {
    let order = actions.indices.sorted { actions[$0] < actions[$1] }
    let x = order.map { actions[$0] }, p = order.map { Elementary.exp(logDensities[$0]) }
    var total = p[0] * (x[0] - low) + p[p.count - 1] * (high - x[x.count - 1])
    for i in 1..<x.count { total += 0.5 * (p[i] + p[i - 1]) * (x[i] - x[i - 1]) }
    return total
}

@Suite("Policies")
struct PolicyTests {
    /// One task, raw box [-1, 3] (normalised x ↦ raw −1 + 2(x + 1), Jacobian 2).
    static let line = ActionSpace(names: ["w.click"], low: [-1], high: [3], baseline: [1])

    @Test func fixedPolicy() {
        let space = Fixtures.tinyWorld.actionSpace
        let policy = FixedPolicy(action: [0.2, 0.9, -4], actionSpace: space)
        let out = act(policy, rows: 5, seed: 1)
        for r in 0..<5 {
            #expect(Array(out.actions.row(r)) == [0.2, 0.9, -4])
            #expect(Array(out.means.row(r)) == [0.2, 0.9, -4])
            #expect(out.logDensities[r] == 0)
            #expect(out.groups[r] == .deterministic)
        }
        #expect(policy.explorationScale == 0)
        #expect(policy.spec == "fixed:0.2,0.9,-4.0")
    }

    @Test func uniformRandomPolicy() {
        let space = Fixtures.tinyWorld.actionSpace
        let policy = UniformRandomPolicy(actionSpace: space)
        let rows = 20_000
        let out = act(policy, rows: rows, seed: 2)
        let expectedLogDensity = -(0..<space.dimension).reduce(0.0) { $0 + Elementary.log(Double(space.high[$1] - space.low[$1])) }
        assertClose(expectedLogDensity, -Elementary.log(10))
        var sums = [Double](repeating: 0, count: space.dimension)
        for r in 0..<rows {
            let a = Array(out.actions.row(r))
            #expect(space.contains(a), "row \(r): \(a)")
            assertClose(out.logDensities[r], expectedLogDensity, relative: 1e-6)
            #expect(out.groups[r] == .uniform)
            #expect(Array(out.means.row(r)) == [0.5, 0.5, -5])
            for i in a.indices { sums[i] += Double(a[i]) }
        }
        for i in 0..<space.dimension {
            let width = Double(space.high[i] - space.low[i])
            let se = width / 12.0.squareRoot() / Double(rows).squareRoot()
            let centre = Double(space.low[i] + space.high[i]) / 2
            #expect(abs(sums[i] / Double(rows) - centre) < 4 * se, "dimension \(i)")
        }
        // Rows draw from their own streams: different rows, different actions.
        #expect(Array(out.actions.row(0)) != Array(out.actions.row(1)))
    }

    @Test(arguments: [(Float(0), Float(0.5)), (Float(0.75), Float(0.5)), (Float(-0.9), Float(0.2)), (Float(0), Float(3))])
    func gaussianDensityIsNormalisedAndMatchesSamples(normalizedMean: Float, sigma: Float) {
        let space = Self.line
        let mean = space.denormalize([normalizedMean])
        let policy = GaussianPolicy(mean: mean, sigma: sigma, actionSpace: space)
        let rows = 20_000
        let out = act(policy, rows: rows, seed: 40)
        let actions = (0..<rows).map { Double(out.actions[$0, 0]) }
        let label = "μ = \(normalizedMean), σ = \(sigma)"
        #expect(actions.allSatisfy { $0 >= -1 && $0 <= 3 }, "\(label): sample outside the box")
        #expect(out.groups.allSatisfy { $0 == .gaussian })
        #expect((0..<rows).allSatisfy { out.means[$0, 0] == mean[0] })
        // The reported density is the truncated normal's, in raw units (÷ the Jacobian 2).
        var worst = 0.0
        for r in 0..<rows {
            let x = Double(space.normalize(out.actions[r, 0], dimension: 0))
            let expected = truncatedNormalLogDensity(x, mean: Double(normalizedMean), sigma: Double(sigma)) - Elementary.log(2)
            worst = max(worst, abs(out.logDensities[r] - expected))
        }
        #expect(worst < 1e-3, "\(label): log density off by \(worst)")
        // ∫ exp(logDensity) over the box ≈ 1.
        let integral = integrateSampledDensity(actions: actions, logDensities: out.logDensities, low: -1, high: 3)
        #expect(abs(integral - 1) < 0.01, "\(label): ∫ density = \(integral)")
        // The histogram of the samples matches exp(logDensity): each bin's share of the samples against
        // the integral of the reported density over the bin (trapezoid on the bin's sorted samples).
        let bins = 16, width = 4.0 / Double(bins)
        var counts = [Int](repeating: 0, count: bins)
        var members = [[Int]](repeating: [], count: bins)
        for r in 0..<rows {
            let b = min(Int((actions[r] + 1) / width), bins - 1)
            counts[b] += 1
            members[b].append(r)
        }
        for b in 0..<bins where counts[b] >= 100 {
            let lo = -1 + Double(b) * width
            let mass = integrateSampledDensity(actions: members[b].map { actions[$0] },
                                               logDensities: members[b].map { out.logDensities[$0] }, low: lo, high: lo + width)
            let share = Double(counts[b]) / Double(rows)
            let se = (mass * (1 - mass) / Double(rows)).squareRoot()
            #expect(abs(share - mass) < 4 * se + 0.002, "\(label) bin \(b): share \(share), ∫ density \(mass)")
        }
        // And the bin counts follow the truncated normal's cdf (χ² test).
        var probabilities = [Double]()
        for b in 0..<bins {
            let lo = -1 + Double(b) * width / 2, hi = lo + width / 2
            let m = Double(normalizedMean), s = Double(sigma)
            let mass = StandardNormal.cdf((1 - m) / s) - StandardNormal.cdf((-1 - m) / s)
            probabilities.append((StandardNormal.cdf((hi - m) / s) - StandardNormal.cdf((lo - m) / s)) / mass)
        }
        let nonEmpty = probabilities.indices.filter { probabilities[$0] * Double(rows) >= 5 }
        let total = nonEmpty.reduce(0.0) { $0 + probabilities[$1] }
        let chi2 = chiSquareStatistic(observed: nonEmpty.map { counts[$0] }, probabilities: nonEmpty.map { probabilities[$0] / total })
        #expect(chi2 < chiSquareCriticalValue(degreesOfFreedom: max(nonEmpty.count - 1, 3)), "\(label): χ² = \(chi2)")
    }

    @Test func gaussianCentredMeanIsUnbiased() {
        let space = Self.line
        let policy = GaussianPolicy(mean: [1], sigma: 0.3, actionSpace: space)
        let rows = 20_000
        let out = act(policy, rows: rows, seed: 41)
        let stats = RunningStatistics((0..<rows).map { Double(out.actions[$0, 0]) })
        #expect(abs(stats.mean - 1) < 4 * stats.standardError, "mean \(stats.mean)")
        // σ = 0.3 normalised = 0.6 raw; truncation at ±3.3σ barely narrows it.
        #expect(abs(stats.standardDeviation - 0.6) < 0.02, "sd \(stats.standardDeviation)")
    }

    @Test func gaussianMultiDimensionalDensityIsAProduct() {
        let space = Fixtures.tinyWorld.actionSpace
        let mean: [Float] = [0.9, 0.3, -2]
        let policy = GaussianPolicy(mean: mean, sigma: 0.25, actionSpace: space)
        let out = act(policy, rows: 2_000, seed: 42)
        let m = space.normalize(mean)
        for r in 0..<2_000 {
            let a = Array(out.actions.row(r))
            #expect(space.contains(a))
            let x = space.normalize(a)
            let expected = (0..<3).reduce(0.0) { $0 + truncatedNormalLogDensity(Double(x[$1]), mean: Double(m[$1]), sigma: 0.25) }
                - space.logJacobian
            assertClose(out.logDensities[r], expected, absolute: 2e-3, "row \(r)")
        }
    }

    /// log(½·p_box + ½·p_gauss) in raw units for the 1-D line.
    func mixtureLogDensity(_ a: Float, normalizedMean m: Double, sigma: Double, halfWidth h: Double) -> Double {
        let x = Double(Self.line.normalize(a, dimension: 0))
        let low = max(-1, m - h), high = min(1, m + h)
        let box = (x >= low - 1e-6 && x <= high + 1e-6) ? 1 / (high - low) : 0
        let gauss = Elementary.exp(truncatedNormalLogDensity(x, mean: m, sigma: sigma))
        return Elementary.log(0.5 * box + 0.5 * gauss) - Elementary.log(2)
    }

    @Test(arguments: [Float(0.5), Float(0.9)])
    func mixtureDensityIsTheMixtures(normalizedMean: Float) {
        let space = Self.line, sigma: Float = 0.2, h: Float = 0.3
        let mean = space.denormalize([normalizedMean])
        let policy = MixturePolicy(mean: mean, sigma: sigma, boxHalfWidth: h, actionSpace: space)
        let rows = 20_000
        let out = act(policy, rows: rows, seed: 50)
        // Groups are ~50/50.
        let box = out.groups.filter { $0 == .uniformBox }.count
        let gauss = out.groups.filter { $0 == .gaussian }.count
        #expect(box + gauss == rows)
        #expect(abs(Double(box) - Double(rows) / 2) < 4 * (Double(rows) / 4).squareRoot(), "\(box) box draws of \(rows)")
        let m = Double(normalizedMean), boxLow = max(-1, m - Double(h)), boxHigh = min(1, m + Double(h))
        for r in 0..<rows {
            let a = out.actions[r, 0]
            #expect(a >= -1 && a <= 3)
            #expect(out.means[r, 0] == mean[0])
            let x = Double(space.normalize(a, dimension: 0))
            if out.groups[r] == .uniformBox { #expect(x >= boxLow - 1e-5 && x <= boxHigh + 1e-5, "box draw outside the box: \(x)") }
            // Skip points within rounding of a box edge, where the density jumps.
            if abs(x - boxLow) < 1e-5 || abs(x - boxHigh) < 1e-5 { continue }
            let expected = mixtureLogDensity(a, normalizedMean: m, sigma: Double(sigma), halfWidth: Double(h))
            #expect(abs(out.logDensities[r] - expected) < 1e-3, "row \(r), x = \(x), group \(out.groups[r]): \(out.logDensities[r]) vs \(expected)")
        }
        // Whatever group drew it, an action gets the same density: neighbouring actions of the two groups
        // in the overlap have (nearly) equal reported densities.
        let order = (0..<rows).sorted { out.actions[$0, 0] < out.actions[$1, 0] }
        var compared = 0, worst = 0.0
        for (i, j) in zip(order, order.dropFirst()) where out.groups[i] != out.groups[j] {
            let xi = Double(space.normalize(out.actions[i, 0], dimension: 0)), xj = Double(space.normalize(out.actions[j, 0], dimension: 0))
            guard abs(xi - xj) < 1e-3, (xi - boxLow) * (xj - boxLow) > 0, (xi - boxHigh) * (xj - boxHigh) > 0 else { continue }
            compared += 1
            worst = max(worst, abs(out.logDensities[i] - out.logDensities[j]))
        }
        #expect(compared > 1_000, "only \(compared) cross-group neighbours")
        #expect(worst < 0.02, "neighbouring actions of different groups differ by \(worst) in log density")
        let integral = integrateSampledDensity(actions: (0..<rows).map { Double(out.actions[$0, 0]) },
                                               logDensities: out.logDensities, low: -1, high: 3)
        #expect(abs(integral - 1) < 0.02, "∫ mixture density = \(integral)")
    }

    @Test func rampInterpolatesAndClamps() {
        let space = Fixtures.tinyWorld.actionSpace
        let from: [Float] = [1, 0, -10], to: [Float] = [0, 1, 0]
        let policy = RampPolicy(featureName: "f", featureIndex: 1, low: 2, high: 6, from: from, to: to, actionSpace: space)
        let features: [Float] = [-5, 2, 3, 4, 6, 100]
        let fractions: [Float] = [0, 0, 0.25, 0.5, 1, 1]
        let out = act(policy, rows: features.count, stateDimension: 3, seed: 9) { [7, features[$0], -7] }
        for r in features.indices {
            let expected = (0..<3).map { from[$0] + fractions[r] * (to[$0] - from[$0]) }
            assertClose(Array(out.actions.row(r)), expected, absolute: 1e-6, "feature \(features[r])")
            #expect(Array(out.means.row(r)) == Array(out.actions.row(r)))
            #expect(out.logDensities[r] == 0)
            #expect(out.groups[r] == .deterministic)
        }
    }
}

@Suite("Policy specs")
struct PolicySpecTests {
    let world = Fixtures.tinyWorld

    func parse(_ spec: String) throws -> any FusionPolicy { try PolicySpec.parse(spec, world: world) }

    @Test func parsesEveryDocumentedForm() throws {
        let space = world.actionSpace
        let baseline = try #require(try parse("baseline") as? FixedPolicy)
        #expect(baseline.action == [0.5, 0.5, -2])
        #expect(try #require(try parse("fixed:0.2, 0.8,-1") as? FixedPolicy).action == [0.2, 0.8, -1])
        #expect(try parse("random") is UniformRandomPolicy)
        let g = try #require(try parse("gaussian:0.2") as? GaussianPolicy)
        #expect(g.sigma == 0.2 && g.mean == space.baseline)
        let gm = try #require(try parse("gaussian:0.3@0.1,0.9,-3") as? GaussianPolicy)
        #expect(gm.sigma == 0.3 && gm.mean == [0.1, 0.9, -3])
        let m = try #require(try parse("mixture") as? MixturePolicy)
        #expect(m.sigma == Float(world.config.policies.explorationSigma))
        #expect(m.boxHalfWidth == Float(world.config.policies.boxHalfWidth))
        #expect(m.mean == space.baseline)
        let mp = try #require(try parse("mixture:0.3,0.2") as? MixturePolicy)
        #expect(mp.sigma == 0.3 && mp.boxHalfWidth == 0.2 && mp.mean == space.baseline)
        let mw = try #require(try parse("mixture:0.3,0.2@0.1,0.9,-3") as? MixturePolicy)
        #expect(mw.mean == [0.1, 0.9, -3])
        let ramp = try #require(try parse("ramp:session.requestIndex=0..10@0.5,0.5,-2@0.2,0.8,-5") as? RampPolicy)
        #expect(ramp.featureName == "session.requestIndex")
        #expect(ramp.featureIndex == world.stateLayout.index(of: "session.requestIndex"))
        #expect(ramp.low == 0 && ramp.high == 10 && ramp.from == [0.5, 0.5, -2] && ramp.to == [0.2, 0.8, -5])
    }

    /// `mixture[:SIGMA,BOX][@w1,…]` (PolicySpec.forms) documents `mixture@w1,…`: default σ and box around given weights.
    @Test func mixtureWithWeightsOnly() throws {
        let m = try #require(try parse("mixture@0.1,0.9,-3") as? MixturePolicy)
        #expect(m.mean == [0.1, 0.9, -3])
        #expect(m.sigma == Float(world.config.policies.explorationSigma))
    }

    /// A parsed policy's parameters, by kind.
    enum Parameters: Equatable {
        case fixed([Float]), random, gaussian(sigma: Float, mean: [Float]), mixture(sigma: Float, box: Float, mean: [Float])
        case ramp(feature: String, index: Int?, low: Float, high: Float, from: [Float], to: [Float])
        case other(String)

        init(_ policy: any FusionPolicy) {
            switch policy {
            case let p as FixedPolicy: self = .fixed(p.action)
            case is UniformRandomPolicy: self = .random
            case let p as GaussianPolicy: self = .gaussian(sigma: p.sigma, mean: p.mean)
            case let p as MixturePolicy: self = .mixture(sigma: p.sigma, box: p.boxHalfWidth, mean: p.mean)
            case let p as RampPolicy: self = .ramp(feature: p.featureName, index: p.featureIndex, low: p.low, high: p.high, from: p.from, to: p.to)
            default: self = .other("\(type(of: policy))")
            }
        }
    }

    /// Every form parses to the parameters it was written with, and the policy's own spec parses back to them.
    @Test func specsRoundTrip() throws {
        let baseline = world.actionSpace.baseline
        #expect(baseline == [0.5, 0.5, -2])
        let (sigma, box) = (Float(world.config.policies.explorationSigma), Float(world.config.policies.boxHalfWidth))
        let requestIndex = world.stateLayout.index(of: "session.requestIndex")
        #expect(requestIndex != nil)
        let cases: [(String, Parameters)] = [
            ("fixed:0.2,0.8,-1", .fixed([0.2, 0.8, -1])),
            ("random", .random),
            ("gaussian:0.3@0.1,0.9,-3", .gaussian(sigma: 0.3, mean: [0.1, 0.9, -3])),
            ("mixture:0.3,0.2@0.1,0.9,-3", .mixture(sigma: 0.3, box: 0.2, mean: [0.1, 0.9, -3])),
            ("ramp:session.requestIndex=0..10@0.5,0.5,-2@0.2,0.8,-5",
             .ramp(feature: "session.requestIndex", index: requestIndex, low: 0, high: 10, from: [0.5, 0.5, -2], to: [0.2, 0.8, -5])),
            ("baseline", .fixed(baseline)),
            ("mixture", .mixture(sigma: sigma, box: box, mean: baseline)),
            ("gaussian:0.2", .gaussian(sigma: 0.2, mean: baseline)),
        ]
        for (spec, expected) in cases {
            let policy = try parse(spec)
            #expect(Parameters(policy) == expected, "\(spec) parses to \(Parameters(policy))")
            let again = try parse(policy.spec)
            #expect(Parameters(again) == expected, "\(spec) → \(policy.spec) parses to \(Parameters(again))")
            #expect(again.spec == policy.spec, "\(spec) → \(policy.spec) → \(again.spec)")
            #expect(type(of: again) == type(of: policy))
        }
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
        expectParseError("fixed:0.5,0.5", ["expected 3 weights", "w.click,w.longView,w.hate", "got 2"])
        expectParseError("gaussian:0.1@0.5,0.5,-2,1", ["expected 3 weights", "got 4"])
        expectParseError("fixed:2,0.5,-1", ["w.click", "2.0", "outside its bounds [0.0, 1.0]"])
        expectParseError("mixture:0.1,0.1@0.5,0.5,3", ["w.hate", "outside its bounds [-10.0, 0.0]"])
        expectParseError("softmax:1", ["unknown policy kind 'softmax'", "baseline", "ramp:"])
        expectParseError("ramp:session.depth=0..10@0.5,0.5,-2@0.5,0.5,-2",
                         ["unknown state feature 'session.depth'", "session.requestIndex"])
        expectParseError("ramp:session.requestIndex=10..1@0.5,0.5,-2@0.5,0.5,-2", ["LOW < HIGH"])
        expectParseError("ramp:session.requestIndex=0..10@0.5,0.5,-2", ["expected ramp:FEATURE=LOW..HIGH"])
        expectParseError("gaussian:-1", ["expected a positive sigma", "-1"])
        expectParseError("gaussian", ["expected gaussian:SIGMA"])
        expectParseError("mixture:0.1", ["expected mixture:SIGMA,BOX"])
        expectParseError("fixed:a,0.5,-1", ["expected a number", "'a'"])
        expectParseError("fixed", ["expected fixed:w1,w2"])
        expectParseError("fixed:nan,0.5,-1", ["expected a number"])
    }
}
