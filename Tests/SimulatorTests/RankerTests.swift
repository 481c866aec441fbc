import Numerics
import Simulator
import Testing
import TestSupport

@Suite("Oracle-noise ranker")
struct OracleNoiseRankerTests {
    /// Predictions of `ranker` for `lanes × candidates` rows of `truth`.
    func predict(_ ranker: OracleNoiseRanker, truth: [Float], lanes: Int, candidates: Int, seed: UInt64) -> [Float] {
        let world = Fixtures.tinyWorld, t = ranker.taskCount
        precondition(truth.count == lanes * candidates * t)
        let users = (0..<lanes).map { Int32($0) }
        let items = (0..<(lanes * candidates)).map { Int32($0 % world.catalog.count) }
        var predictions = [Float](repeating: .nan, count: truth.count)
        users.withUnsafeBufferPointer { u in
            items.withUnsafeBufferPointer { i in
                truth.withUnsafeBufferPointer { p in
                    let batch = CandidateBatch(lanes: lanes, candidatesPerLane: candidates, taskCount: t, users: u.baseAddress!,
                                               items: i.baseAddress!, catalog: world.catalog, population: world.population,
                                               oracleProbabilities: p.baseAddress!)
                    #expect(batch.rows == lanes * candidates)
                    withStreams(count: lanes, seed: seed) { streams in
                        predictions.withUnsafeMutableBufferPointer { ranker.predict(batch, streams: streams, into: $0.baseAddress!) }
                    }
                }
            }
        }
        return predictions
    }

    func randomTruth(count: Int, seed: UInt64) -> [Float] {
        var rng = RandomStream(seed: seed)
        // Log-uniform over [1e-4, 1 − 1e-4]-ish: rare tasks and common ones.
        return (0..<count).map { _ in
            let p = Float(Elementary.exp(-9 * rng.nextUniform()))
            return rng.nextUniform() < 0.5 ? p : 1 - p * 0.999
        }
    }

    @Test func configNoise() {
        let ranker = OracleNoiseRanker(config: Fixtures.tinyConfig)
        #expect(ranker.noise == [0.8, 0.8, 0.8])
        #expect(ranker.name == "oracle-noise")
        let ec = OracleNoiseRanker(config: Fixtures.config("ecommerce"))
        #expect(ec.noise == [1.0, 0.8, 0.7, 0.8, 0.8])
    }

    @Test func zeroNoiseIsTheTruth() {
        let truth = randomTruth(count: 8 * 40 * 3, seed: 1)
        let predictions = predict(OracleNoiseRanker(noise: [0, 0, 0]), truth: truth, lanes: 8, candidates: 40, seed: 2)
        assertClose(predictions, truth, relative: 1e-6, absolute: 1e-6)
    }

    @Test func noisyPredictionsAreProbabilitiesAndNoisier() {
        let truth = randomTruth(count: 16 * 40 * 3, seed: 3)
        var previous = 0.0
        for sigma: Float in [0.3, 1, 2] {
            let predictions = predict(OracleNoiseRanker(noise: [sigma, sigma, sigma]), truth: truth, lanes: 16, candidates: 40, seed: 4)
            #expect(predictions.allSatisfy { $0 > 0 && $0 < 1 }, "σ = \(sigma)")
            // Logit errors have standard deviation ≈ σ for probabilities away from 0 and 1.
            var errors = RunningStatistics()
            for (p, q) in zip(truth, predictions) where p > 0.01 && p < 0.99 {
                errors.add(Double(Elementary.log(q / (1 - q)) - Elementary.log(p / (1 - p))))
            }
            #expect(abs(errors.mean) < 4 * errors.standardError, "σ = \(sigma): mean logit error \(errors.mean)")
            #expect(abs(errors.standardDeviation - Double(sigma)) < 0.05 * Double(sigma) + 0.01,
                    "σ = \(sigma): logit error sd \(errors.standardDeviation)")
            #expect(errors.standardDeviation > previous)
            previous = errors.standardDeviation
        }
    }

    @Test func perTaskNoise() {
        let truth = randomTruth(count: 16 * 40 * 3, seed: 5)
        let predictions = predict(OracleNoiseRanker(noise: [0, 1.5, 0]), truth: truth, lanes: 16, candidates: 40, seed: 6)
        for row in 0..<(16 * 40) {
            assertClose(Double(predictions[row * 3]), Double(truth[row * 3]), relative: 1e-6, absolute: 1e-6)
            assertClose(Double(predictions[row * 3 + 2]), Double(truth[row * 3 + 2]), relative: 1e-6, absolute: 1e-6)
        }
        #expect((0..<(16 * 40)).filter { abs(predictions[$0 * 3 + 1] - truth[$0 * 3 + 1]) > 1e-3 }.count > 300)
    }

    /// A lane's predictions depend only on its own stream, not on the other lanes of the batch.
    @Test func lanesAreIndependent() {
        let truth = randomTruth(count: 4 * 10 * 3, seed: 7)
        let ranker = OracleNoiseRanker(noise: [1, 1, 1])
        let all = predict(ranker, truth: truth, lanes: 4, candidates: 10, seed: 8)
        let first = predict(ranker, truth: Array(truth[0..<30]), lanes: 1, candidates: 10, seed: 8)
        #expect(Array(all[0..<30]) == first)
    }
}
