import Numerics
import Simulator
import Testing
import TestSupport

@Suite("Fusion")
struct FusionTests {
    /// Three candidates × three tasks (click, longView, hate).
    static let predictions: [Float] = [
        0.5, 0.2, 0.01,
        0.9, 0.1, 0.05,
        0.2, 0.6, 0.001,
    ]

    func fusion(_ form: FusionConfig.Form, beta: [String: Double] = [:], defaultBeta: Double = 0.01) -> Fusion {
        var config = Fixtures.tinyConfig
        config.fusion.form = form
        config.fusion.beta = beta
        config.fusion.defaultBeta = defaultBeta
        return Fusion(config: config)
    }

    func score(_ fusion: Fusion, action: [Float], predictions: [Float] = FusionTests.predictions) -> [Float] {
        let count = predictions.count / fusion.taskCount
        var scores = [Float](repeating: .nan, count: count)
        scores.withUnsafeMutableBufferPointer {
            fusion.score(predictions: predictions, count: count, action: action, into: $0.baseAddress!)
        }
        return scores
    }

    @Test func weightedSumKnownAnswer() {
        let s = score(fusion(.weightedSum), action: [1, 2, -10])
        // 0.5 + 0.4 − 0.1; 0.9 + 0.2 − 0.5; 0.2 + 1.2 − 0.01
        assertClose(s, [0.8, 0.6, 1.39], relative: 1e-6)
        #expect(fusion(.weightedSum).taskCount == 3)
    }

    @Test func logSumKnownAnswer() {
        let f = fusion(.logSum, beta: ["hate": 0.1], defaultBeta: 0.01)
        assertClose(f.beta, [0.01, 0.01, 0.1])
        let w: [Double] = [1, 0.5, -2], beta: [Double] = [0.01, 0.01, 0.1]
        let s = score(f, action: w.map(Float.init))
        var expected = [Double]()
        for j in 0..<3 {
            expected.append((0..<3).reduce(0) { $0 + w[$1] * Elementary.log(Double(Self.predictions[j * 3 + $1]) + beta[$1]) })
        }
        assertClose(s.map(Double.init), expected, relative: 1e-5)
        // Hand-computed: 1·ln 0.51 + 0.5·ln 0.21 − 2·ln 0.11 = −0.673345 − 0.780312 + 4.414549.
        assertClose(Double(s[0]), 2.960892, relative: 1e-5)
        // ≡ ranking by Π (o_k + β_k)^{w_k}.
        let products = (0..<3).map { j in (0..<3).reduce(1.0) { $0 * Elementary.pow(Double(Self.predictions[j * 3 + $1]) + beta[$1], w[$1]) } }
        assertClose(s.map { Elementary.exp(Double($0)) }, products, relative: 1e-5)
    }

    @Test func powerProductKnownAnswer() {
        let f = fusion(.powerProduct)
        let w: [Double] = [2, 1, -1], b: [Double] = [0.1, 0.5, 0.2]
        let s = score(f, action: (w + b).map(Float.init))
        let products = (0..<3).map { j in (0..<3).reduce(1.0) { $0 * Elementary.pow(Double(Self.predictions[j * 3 + $1]) + b[$1], w[$1]) } }
        // Ranked by the logarithm of Π (o_k + b_k)^{w_k}.
        assertClose(s.map(Double.init), products.map { Elementary.log($0) }, relative: 1e-5)
        // Candidate 0: 0.6² · 0.7 / 0.21 = 1.2.
        assertClose(products[0], 1.2, relative: 1e-6)
        assertClose(Double(s[0]), Elementary.log(1.2), relative: 1e-5)
        // Candidate 1: 1.0² · 0.6 / 0.25 = 2.4; candidate 2: 0.3² · 1.1 / 0.201 ≈ 0.4925.
        assertClose(products[1], 2.4, relative: 1e-6)
        #expect(topIndices(s, n: 3) == [1, 0, 2])
    }

    func topIndices(_ scores: [Float], n: Int) -> [Int] {
        var out = [Int32](repeating: -1, count: n)
        out.withUnsafeMutableBufferPointer { Fusion.topIndices(scores: scores, count: scores.count, n: n, into: $0.baseAddress!) }
        return out.map(Int.init)
    }

    @Test func topIndicesEqualsStableSortDescending() {
        var rng = RandomStream(seed: 8)
        for trial in 0..<300 {
            let count = 1 + rng.nextIndex(below: 60)
            // Few distinct values so that ties are common in half the trials.
            let levels = trial % 2 == 0 ? 4 : 1_000_000
            let scores = (0..<count).map { _ in Float(rng.nextIndex(below: levels)) - Float(levels / 2) }
            let expected = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            for n in Set([1, count, 1 + rng.nextIndex(below: count)]) {
                #expect(topIndices(scores, n: n) == Array(expected.prefix(n)), "count \(count), n \(n), scores \(scores)")
            }
        }
    }

    @Test func topIndicesEdgeCases() {
        #expect(topIndices([3, 3, 3, 3], n: 2) == [0, 1])
        #expect(topIndices([1, 2, 3, 4], n: 4) == [3, 2, 1, 0])
        #expect(topIndices([4, 3, 2, 1], n: 1) == [0])
        #expect(topIndices([-.infinity, -1, .infinity, 0], n: 4) == [2, 3, 1, 0])
        #expect(topIndices([0, -0.0, 0], n: 3) == [0, 1, 2])
    }
}

@Suite("Action space")
struct ActionSpaceTests {
    @Test func fromConfig() {
        let tiny = Fixtures.tinyWorld.actionSpace
        #expect(tiny.names == ["w.click", "w.longView", "w.hate"])
        #expect(tiny.low == [0, 0, -10])
        #expect(tiny.high == [1, 1, 0])
        #expect(tiny.baseline == [0.5, 0.5, -2])
        var config = Fixtures.tinyConfig
        config.fusion.form = .powerProduct
        config.policies.baseline = [:]
        let pp = ActionSpace(config: config)
        #expect(pp.dimension == 6)
        #expect(pp.names == ["w.click", "w.longView", "w.hate", "b.click", "b.longView", "b.hate"])
        #expect(Array(pp.low[3...]) == [0.001, 0.001, 0.001])
        #expect(Array(pp.high[3...]) == [1, 1, 1])
        // Missing baselines: the middle of the bounds; biases: the default β clamped to the bias bounds.
        #expect(Array(pp.baseline[..<3]) == [0.5, 0.5, -5])
        #expect(Array(pp.baseline[3...]) == [0.01, 0.01, 0.01])
    }

    @Test func normalizeDenormalizeRoundTrip() {
        let space = ActionSpace(names: ["a", "b", "c"], low: [0, -10, 0.001], high: [1, 0, 2], baseline: [0.5, -5, 1])
        #expect(space.normalize(space.low) == [-1, -1, -1])
        #expect(space.normalize(space.high) == [1, 1, 1])
        assertClose(space.normalize([0.5, -5, 1.0005]), [0, 0, 0], absolute: 1e-6)
        assertClose(space.denormalize([0, 0, 0]), [0.5, -5, 1.0005], relative: 1e-6)
        var rng = RandomStream(seed: 3)
        for _ in 0..<1_000 {
            let x = (0..<3).map { _ in Float(2 * rng.nextUniform() - 1) }
            assertClose(space.normalize(space.denormalize(x)), x, absolute: 1e-5)
            let a = (0..<3).map { i in space.low[i] + Float(rng.nextUniform()) * (space.high[i] - space.low[i]) }
            assertClose(space.denormalize(space.normalize(a)), a, relative: 1e-5, absolute: 1e-5)
            #expect(space.contains(a))
        }
        #expect(!space.contains([0.5, 0.1, 1]))
        #expect(!space.contains([0.5, -5]))
        // log |∂raw/∂normalised| = Σ log((high − low)/2).
        assertClose(space.logJacobian, Elementary.log(0.5) + Elementary.log(5) + Elementary.log(1.999 / 2), relative: 1e-6)
    }
}

@Suite struct ResidualActionSpaceTests {
    @Test func restrictedBoxIsCentredOnTheBaselineAndCutToTheBox() {
        let space = ActionSpace(names: ["a", "b", "c"], low: [0, 0, -10], high: [1, 2, 0], baseline: [0.5, 0.1, -5])
        let box = space.restricted(toHalfWidth: 0.25)
        #expect(box.names == space.names && box.baseline == space.baseline)
        // a: centre 0 (normalised), ±0.25 → raw [0.375, 0.625]; b: centre −0.9, cut at −1 → raw [0, 0.35];
        // c: centre 0 → raw [−6.25, −3.75].
        for (x, y) in zip(box.low, [0.375, 0, -6.25] as [Float]) { #expect(abs(x - y) < 1e-5) }
        for (x, y) in zip(box.high, [0.625, 0.35, -3.75] as [Float]) { #expect(abs(x - y) < 1e-5) }
        #expect(space.restricted(toHalfWidth: 1).low.indices.allSatisfy { space.restricted(toHalfWidth: 1).low[$0] >= space.low[$0] })
    }

    @Test func restrictedBoxAroundOtherWeights() {
        let space = ActionSpace(names: ["a", "b", "c"], low: [0, 0, -10], high: [1, 2, 0], baseline: [0.5, 0.1, -5])
        let box = space.restricted(toHalfWidth: 0.25, around: [0.25, 2, -7.5])
        #expect(box.baseline == space.baseline, "the environment's baseline stays what `baseline` names")
        // a: centre −0.5 → raw [0.125, 0.375]; b: centre 1, cut at 1 → raw [1.75, 2]; c: centre −0.5 → [−8.75, −6.25].
        for (x, y) in zip(box.low, [0.125, 1.75, -8.75] as [Float]) { #expect(abs(x - y) < 1e-5) }
        for (x, y) in zip(box.high, [0.375, 2, -6.25] as [Float]) { #expect(abs(x - y) < 1e-5) }
    }
}
