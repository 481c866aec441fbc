import NeuralNet
import Numerics
import Testing
import TestSupport

@Suite("Dense layer")
struct DenseTests {
    static let shapes: [(batch: Int, input: Int, output: Int)] = [(1, 1, 1), (1, 4, 3), (5, 3, 2), (7, 6, 9)]

    @Test("forward is XW + b", arguments: shapes)
    func forward(_ shape: (batch: Int, input: Int, output: Int)) {
        let w = randomMatrix(shape.input, shape.output, seed: 10)
        let b = randomMatrix(1, shape.output, seed: 11)
        let x = randomMatrix(shape.batch, shape.input, seed: 12)
        let layer = Dense(weight: w, bias: b)
        let y = layer.forward(x)
        #expect(y.rows == shape.batch && y.columns == shape.output, "shape \(shape)")
        for i in 0..<shape.batch {
            for j in 0..<shape.output {
                var expected = Double(b[0, j])
                for k in 0..<shape.input { expected += Double(x[i, k]) * Double(w[k, j]) }
                #expect(abs(Double(y[i, j]) - expected) < 1e-5, "shape \(shape) at (\(i), \(j))")
            }
        }
    }

    @Test("backward matches finite differences", arguments: shapes)
    func gradients(_ shape: (batch: Int, input: Int, output: Int)) {
        var stream = RandomStream(seed: 3)
        var layer = Dense(inputSize: shape.input, outputSize: shape.output, initialization: .xavier, stream: &stream)
        layer.bias.value = randomMatrix(1, shape.output, seed: 4)
        let x = randomMatrix(shape.batch, shape.input, seed: 5)
        let c = randomMatrix(shape.batch, shape.output, seed: 6)
        var dx = Matrix(rows: 0, columns: 0)
        layer.backward(input: x, outputGradient: c, inputGradient: &dx)
        let check = GradientCheck(step: 1e-2)
        checkParameterGradients(layer, label: "dense \(shape)", check: check) { projection($0.forward(x), c) }
            .expectPassed()
        check.check(label: "dense input \(shape)", at: x, analytic: dx) { projection(layer.forward($0), c) }
            .expectPassed()
    }

    @Test("gradients accumulate until zeroed")
    func accumulation() {
        var stream = RandomStream(seed: 8)
        var layer = Dense(inputSize: 3, outputSize: 2, initialization: .he, stream: &stream)
        let x = randomMatrix(4, 3, seed: 1)
        let dy = randomMatrix(4, 2, seed: 2)
        layer.backward(input: x, outputGradient: dy)
        let once = layer.gradientVector()
        layer.backward(input: x, outputGradient: dy)
        for (twice, single) in zip(layer.gradientVector(), once) {
            #expect(abs(twice - 2 * single) < 1e-5)
        }
        layer.zeroGradients()
        #expect(layer.gradientVector().allSatisfy { $0 == 0 })
    }
}
