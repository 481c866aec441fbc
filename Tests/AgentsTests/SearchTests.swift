import Agents
import Numerics
import Simulator
import Testing
import TestSupport

/// The state-free baselines must find the best fixed action of `ToyTask`, (0.3, 0) in normalised
/// units with expected return 3.75, from a start at the centre of the box (return 3.3).
@Suite("Search over fixed weights")
struct SearchTests {
    /// Mean return of a fixed normalised action over 64 episodes with common random numbers.
    static func episodeReturn(_ action: [Float]) -> Double {
        let raw = ToyTask.actionSpace.denormalize(action)
        return evaluate(FixedPolicy(action: raw, actionSpace: ToyTask.actionSpace), episodes: 64, seed: 5)
    }

    @Test("CEM finds the best fixed action")
    func crossEntropy() throws {
        var configuration = CrossEntropyMethodConfiguration()
        configuration.populationSize = 32
        configuration.iterations = 12
        var cem = try CrossEntropyMethod(dimension: 2, configuration: configuration)
        var stream = RandomStream(seed: 1)
        let history = cem.run(stream: &stream, evaluateEach: SearchTests.episodeReturn)
        let value = ToyTask.expectedReturn(fixed: cem.mean)
        print("CEM: mean \(cem.mean), expected return \(value) (best fixed \(ToyTask.bestFixedReturn)); "
              + "elite value \(history.last!.eliteMeanValue)")
        #expect(history.count == 12)
        #expect(abs(cem.mean[0] - 0.3) < 0.1 && abs(cem.mean[1]) < 0.1)
        #expect(value >= 0.99 * ToyTask.bestFixedReturn)
        #expect(cem.best != nil && cem.standardDeviation.allSatisfy { $0 < 0.2 })
    }

    @Test("CEM ask/tell: elites set the mean; NaN values rank last")
    func crossEntropyTell() throws {
        var configuration = CrossEntropyMethodConfiguration()
        configuration.populationSize = 4
        configuration.eliteFraction = 0.5
        configuration.extraNoise = 0
        var cem = try CrossEntropyMethod(dimension: 1, configuration: configuration)
        let summary = cem.tell(population: [[0.1], [0.5], [0.9], [-0.4]], values: [1, .nan, 3, 2])
        assertClose(cem.mean, [0.25], relative: 1e-6)  // elites 0.9 and −0.4
        assertClose(Double(cem.standardDeviation[0]), 0.65, relative: 1e-6)
        #expect(summary.bestValue == 3 && cem.best?.candidate == [0.9])
    }

    @Test("evolution strategies (antithetic, rank-shaped) find the best fixed action")
    func evolutionStrategies() throws {
        var configuration = EvolutionStrategiesConfiguration()
        configuration.pairs = 8
        configuration.iterations = 40
        configuration.learningRate = 0.03
        var es = try EvolutionStrategies(dimension: 2, configuration: configuration)
        var stream = RandomStream(seed: 2)
        es.run(stream: &stream) { $0.map(SearchTests.episodeReturn) }
        let value = ToyTask.expectedReturn(fixed: es.mean)
        print("ES: mean \(es.mean), expected return \(value) (best fixed \(ToyTask.bestFixedReturn))")
        #expect(abs(es.mean[0] - 0.3) < 0.1 && abs(es.mean[1]) < 0.1)
        #expect(value >= 0.99 * ToyTask.bestFixedReturn)
    }

    @Test("centred ranks lie in [−½, ½] and keep the order")
    func ranks() {
        assertClose(EvolutionStrategies.centredRanks([3, -1, 10, 0]), [1.0 / 6, -0.5, 0.5, -1.0 / 6], relative: 1e-12)
    }
}
