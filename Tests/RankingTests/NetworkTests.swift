import Foundation
import NeuralNet
import Numerics
import Ranking
import Testing
import TestSupport

@Suite("Multi-task networks end to end")
struct NetworkTests {
    @Test("shared-bottom gradients w.r.t. parameters and input")
    func sharedBottom() {
        var stream = RandomStream(seed: 1)
        let net = SharedBottom(configuration: .init(inputSize: 5, taskCount: 3, bottomLayers: [6, 4], towerLayers: [3]),
                               stream: &stream)
        checkNetwork(net, batch: 4, seed: 2, label: "shared-bottom")
    }

    @Test("MMoE gradients w.r.t. parameters and input")
    func mmoe() {
        var stream = RandomStream(seed: 3)
        let net = MMoE(configuration: .init(inputSize: 5, taskCount: 3, expertCount: 3, expertLayers: [6, 4],
                                            towerLayers: [3]), stream: &stream)
        checkNetwork(net, batch: 4, seed: 4, label: "MMoE")
    }

    @Test("PLE gradients w.r.t. parameters and input", arguments: [1, 2])
    func ple(_ levels: Int) {
        var stream = RandomStream(seed: 5)
        let net = PLE(configuration: .init(inputSize: 5, taskCount: 2, levels: levels, taskExperts: 2, sharedExperts: 1,
                                           expertLayers: [6, 4], towerLayers: [3]), stream: &stream)
        checkNetwork(net, batch: 3, seed: 6, label: "PLE(\(levels) levels)")
    }

    @Test("ranker (encoder + MMoE) gradients w.r.t. every parameter")
    func ranker() {
        let layout = smallLayout()
        var stream = RandomStream(seed: 7)
        let tasks = [TaskSpec(name: "click"), TaskSpec(name: "like")]
        var ranker = MultiTaskRanker<MMoE>(layout: layout, tasks: tasks,
                                  configuration: .init(inputSize: layout.encodedDimension, taskCount: 2, expertCount: 2,
                                                       expertLayers: [5], towerLayers: [3]), stream: &stream)
        let batch = randomBatch(layout, count: 4, seed: 8)
        let c = randomMatrix(4, 2, seed: 9)
        var outputs = Matrix(rows: 0, columns: 0)
        ranker.forward(batch, into: &outputs)
        ranker.backward(batch, outputGradient: c)
        #expect(ranker.parameterDescriptors.first!.name == "encoder.item.table")
        #expect(ranker.parameterDescriptors.contains { $0.name == "network.gate1.weight" })
        checkParameterGradients(ranker, label: "ranker") { r in
            var copy = r
            var out = Matrix(rows: 0, columns: 0)
            copy.forward(batch, into: &out)
            return projection(out, c)
        }.expectPassed()
    }

    @Test("gate weights are distributions for every task (MMoE and PLE)")
    func gatesSumToOne() {
        var stream = RandomStream(seed: 10)
        var mmoe = MMoE(configuration: .init(inputSize: 6, taskCount: 4, expertCount: 5, expertLayers: [8],
                                             towerLayers: [4]), stream: &stream)
        var ple = PLE(configuration: .init(inputSize: 6, taskCount: 3, levels: 2, taskExperts: 2, sharedExperts: 2,
                                           expertLayers: [8], towerLayers: [4]), stream: &stream)
        let x = randomMatrix(16, 6, seed: 11, in: -3...3)
        _ = mmoe.forward(x)
        _ = ple.forward(x)
        var gates = (0..<4).map { mmoe.gateWeights(task: $0) }
        gates += (0..<2).flatMap { level in (0..<3).map { ple.gateWeights(level: level, task: $0) } }
        for g in gates {
            for i in 0..<g.rows {
                #expect(abs(Double(g.row(i).reduce(0, +)) - 1) < 1e-5)
                #expect(g.row(i).allSatisfy { $0 >= 0 })
            }
        }
        #expect(mmoe.gateWeights(task: 0).columns == 5)
        #expect(ple.gateWeights(level: 1, task: 2).columns == 4)
    }
}
