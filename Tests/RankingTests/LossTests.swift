import Foundation
import NeuralNet
import Numerics
import Ranking
import Testing
import TestSupport

@Suite("ESMM head and multi-task loss")
struct LossTests {
    @Test("ESMM joint loss: value and gradients through the product")
    func esmmKernel() {
        for (a, b) in [(0.3, -0.7), (2.0, 1.5), (-3.0, 0.2), (4.0, 5.0)] as [(Float, Float)] {
            for y: Float in [0, 1] {
                let r = ESMMHead.jointLoss(clickLogit: a, conversionLogit: b, label: y)
                let p = 1 / (1 + exp(-Double(a))) / (1 + exp(-Double(b)))
                assertClose(r.loss, -Double(y) * log(p) - (1 - Double(y)) * log(1 - p), relative: 1e-9, absolute: 1e-12)
                func f(_ a: Double, _ b: Double) -> Double {
                    ESMMHead.jointLoss(clickLogit: Float(a), conversionLogit: Float(b), label: y).loss
                }
                let h = 1e-3
                let da = (f(Double(a) + h, Double(b)) - f(Double(a) - h, Double(b))) / (2 * h)
                let db = (f(Double(a), Double(b) + h) - f(Double(a), Double(b) - h)) / (2 * h)
                assertClose(Double(r.clickGradient), da, relative: 1e-3, absolute: 1e-5, "∂/∂a at \(a), \(b), y \(y)")
                assertClose(Double(r.conversionGradient), db, relative: 1e-3, absolute: 1e-5, "∂/∂b at \(a), \(b), y \(y)")
            }
        }
        // Saturated logits stay finite with bounded gradients.
        for (a, b) in [(60, 60), (-60, 60), (60, -60), (-60, -60)] as [(Float, Float)] {
            for y: Float in [0, 1] {
                let r = ESMMHead.jointLoss(clickLogit: a, conversionLogit: b, label: y)
                #expect(r.loss.isFinite && abs(r.clickGradient) <= 1 && abs(r.conversionGradient) <= 1)
            }
        }
    }

    @Test("multi-task loss gradient (binary, regression, ESMM cascade; mask and task weights)",
          arguments: [LossWeighting.Normalization.batch, .observedPerTask])
    func multiTaskLossGradient(_ normalization: LossWeighting.Normalization) {
        let tasks = [TaskSpec(name: "click"), TaskSpec(name: "watch", kind: .regression),
                     TaskSpec(name: "convert", kind: .cascade(parent: 0)), TaskSpec(name: "like")]
        var loss = MultiTaskLoss(tasks: tasks, taskWeights: [1, 0.5, 2, 1.5], normalization: normalization)
        let batch = 6
        let outputs = randomMatrix(batch, 4, seed: 1, in: -2...2)
        let labels = randomMatrix(batch, 4, seed: 2, in: 0...1)
        let targets = Matrix(rows: batch, columns: 4) { i, j in j == 1 ? labels[i, j] * 3 : (labels[i, j] > 0.6 ? 1 : 0) }
        let mask = Matrix(rows: batch, columns: 4) { i, j in (i + j) % 5 == 0 ? 0 : 1 }
        var gradient = Matrix(rows: 0, columns: 0)
        _ = loss.evaluate(outputs: outputs, targets: targets, mask: mask, gradient: &gradient)
        GradientCheck(relativeTolerance: 1e-3, absoluteTolerance: 1e-6).check(label: "multi-task loss", at: outputs,
                                                                             analytic: gradient) { z in
            var copy = loss
            var g = Matrix(rows: 0, columns: 0)
            return copy.evaluate(outputs: z, targets: targets, mask: mask, gradient: &g)
        }.expectPassed()
    }

    @Test("binary-only multi-task loss equals NeuralNet's BCE with the same weighting")
    func matchesNeuralNet() {
        var loss = MultiTaskLoss(tasks: [TaskSpec(name: "a"), TaskSpec(name: "b")], taskWeights: [2, 1])
        let z = randomMatrix(5, 2, seed: 3, in: -2...2)
        let y = Matrix(rows: 5, columns: 2) { i, j in Float((i + j) % 2) }
        var g1 = Matrix(rows: 0, columns: 0), g2 = Matrix(rows: 0, columns: 0)
        let a = loss.evaluate(outputs: z, targets: y, gradient: &g1)
        let b = Loss.binaryCrossEntropyWithLogits(logits: z, targets: y, weighting: LossWeighting(taskWeights: [2, 1]),
                                                  gradient: &g2)
        assertClose(a, b, relative: 1e-12)
        assertClose(g1, g2, relative: 1e-6)
    }

    @Test("predictions: sigmoid, raw regression, ESMM product")
    func predictions() {
        let tasks = [TaskSpec(name: "click"), TaskSpec(name: "watch", kind: .regression),
                     TaskSpec(name: "convert", kind: .cascade(parent: 0))]
        let z = Matrix([[0, 2.5, 1], [-1, -0.5, 3]])
        let p = MultiTaskLoss.predictions(outputs: z, tasks: tasks)
        for i in 0..<2 {
            let click = 1 / (1 + exp(-Double(z[i, 0])))
            assertClose(Double(p[i, 0]), click, relative: 1e-6)
            #expect(p[i, 1] == z[i, 1])
            assertClose(Double(p[i, 2]), click / (1 + exp(-Double(z[i, 2]))), relative: 1e-6)
            #expect(p[i, 2] <= p[i, 0])
        }
        let head = ESMMHead(clickTask: 0, conversionTask: 2)
        assertClose(head.jointProbabilities(logits: z).map(Double.init), [Double(p[0, 2]), Double(p[1, 2])], relative: 1e-6)
    }
}
