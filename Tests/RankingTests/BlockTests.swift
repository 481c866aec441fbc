import Foundation
import NeuralNet
import Numerics
import Ranking
import Testing
import TestSupport

@Suite("Expert, gate and CGC blocks")
struct BlockTests {
    @Test("expert mixture gradients w.r.t. gates and experts")
    func mixture() {
        let (batch, d) = (3, 4)
        let selection = [2..<4, 5..<6]  // two own experts and one shared, out of six
        let gates = randomMatrix(batch, 3, seed: 1)
        let experts = randomMatrix(batch, 6 * d, seed: 2)
        let c = randomMatrix(batch, d, seed: 3)
        var dg = Matrix(rows: 0, columns: 0)
        var de = Matrix(rows: batch, columns: 6 * d)
        ExpertMixture.backward(gates: gates, experts: experts, expertWidth: d, selection: selection, outputGradient: c,
                               gateGradient: &dg, expertGradient: &de)
        func loss(_ g: Matrix, _ e: Matrix) -> Double {
            var y = Matrix(rows: 0, columns: 0)
            ExpertMixture.forward(gates: g, experts: e, expertWidth: d, selection: selection, into: &y)
            return projection(y, c)
        }
        GradientCheck().check(label: "mixture/gates", at: gates, analytic: dg) { loss($0, experts) }.expectPassed()
        GradientCheck().check(label: "mixture/experts", at: experts, analytic: de) { loss(gates, $0) }.expectPassed()
        // Unselected experts get no gradient.
        #expect((0..<batch).allSatisfy { i in (0..<(2 * d)).allSatisfy { de[i, $0] == 0 } })
    }

    @Test("softmax gate: rows sum to one; gradients w.r.t. weights, input and experts")
    func gate() {
        var stream = RandomStream(seed: 4)
        let (batch, input, d) = (4, 5, 3)
        var gate = SoftmaxGate(inputSize: input, selection: [0..<2, 3..<5], expertWidth: d, stream: &stream)
        let x = randomMatrix(batch, input, seed: 5, in: -2...2)
        let experts = randomMatrix(batch, 5 * d, seed: 6)
        let c = randomMatrix(batch, d, seed: 7)
        var y = Matrix(rows: 0, columns: 0)
        gate.forward(input: x, experts: experts, into: &y)
        for i in 0..<batch {
            #expect(abs(gate.probabilities.row(i).reduce(0, +) - 1) < 1e-6)
            #expect(gate.probabilities.row(i).allSatisfy { $0 > 0 })
        }
        var de = Matrix(rows: batch, columns: 5 * d)
        gate.backward(input: x, experts: experts, outputGradient: c, expertGradient: &de)
        func loss(_ g: SoftmaxGate, _ x: Matrix, _ e: Matrix) -> Double {
            var copy = g
            var out = Matrix(rows: 0, columns: 0)
            copy.forward(input: x, experts: e, into: &out)
            return projection(out, c)
        }
        checkParameterGradients(gate, label: "gate") { loss($0, x, experts) }.expectPassed()
        GradientCheck().check(label: "gate/input", at: x, analytic: gate.inputGradient) { loss(gate, $0, experts) }.expectPassed()
        GradientCheck().check(label: "gate/experts", at: experts, analytic: de) { loss(gate, x, $0) }.expectPassed()
    }

    @Test("expert bank gradients, shared input and one input per group", arguments: [1, 3])
    func expertBank(_ inputCount: Int) {
        var stream = RandomStream(seed: 8)
        let groups = [0..<2, 2..<3, 3..<5]
        var bank = ExpertBank(expertCount: 5, layerSizes: [4, 6, 3], activation: .tanh, groups: groups, stream: &stream)
        let inputs = (0..<inputCount).map { randomMatrix(3, 4, seed: 9 + UInt64($0)) }
        let c = randomMatrix(3, 15, seed: 20)
        bank.forward(inputs)
        bank.backward(inputs, outputGradient: c)
        func loss(_ b: ExpertBank, _ xs: [Matrix]) -> Double {
            var copy = b
            copy.forward(xs)
            return projection(copy.output, c)
        }
        checkParameterGradients(bank, label: "bank(\(inputCount) inputs)") { loss($0, inputs) }.expectPassed()
        for k in 0..<inputCount {
            GradientCheck().check(label: "bank/input\(k)", at: inputs[k], analytic: bank.inputGradients[k]) { x in
                var xs = inputs
                xs[k] = x
                return loss(bank, xs)
            }.expectPassed()
        }
    }

    @Test("expert bank: per-group inputs equal to a shared input give the fused result")
    func fusedEqualsGrouped() {
        var stream = RandomStream(seed: 10)
        var bank = ExpertBank(expertCount: 4, layerSizes: [5, 7, 2], groups: [0..<1, 1..<4], stream: &stream)
        let x = randomMatrix(6, 5, seed: 11)
        bank.forward([x])
        let fused = bank.output
        bank.forward([x, x])
        assertClose(fused, bank.output, relative: 1e-5, absolute: 1e-6)
    }

    @Test("CGC level gradients incl. the shared gate", arguments: [(1, true), (4, true), (4, false)])
    func cgcLevel(_ inputCount: Int, _ hasShared: Bool) {
        var stream = RandomStream(seed: 12)
        let tasks = 3
        var level = CGCLevel(taskCount: tasks, taskExperts: 2, sharedExperts: 1, inputSize: 4, expertLayers: [5, 3],
                             hasSharedOutput: hasShared, stream: &stream)
        offsetBiases(&level, seed: 14)
        let inputs = (0..<inputCount).map { randomMatrix(4, 4, seed: 13 + UInt64($0)) }
        let cs = (0..<level.outputs.count).map { randomMatrix(4, 3, seed: 30 + UInt64($0)) }
        level.forward(inputs)
        #expect(level.outputs.count == tasks + (hasShared ? 1 : 0))
        for gate in level.taskGates { #expect(gate.selectedCount == 3) }
        #expect(level.sharedGate?.selectedCount == (hasShared ? 7 : nil))
        level.backward(inputs, outputGradients: cs)
        func loss(_ l: CGCLevel, _ xs: [Matrix]) -> Double {
            var copy = l
            copy.forward(xs)
            return zip(copy.outputs, cs).reduce(0) { $0 + projection($1.0, $1.1) }
        }
        let label = "CGC(\(inputCount) inputs, shared gate \(hasShared))"
        checkParameterGradients(level, label: label) { loss($0, inputs) }.expectPassed()
        for k in 0..<inputCount {
            GradientCheck().check(label: "\(label)/input\(k)", at: inputs[k], analytic: level.inputGradients[k]) { x in
                var xs = inputs
                xs[k] = x
                return loss(level, xs)
            }.expectPassed()
        }
    }
}
