import NeuralNet
import Numerics
import Testing

@Suite("Initialisation")
struct InitializationTests {
    func moments(_ m: Matrix) -> (mean: Double, variance: Double) {
        let n = Double(m.count)
        let mean = m.elements.reduce(0.0) { $0 + Double($1) } / n
        let variance = m.elements.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
        return (mean, variance)
    }

    @Test("He: N(0, 2/fanIn)")
    func he() {
        var stream = RandomStream(seed: 70)
        let w = Initialization.he.weights(fanIn: 200, fanOut: 300, stream: &stream)
        let (mean, variance) = moments(w)
        #expect(abs(mean) < 0.003)
        #expect(abs(variance / (2.0 / 200) - 1) < 0.02, "He variance \(variance), expected \(2.0 / 200)")
    }

    @Test("Xavier: U(−a, a), a = sqrt(6/(fanIn + fanOut)), variance 2/(fanIn + fanOut)")
    func xavier() {
        var stream = RandomStream(seed: 71)
        let w = Initialization.xavier.weights(fanIn: 200, fanOut: 300, stream: &stream)
        let (mean, variance) = moments(w)
        let bound = Float((6.0 / 500).squareRoot())
        #expect(w.elements.allSatisfy { abs($0) <= bound })
        #expect(abs(mean) < 0.003)
        #expect(abs(variance / (2.0 / 500) - 1) < 0.02, "Xavier variance \(variance), expected \(2.0 / 500)")
    }

    @Test("biases start at zero; the same seed gives the same network")
    func deterministic() {
        var s1 = RandomStream(seed: 72)
        var s2 = RandomStream(seed: 72)
        let a = MLP(layerSizes: [3, 4, 1], hiddenActivation: .relu, outputActivation: .identity, initialization: .he, stream: &s1)
        let b = MLP(layerSizes: [3, 4, 1], hiddenActivation: .relu, outputActivation: .identity, initialization: .he, stream: &s2)
        #expect(a.parameterVector() == b.parameterVector())
        #expect(a.layers.allSatisfy { $0.bias.value.elements.allSatisfy { $0 == 0 } })
    }
}
