import NeuralNet
import Numerics
import Testing
import TestSupport

@Suite("MLP")
struct MLPTests {
    @Test("parameter and input gradients match finite differences",
          arguments: [(Activation.tanh, Activation.identity), (.sigmoid, .softmax), (.relu, .tanh), (.identity, .sigmoid)])
    func gradients(_ activations: (hidden: Activation, output: Activation)) {
        var stream = RandomStream(seed: 30)
        var net = MLP(layerSizes: [3, 5, 4, 3], hiddenActivation: activations.hidden,
                      outputActivation: activations.output, initialization: .xavier, stream: &stream)
        let x = randomMatrix(4, 3, seed: 31)
        let c = randomMatrix(4, 3, seed: 32)
        _ = net.forward(x)
        let dx = net.backward(c)
        let check = GradientCheck(step: 1e-3, relativeTolerance: 1e-2, absoluteTolerance: 5e-4)
        let label = "MLP \(activations.hidden)→\(activations.output)"
        checkParameterGradients(net, label: label, check: check) { projection($0.predict(x), c) }.expectPassed()
        check.check(label: label + " input", at: x, analytic: dx) { projection(net.predict($0), c) }.expectPassed()
    }

    @Test("predict equals forward; shapes and parameter count")
    func predictMatchesForward() {
        var stream = RandomStream(seed: 33)
        var net = MLP(layerSizes: [4, 8, 2], hiddenActivation: .relu, outputActivation: .identity,
                      initialization: .he, stream: &stream)
        #expect(net.parameterCount == 4 * 8 + 8 + 8 * 2 + 2)
        #expect(net.layerSizes == [4, 8, 2])
        #expect(net.parameterDescriptors.map(\.name) == ["dense0.weight", "dense0.bias", "dense1.weight", "dense1.bias"])
        let x = randomMatrix(5, 4, seed: 34)
        let predicted = net.predict(x)
        let forwarded = net.forward(x)
        #expect(predicted == forwarded)
        #expect(forwarded.rows == 5 && forwarded.columns == 2)
    }

    @Test("a second backward adds to the gradients; zeroGradients clears them")
    func accumulation() {
        var stream = RandomStream(seed: 35)
        var net = MLP(layerSizes: [2, 3, 1], hiddenActivation: .tanh, outputActivation: .identity,
                      initialization: .xavier, stream: &stream)
        let x = randomMatrix(3, 2, seed: 36)
        let dy = randomMatrix(3, 1, seed: 37)
        _ = net.forward(x)
        net.backward(dy)
        let once = net.gradientVector()
        net.backward(dy)
        for (twice, single) in zip(net.gradientVector(), once) { #expect(abs(twice - 2 * single) < 1e-5) }
        net.zeroGradients()
        #expect(net.gradientNorm() == 0)
        net.accumulateGradients(dy)
        #expect(net.gradientVector() == once)
    }

    @Test("steady-state training steps reuse their buffers")
    func buffersAreReused() {
        var stream = RandomStream(seed: 38)
        var net = MLP(layerSizes: [4, 6, 3], hiddenActivation: .relu, outputActivation: .softmax,
                      initialization: .he, stream: &stream)
        var adam = Adam()
        let x = randomMatrix(8, 4, seed: 39)
        let dy = randomMatrix(8, 3, seed: 40)
        var outputAddresses = Set<UnsafePointer<Float>>()
        var inputGradientAddresses = Set<UnsafePointer<Float>>()
        for _ in 0..<5 {
            net.zeroGradients()
            outputAddresses.insert(net.forward(x).withUnsafeBufferPointer { $0.baseAddress! })
            inputGradientAddresses.insert(net.backward(dy).withUnsafeBufferPointer { $0.baseAddress! })
            adam.step(&net)
        }
        #expect(outputAddresses.count == 1)
        #expect(inputGradientAddresses.count == 1)
    }

    @Test("training a tiny MLP fits XOR")
    func fitsXOR() {
        var stream = RandomStream(seed: 42)
        var net = MLP(layerSizes: [2, 8, 1], hiddenActivation: .tanh, outputActivation: .identity,
                      initialization: .xavier, stream: &stream)
        let x = Matrix([[0, 0], [0, 1], [1, 0], [1, 1]])
        let y = Matrix([[0], [1], [1], [0]])
        var adam = Adam(learningRate: 0.05)
        var gradient = Matrix(rows: 0, columns: 0)
        var loss = Double.infinity
        for _ in 0..<300 {
            net.zeroGradients()
            let logits = net.forward(x)
            loss = Loss.binaryCrossEntropyWithLogits(logits: logits, targets: y, gradient: &gradient)
            net.backward(gradient)
            adam.step(&net)
        }
        #expect(loss < 0.05, "XOR loss after 300 Adam steps: \(loss)")
        let probabilities = net.predict(x).map(Elementary.sigmoid)
        for i in 0..<4 {
            #expect(abs(probabilities[i, 0] - y[i, 0]) < 0.2, "XOR input \(i): p = \(probabilities[i, 0])")
        }
    }

    @Test("training fits a small regression with MSE")
    func fitsRegression() {
        var stream = RandomStream(seed: 7)
        var net = MLP(layerSizes: [1, 16, 16, 1], hiddenActivation: .tanh, outputActivation: .identity,
                      initialization: .xavier, stream: &stream)
        let x = Matrix(rows: 64, columns: 1) { r, _ in -2 + 4 * Float(r) / 63 }
        let y = x.map { Float(Foundation_tanh(Double(2 * $0))) * 0.5 + 0.1 * $0 * $0 }
        var adam = Adam.adamW(learningRate: 0.01, weightDecay: 1e-4)
        var gradient = Matrix(rows: 0, columns: 0)
        var loss = Double.infinity
        for _ in 0..<400 {
            net.zeroGradients()
            loss = Loss.meanSquaredError(predictions: net.forward(x), targets: y, gradient: &gradient)
            net.backward(gradient)
            net.clipGradients(maxNorm: 5)
            adam.step(&net)
        }
        #expect(loss < 2e-3, "regression MSE after 400 AdamW steps: \(loss)")
    }
}
