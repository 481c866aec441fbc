import NeuralNet
import Numerics
import Ranking
import Testing
import TestSupport

@Suite("MMoE inference fast path (the simulation ranker's)")
struct InferenceTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var projection: Int?
        /// 4 takes the unrolled mixing and softmax kernels, others the general ones.
        var experts: Int
        var expertLayers: [Int]
        var towerLayers: [Int]
        var tasks: [TaskSpec]
        /// Leading columns turned into predictions.
        var taskCount: Int
        var expectedHeads: [Int]
        var chunkRows: Int

        var description: String {
            "\(name): \(experts) experts \(expertLayers), towers \(towerLayers), \(taskCount) of \(tasks.count) tasks, chunks of \(chunkRows)"
        }
    }

    static let cases: [Case] = [
        Case(name: "one expert layer, one hidden tower layer, regression head skipped", projection: 5, experts: 4, expertLayers: [8],
             towerLayers: [6], tasks: [TaskSpec(name: "click"), TaskSpec(name: "like"), TaskSpec(name: "watch", kind: .regression)],
             taskCount: 2, expectedHeads: [0, 1], chunkRows: 16),
        Case(name: "two expert layers, towers without hidden layers, ESMM cascade", projection: 4, experts: 3, expertLayers: [9, 6],
             towerLayers: [], tasks: [TaskSpec(name: "click"), TaskSpec(name: "convert", kind: .cascade(parent: 0)),
                                      TaskSpec(name: "like")],
             taskCount: 3, expectedHeads: [0, 1, 2], chunkRows: 7),
        Case(name: "two hidden tower layers, cascade parent beyond the predicted columns", projection: nil,
             experts: 2, expertLayers: [8], towerLayers: [7, 5],
             tasks: [TaskSpec(name: "a"), TaskSpec(name: "b", kind: .cascade(parent: 3)), TaskSpec(name: "c"),
                     TaskSpec(name: "d"), TaskSpec(name: "watch", kind: .regression)],
             taskCount: 2, expectedHeads: [0, 1, 3], chunkRows: 64),
        Case(name: "two expert layers, two tower layers, all columns, one chunk", projection: 3, experts: 4, expertLayers: [10, 12],
             towerLayers: [9, 3], tasks: [TaskSpec(name: "click"), TaskSpec(name: "watch", kind: .regression)],
             taskCount: 2, expectedHeads: [0, 1], chunkRows: 512),
    ]

    /// A ranker whose every parameter (embeddings, weights, biases) is a seeded non-zero value, so that a wrong
    /// column, bias or gate cannot hide behind zero initialisation.
    static func randomRanker(_ c: Case, seed: UInt64) -> MultiTaskRanker<MMoE> {
        let layout = smallLayout(projection: c.projection, activation: c.projection == 4 ? .tanh : .relu)
        var stream = RandomStream(seed: seed)
        var ranker = MultiTaskRanker<MMoE>(layout: layout, tasks: c.tasks,
                                           configuration: .init(inputSize: layout.encodedDimension, taskCount: c.tasks.count,
                                                                expertCount: c.experts, expertLayers: c.expertLayers,
                                                                towerLayers: c.towerLayers),
                                           stream: &stream)
        var values = RandomStream(seed: seed + 1, keys: streamKey("inference-weights"))
        ranker.setParameterVector(ranker.parameterVector().map { _ in 0.9 * (2 * values.nextUnitFloat() - 1) })
        return ranker
    }

    @Test("agrees with MultiTaskRanker.forward on random inputs and weights", arguments: cases)
    func agreesWithGenericForward(_ c: Case) {
        var ranker = Self.randomRanker(c, seed: 21)
        let batch = randomBatch(ranker.layout, count: 45, seed: 22)
        var outputs = Matrix(rows: 0, columns: 0)
        ranker.forward(batch, into: &outputs)

        let inference = MMoEInference(ranker, taskCount: c.taskCount, chunkRows: c.chunkRows)
        #expect(inference.heads == c.expectedHeads, "\(c)")
        let workspace = inference.makeWorkspace()
        let logits = inference.logits(batch, workspace: workspace)
        let expected = (0..<batch.count).flatMap { i in inference.heads.map { outputs[i, $0] } }
        #expect(expected.contains { abs($0) > 0.5 }, "\(c): logits should not be near zero")
        assertClose(logits.elements, expected, relative: 1e-5, absolute: 1e-5, "\(c): logits")

        var reference = [Float]()
        for i in 0..<batch.count {
            for (j, task) in c.tasks.prefix(c.taskCount).enumerated() {
                if case .cascade(let parent) = task.kind {
                    reference.append(Elementary.sigmoid(outputs[i, parent]) * Elementary.sigmoid(outputs[i, j]))
                } else {
                    reference.append(Elementary.sigmoid(outputs[i, j]))
                }
            }
        }
        let predictions = inference.predictions(batch, workspace: workspace)
        #expect(predictions.rows == batch.count && predictions.columns == c.taskCount)
        assertClose(predictions.elements, reference, relative: 1e-5, absolute: 1e-6, "\(c): predictions")
        // A reused workspace and another chunking give the same predictions (the last up to rounding).
        #expect(inference.predictions(batch, workspace: workspace) == predictions, "\(c): deterministic")
        let other = MMoEInference(ranker, taskCount: c.taskCount, chunkRows: c.chunkRows == 7 ? 13 : 7)
        assertClose(other.predictions(batch).elements, predictions.elements, relative: 1e-5, absolute: 1e-6,
                    "\(c): chunk size")
    }

    @Test("FLOPs count the heads computed")
    func flops() {
        let all = Self.cases[3], skipped = Self.cases[0]
        let full = Self.randomRanker(all, seed: 3)
        var weights = 0
        full.forEachParameter { if $0.name.hasSuffix(".weight") { weights += $0.value.count } }
        #expect(MMoEInference(full, taskCount: 2).denseFlopsPerRow == 2 * weights)

        let partial = Self.randomRanker(skipped, seed: 4)
        var skippedWeights = 0
        partial.forEachParameter { p in
            if p.name.hasPrefix("network.gate2.") || p.name.hasPrefix("network.tower2."), p.name.hasSuffix(".weight") {
                skippedWeights += p.value.count
            }
        }
        var total = 0
        partial.forEachParameter { if $0.name.hasSuffix(".weight") { total += $0.value.count } }
        #expect(skippedWeights > 0)
        #expect(MMoEInference(partial, taskCount: 2).denseFlopsPerRow == 2 * (total - skippedWeights))
    }
}
