import NeuralNet
import Numerics
import Testing
import TestSupport

@Suite("Activations")
struct ActivationTests {
    @Test("forward values", arguments: Activation.allCases)
    func forwardValues(_ activation: Activation) {
        var x = Matrix([[-2, 0.5, 1], [0, -0.25, 3]])
        let original = x
        activation.apply(&x)
        for r in 0..<2 {
            let row = (0..<3).map { Double(original[r, $0]) }
            let maxValue = row.max()!
            let total = row.map { Foundation_exp($0 - maxValue) }.reduce(0, +)
            for c in 0..<3 {
                let v = row[c]
                let expected: Double
                switch activation {
                case .identity: expected = v
                case .relu: expected = max(v, 0)
                case .tanh: expected = Foundation_tanh(v)
                case .sigmoid: expected = 1 / (1 + Foundation_exp(-v))
                case .softmax: expected = Foundation_exp(v - maxValue) / total
                }
                #expect(abs(Double(x[r, c]) - expected) < 1e-6, "\(activation) at (\(r), \(c))")
            }
        }
    }

    @Test("backward is the Jacobian-vector product", arguments: Activation.allCases)
    func gradient(_ activation: Activation) {
        let x = matrixAwayFromZero(4, 5, seed: 1)
        let c = randomMatrix(4, 5, seed: 2)
        var y = x
        activation.apply(&y)
        var g = c
        activation.backward(output: y, gradient: &g)
        let report = GradientCheck().check(label: "\(activation)", at: x, analytic: g) { x in
            var y = x
            activation.apply(&y)
            return projection(y, c)
        }
        report.expectPassed()
    }

    @Test("softmax rows sum to one and survive large logits")
    func softmaxStable() {
        var x = Matrix([[1000, 1001, 999], [-1000, -1000, -1000]])
        Activation.softmax.apply(&x)
        #expect(x.isFinite)
        for r in 0..<2 {
            #expect(abs(x.row(r).reduce(0, +) - 1) < 1e-6)
        }
    }
}
