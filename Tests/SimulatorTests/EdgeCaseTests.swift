import Numerics
import Simulator
import Testing
import TestSupport

@Suite("Edge cases")
struct EdgeCaseTests {
    /// The baseline action lies in the action box for every preset and every fusion form.
    @Test(arguments: Fixtures.presetNames)
    func baselineInsideTheBox(name: String) {
        for form in FusionConfig.Form.allCases {
            var config = Fixtures.config(name)
            config.fusion.form = form
            let space = ActionSpace(config: config)
            #expect(space.contains(space.baseline), "\(name), \(form.rawValue): baseline \(space.baseline)")
            #expect(space.dimension == config.tasks.count * (form == .powerProduct ? 2 : 1))
        }
    }

    /// A β outside the bias bounds must not put the power-product baseline outside the box
    /// (or validation must reject it).
    @Test func powerProductBaselineWithLargeBeta() {
        var config = Fixtures.tinyConfig
        config.fusion.form = .powerProduct
        config.fusion.beta = ["hate": 5]
        config.fusion.biasBounds = Bounds(low: 0.01, high: 1)
        let problems = config.validationProblems()
        if !problems.isEmpty {
            #expect(problems.contains { $0.path.hasPrefix("fusion.beta") }, "\(problems)")
            return
        }
        let space = ActionSpace(config: config)
        #expect(space.contains(space.baseline), "baseline \(space.baseline) outside [\(space.low), \(space.high)]")
    }

    /// Near-certain truths with noise: predictions must stay strictly inside (0, 1) (log-loss, AUC ties).
    @Test func oracleNoiseNeverSaturates() {
        let world = Fixtures.tinyWorld
        let rows = 2_000
        let truth = (0..<rows * 3).map { i -> Float in [0.999, 0.9999, 1e-5][i % 3] }
        let users = [Int32](repeating: 0, count: 1), items = (0..<rows).map { Int32($0 % world.catalog.count) }
        var predictions = [Float](repeating: .nan, count: truth.count)
        let ranker = OracleNoiseRanker(noise: [3, 3, 3])
        truth.withUnsafeBufferPointer { p in
            let batch = CandidateBatch(lanes: 1, candidatesPerLane: rows, taskCount: 3, users: users, items: items,
                                       catalog: world.catalog, population: world.population, oracleProbabilities: p.baseAddress!)
            withStreams(count: 1, seed: 3) { s in
                predictions.withUnsafeMutableBufferPointer { ranker.predict(batch, streams: s, into: $0.baseAddress!) }
            }
        }
        let saturated = predictions.filter { !($0 > 0 && $0 < 1) }.count
        #expect(saturated == 0, "\(saturated) of \(predictions.count) predictions are exactly 0 or 1")
    }
}
