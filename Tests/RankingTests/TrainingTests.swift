import Foundation
import NeuralNet
import Numerics
import Ranking
import Testing
import TestSupport

@Suite("Training")
struct TrainingTests {
    /// Two tasks that depend on different inputs: `p₀ = σ(2x₀ + x₂)`, `p₁ = σ(2x₁ − x₃)`.
    static func synthetic(count: Int, seed: UInt64) -> (x: Matrix, y: Matrix, p: Matrix) {
        var stream = RandomStream(seed: seed, keys: streamKey("synthetic-two-task"))
        let x = Matrix(rows: count, columns: 8) { _, _ in stream.normalFloat() }
        let p = Matrix(rows: count, columns: 2) { i, j in
            Elementary.sigmoid(j == 0 ? 2 * x[i, 0] + x[i, 2] : 2 * x[i, 1] - x[i, 3])
        }
        let y = Matrix(rows: count, columns: 2) { i, j in stream.nextUnitFloat() < p[i, j] ? 1 : 0 }
        return (x, y, p)
    }

    @Test("seeded MMoE learns a synthetic two-task problem to within 0.02 AUC of the ceiling")
    func mmoeLearnsTwoTasks() {
        let train = Self.synthetic(count: 8192, seed: 1)
        let test = Self.synthetic(count: 4096, seed: 2)
        var stream = RandomStream(seed: 3)
        var net = MMoE(configuration: .init(inputSize: 8, taskCount: 2, expertCount: 4, expertLayers: [16],
                                            towerLayers: [8]), stream: &stream)
        var loss = MultiTaskLoss(tasks: [TaskSpec(name: "a"), TaskSpec(name: "b")])
        var adam = Adam(learningRate: 1e-2)
        var logits = Matrix(rows: 0, columns: 0)
        var gradient = Matrix(rows: 0, columns: 0)
        let batchSize = 256
        var order = Array(0..<train.x.rows)
        var firstLoss = 0.0, lastLoss = 0.0
        for epoch in 0..<8 {
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, stream.nextIndex(below: i + 1)) }
            var epochLoss = 0.0
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let rows = order[start..<min(start + batchSize, order.count)]
                let x = train.x.gatherRows(rows), y = train.y.gatherRows(rows)
                net.zeroGradients()
                net.forward(x, into: &logits)
                epochLoss += loss.evaluate(outputs: logits, targets: y, gradient: &gradient)
                net.backward(gradient, computeInputGradient: false)
                adam.step(&net)
            }
            if epoch == 0 { firstLoss = epochLoss }
            lastLoss = epochLoss
        }
        #expect(lastLoss < firstLoss)
        let scores = net.predict(test.x)
        for task in 0..<2 {
            let labels = (0..<test.y.rows).map { test.y[$0, task] == 1 }
            let auc = rocAUC(scores: (0..<scores.rows).map { scores[$0, task] }, labels: labels)
            let ceiling = rocAUC(scores: (0..<test.p.rows).map { test.p[$0, task] }, labels: labels)
            #expect(auc > ceiling - 0.02, "task \(task): AUC \(auc), ceiling \(ceiling)")
            #expect(auc > 0.75, "task \(task): AUC \(auc)")
        }
    }
}
