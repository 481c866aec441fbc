import NeuralNet
import Numerics
import Testing
import TestSupport

@Suite("Optimisers, clipping and Polyak updates")
struct OptimizerTests {
    @Test("Adam: first step moves by lr·sign(g); second step by hand with bias correction")
    func adamByHand() {
        var model = ScalarModel(1, gradient: 0.5)
        var adam = Adam(learningRate: 0.1)
        adam.step(&model)
        #expect(model.value == 0.9)
        #expect(adam.stepCount == 1)

        model.setGradient(-0.2)
        adam.step(&model)
        let (b1, b2, eps) = (0.9, 0.999, 1e-8)
        let m = b1 * (1 - b1) * 0.5 + (1 - b1) * -0.2
        let v = b2 * (1 - b2) * 0.25 + (1 - b2) * 0.04
        let mHat = m / (1 - b1 * b1)
        let vHat = v / (1 - b2 * b2)
        let expected = Double(Float(0.9)) - 0.1 * mHat / (vHat.squareRoot() + eps)
        #expect(abs(Double(model.value) - expected) < 1e-6, "second Adam step: \(model.value) vs \(expected)")
    }

    @Test("AdamW decays weights independently of the gradient")
    func adamWDecay() {
        var model = ScalarModel(2, gradient: 0)
        var adamW = Adam.adamW(learningRate: 0.1, weightDecay: 0.5)
        adamW.step(&model)
        #expect(abs(model.value - 2 * (1 - 0.1 * 0.5)) < 1e-6)

        var withGradient = ScalarModel(2, gradient: 3)
        var decayed = Adam.adamW(learningRate: 0.1, weightDecay: 0.5)
        decayed.step(&withGradient)
        #expect(abs(withGradient.value - (2 - 0.1 - 0.1 * 0.5 * 2)) < 1e-6)
    }

    @Test("SGD with and without momentum")
    func sgd() {
        var model = ScalarModel(1, gradient: 2)
        var sgd = SGD(learningRate: 0.1)
        sgd.step(&model)
        #expect(abs(model.value - 0.8) < 1e-7)

        var heavy = ScalarModel(1, gradient: 2)
        var momentum = SGD(learningRate: 0.1, momentum: 0.9)
        momentum.step(&heavy)
        momentum.step(&heavy)
        #expect(abs(heavy.value - (1 - 0.2 - 0.1 * (0.9 * 2 + 2))) < 1e-6)
    }

    @Test("global-norm clipping returns the pre-clip norm and rescales to maxNorm")
    func clipping() {
        var stream = RandomStream(seed: 50)
        var net = MLP(layerSizes: [3, 4, 2], hiddenActivation: .relu, outputActivation: .identity,
                      initialization: .he, stream: &stream)
        _ = net.forward(randomMatrix(8, 3, seed: 51, in: -5...5))
        net.backward(randomMatrix(8, 2, seed: 52, in: -5...5))
        let before = net.gradientVector()
        let norm = Float(before.map { Double($0) * Double($0) }.reduce(0, +).squareRoot())
        #expect(norm > 1)
        let reported = net.clipGradients(maxNorm: 1)
        #expect(abs(reported - norm) < 1e-4 * norm)
        #expect(abs(net.gradientNorm() - 1) < 1e-5)
        for (after, original) in zip(net.gradientVector(), before) {
            #expect(abs(after - original / norm) < 1e-6)
        }
        let unchanged = net.gradientVector()
        #expect(abs(net.clipGradients(maxNorm: 10) - 1) < 1e-5)
        #expect(net.gradientVector() == unchanged)
    }

    @Test("soft update moves the target by tau toward the source")
    func softUpdate() {
        var stream = RandomStream(seed: 60)
        let online = MLP(layerSizes: [2, 3, 1], hiddenActivation: .tanh, outputActivation: .identity,
                         initialization: .xavier, stream: &stream)
        var target = MLP(layerSizes: [2, 3, 1], hiddenActivation: .tanh, outputActivation: .identity,
                         initialization: .xavier, stream: &stream)
        let before = target.parameterVector()
        target.softUpdate(toward: online, tau: 0.25)
        for ((t, t0), s) in zip(zip(target.parameterVector(), before), online.parameterVector()) {
            #expect(abs(t - (0.25 * s + 0.75 * t0)) < 1e-6)
        }
        target.softUpdate(toward: online, tau: 1)
        #expect(target.parameterVector() == online.parameterVector())
    }
}
