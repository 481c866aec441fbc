import Agents
import Numerics
import Testing
import TestSupport

@Suite("Observation and reward normalisation")
struct NormalizerTests {
    @Test("running mean and variance equal the two-pass values, however the rows are batched")
    func welford() {
        let data = Matrix(rows: 300, columns: 3) { r, c in
            let wave = Float(Elementary.sin(Double(r) * 0.37))
            return Float(c + 1) * wave + Float(c * 10)
        }
        var whole = ObservationNormalizer(dimension: 3)
        whole.update(data)
        var pieces = ObservationNormalizer(dimension: 3)
        for range in [0..<1, 1..<50, 50..<51, 51..<300] { pieces.update(data.rows(range)) }
        for c in 0..<3 {
            let column: [Double] = (0..<300).map { Double(data[$0, c]) }
            let mean = column.reduce(0, +) / 300
            var variance = 0.0
            for x in column { variance += (x - mean) * (x - mean) }
            variance /= 300
            assertClose(whole.mean[c], mean, relative: 1e-12, absolute: 1e-12)
            assertClose(whole.standardDeviation[c], variance.squareRoot(), relative: 1e-12)
            assertClose(pieces.mean[c], mean, relative: 1e-12, absolute: 1e-12)
            assertClose(pieces.standardDeviation[c], variance.squareRoot(), relative: 1e-10)
        }
    }

    @Test("frozen statistics normalise, clip at ±5σ, and are the identity before data or when disabled")
    func frozen() {
        var normalizer = ObservationNormalizer(dimension: 2, clip: 5)
        #expect(normalizer.frozen() == NormalizerStatistics.identity(dimension: 2))
        normalizer.update(Matrix([[1, 10], [3, 10], [1, 10], [3, 10]]))
        let statistics = normalizer.frozen()
        let out = statistics.applied(to: Matrix([[2, 10], [4, 10], [100, 9]]))
        #expect(out[0, 0] == 0 && out[1, 0] == 2 && out[2, 0] == 5)
        // A constant feature has σ at the floor: equal values map to 0, others clip.
        #expect(out[0, 1] == 0 && out[2, 1] == -5)
        var disabled = ObservationNormalizer(dimension: 2, isEnabled: false)
        disabled.update(Matrix([[1, 10], [3, 10]]))
        #expect(disabled.count == 0 && disabled.frozen() == NormalizerStatistics.identity(dimension: 2))
    }

    @Test("reward scaling: constant factor, optionally divided by the running standard deviation")
    func rewards() {
        var scaler = RewardScaler(constant: 2)
        var r = Matrix([[1], [-3]])
        scaler.apply(to: &r)
        #expect(r == Matrix([[2], [-6]]))
        // Without normalisation the rewards seen do not matter.
        scaler.update([1, 100, -40])
        #expect(scaler.factor == 2)
        // Rewards 1, 3, 5, 7: mean 4, squared deviations 9 + 1 + 1 + 9 = 20, sample variance 20/3, so the factor is
        // c/σ = 3/√(20/3) = 3·√0.15 = 1.161895003862225.
        scaler = RewardScaler(constant: 3, normalizeByStandardDeviation: true)
        #expect(scaler.factor == 3, "before any reward the factor is the constant")
        scaler.update([1])
        #expect(scaler.factor == 3, "after one reward the factor is the constant")
        scaler.update([3, 5, 7])
        let factor = 1.161895003862225
        assertClose(Double(scaler.factor), factor, relative: 1e-6, "reward factor c/σ (sample σ) for rewards 1, 3, 5, 7")
        var rewards = Matrix([[2], [-1], [0.5]])
        scaler.apply(to: &rewards)
        assertClose(rewards.elements, [2 * factor, -factor, 0.5 * factor].map(Float.init), relative: 1e-6, "scaled rewards")
        // Constant rewards: σ is floored at 10⁻⁴, so the factor is c · 10⁴ (not infinite).
        var constant = RewardScaler(constant: 0.5, normalizeByStandardDeviation: true)
        constant.update([4, 4, 4])
        assertClose(Double(constant.factor), 5_000, relative: 1e-6, "σ floor")
        // A factor of one leaves the rewards as they are.
        var unit = Matrix([[0.25], [-7]])
        RewardScaler().apply(to: &unit)
        #expect(unit == Matrix([[0.25], [-7]]))
    }
}
