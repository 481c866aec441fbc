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
        scaler = RewardScaler(constant: 1, normalizeByStandardDeviation: true)
        scaler.update([1, 3, 5, 7])
        assertClose(Double(scaler.factor), 1 / RunningStatistics([1, 3, 5, 7]).standardDeviation, relative: 1e-6)
    }
}
