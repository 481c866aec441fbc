import NeuralNet
import Numerics
import Testing
import TestSupport

@Suite("Losses")
struct LossTests {
    let logits = randomMatrix(6, 3, seed: 20, in: -3...3)
    let labels = Matrix(rows: 6, columns: 3) { r, c in Float((r + 2 * c) % 2) }

    @Test("BCE with logits: value in closed form and gradient")
    func binaryCrossEntropy() {
        var g = Matrix(rows: 0, columns: 0)
        let value = Loss.binaryCrossEntropyWithLogits(logits: logits, targets: labels, gradient: &g)
        var expected = 0.0
        for (z, y) in zip(logits.elements, labels.elements) {
            let p = 1 / (1 + Foundation_exp(-Double(z)))
            expected -= Double(y) * Foundation_log(p) + Double(1 - y) * Foundation_log(1 - p)
        }
        #expect(abs(value - expected / 6) < 1e-5)
        GradientCheck().check(label: "bce", at: logits, analytic: g) { z in
            var scratch = Matrix(rows: 0, columns: 0)
            return Loss.binaryCrossEntropyWithLogits(logits: z, targets: labels, gradient: &scratch)
        }.expectPassed()
    }

    @Test("BCE with logits is finite for extreme logits")
    func binaryCrossEntropyStable() {
        let z = Matrix([[100, -100, 100, -100]])
        let y = Matrix([[1, 0, 0, 1]])
        var g = Matrix(rows: 0, columns: 0)
        let value = Loss.binaryCrossEntropyWithLogits(logits: z, targets: y, gradient: &g)
        #expect(abs(value - 200) < 1e-3)
        #expect(zip(g.elements, [0, 0, 1, -1] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(g.elements)")
    }

    @Test("BCE with per-sample weights, task weights and masks",
          arguments: [LossWeighting.Normalization.batch, .observedPerTask])
    func weightedBinaryCrossEntropy(_ normalization: LossWeighting.Normalization) {
        let mask = Matrix(rows: 6, columns: 3) { r, c in (r + c) % 3 == 0 ? 0 : 1 }
        let sampleWeights = randomMatrix(6, 1, seed: 21, in: 0.5...2)
        let weighting = LossWeighting(weights: sampleWeights, taskWeights: [1, 0.5, 2], mask: mask,
                                      normalization: normalization)
        var g = Matrix(rows: 0, columns: 0)
        let value = Loss.binaryCrossEntropyWithLogits(logits: logits, targets: labels, weighting: weighting, gradient: &g)
        var expected = 0.0
        for c in 0..<3 {
            var column = 0.0
            var observed = 0.0
            for r in 0..<6 {
                let z = Double(logits[r, c]), y = Double(labels[r, c])
                let p = 1 / (1 + Foundation_exp(-z))
                let l = -(y * Foundation_log(p) + (1 - y) * Foundation_log(1 - p))
                column += Double(sampleWeights[r, 0]) * Double(mask[r, c]) * l
                observed += Double(mask[r, c])
            }
            expected += [1, 0.5, 2][c] * column / (normalization == .batch ? 6 : observed)
        }
        #expect(abs(value - expected) < 1e-5, "\(normalization)")
        for r in 0..<6 {
            for c in 0..<3 where mask[r, c] == 0 {
                #expect(g[r, c] == 0, "masked element (\(r), \(c)) has gradient \(g[r, c])")
            }
        }
        GradientCheck().check(label: "weighted bce \(normalization)", at: logits, analytic: g) { z in
            var scratch = Matrix(rows: 0, columns: 0)
            return Loss.binaryCrossEntropyWithLogits(logits: z, targets: labels, weighting: weighting, gradient: &scratch)
        }.expectPassed()
    }

    @Test("per-element weights equal to the mask give the masked loss")
    func elementWeights() {
        let mask = Matrix(rows: 6, columns: 3) { r, c in (r * c) % 2 == 0 ? 1 : 0 }
        var g1 = Matrix(rows: 0, columns: 0)
        var g2 = Matrix(rows: 0, columns: 0)
        let a = Loss.binaryCrossEntropyWithLogits(logits: logits, targets: labels,
                                                  weighting: LossWeighting(weights: mask), gradient: &g1)
        let b = Loss.binaryCrossEntropyWithLogits(logits: logits, targets: labels,
                                                  weighting: LossWeighting(mask: mask), gradient: &g2)
        #expect(a == b)
        #expect(g1 == g2)
    }

    @Test("MSE value and gradient")
    func meanSquaredError() {
        let targets = randomMatrix(6, 3, seed: 22)
        var g = Matrix(rows: 0, columns: 0)
        let value = Loss.meanSquaredError(predictions: logits, targets: targets, gradient: &g)
        let expected = zip(logits.elements, targets.elements).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / 6
        #expect(abs(value - expected) < 1e-5)
        GradientCheck().check(label: "mse", at: logits, analytic: g) { p in
            var scratch = Matrix(rows: 0, columns: 0)
            return Loss.meanSquaredError(predictions: p, targets: targets, gradient: &scratch)
        }.expectPassed()
    }

    @Test("Huber on both sides of delta")
    func huber() {
        let delta: Float = 0.5
        let predictions = Matrix([[0.1, 2.0, -1.5, 0.3]])
        let targets = Matrix([[0.0, 0.0, 0.0, 0.0]])
        var g = Matrix(rows: 0, columns: 0)
        let value = Loss.huber(predictions: predictions, targets: targets, delta: delta, gradient: &g)
        let expected = 0.5 * 0.01 + 0.5 * (2.0 - 0.25) + 0.5 * (1.5 - 0.25) + 0.5 * 0.09
        #expect(abs(value - expected) < 1e-6)
        #expect(abs(g[0, 0] - 0.1) < 1e-6)
        #expect(g[0, 1] == 0.5)
        #expect(g[0, 2] == -0.5)
        #expect(abs(g[0, 3] - 0.3) < 1e-6)
        GradientCheck().check(label: "huber", at: predictions, analytic: g) { p in
            var scratch = Matrix(rows: 0, columns: 0)
            return Loss.huber(predictions: p, targets: targets, delta: delta, gradient: &scratch)
        }.expectPassed()
    }

    @Test("Gaussian NLL: value and gradients for mean and log-sigma")
    func gaussianNegativeLogLikelihood() {
        let mean = randomMatrix(5, 2, seed: 23)
        let logStd = randomMatrix(5, 2, seed: 24, in: -1...0.5)
        let targets = randomMatrix(5, 2, seed: 25, in: -2...2)
        var gm = Matrix(rows: 0, columns: 0)
        var gs = Matrix(rows: 0, columns: 0)
        let value = Loss.gaussianNegativeLogLikelihood(mean: mean, logStd: logStd, targets: targets,
                                                       meanGradient: &gm, logStdGradient: &gs)
        var expected = 0.0
        for k in 0..<10 {
            let sigma = Foundation_exp(Double(logStd.elements[k]))
            let r = Double(targets.elements[k]) - Double(mean.elements[k])
            expected += Foundation_log(sigma) + r * r / (2 * sigma * sigma) + 0.5 * Foundation_log(2 * .pi)
        }
        #expect(abs(value - expected / 5) < 1e-5)
        func loss(_ mean: Matrix, _ logStd: Matrix) -> Double {
            var a = Matrix(rows: 0, columns: 0)
            var b = Matrix(rows: 0, columns: 0)
            return Loss.gaussianNegativeLogLikelihood(mean: mean, logStd: logStd, targets: targets,
                                                      meanGradient: &a, logStdGradient: &b)
        }
        GradientCheck().check(label: "gaussian nll mean", at: mean, analytic: gm) { loss($0, logStd) }.expectPassed()
        GradientCheck().check(label: "gaussian nll log-sigma", at: logStd, analytic: gs) { loss(mean, $0) }.expectPassed()
    }
}
