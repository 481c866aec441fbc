import Agents
import EpisodeLog
import Foundation
import Numerics
import Testing
import TestSupport

@Suite("Replay buffer")
struct ReplayBufferTests {
    /// Transition `i`: state `(i, −i)`, action `(i/100)`, reward `i`, next state `(i + 0.5, 0)`;
    /// terminal when `i % 3 == 1`; it took `i/4` hours.
    static func batch(_ range: Range<Int>) -> TransitionBatch {
        let n = range.count
        let states = Matrix(rows: n, columns: 2) { r, c in Float(range.lowerBound + r) * (c == 0 ? 1 : -1) }
        let next = Matrix(rows: n, columns: 2) { r, c in c == 0 ? Float(range.lowerBound + r) + 0.5 : 0 }
        let actions = Matrix(rows: n, columns: 1) { r, _ in Float(range.lowerBound + r) / 100 }
        return TransitionBatch(states: states, actions: actions, rewards: range.map(Float.init), nextStates: next,
                               terminals: range.map { $0 % 3 == 1 },
                               elapsedHours: range.map { Float($0) / 4 })
    }

    @Test("a full ring keeps the newest transitions, field by field")
    func ringBuffer() {
        var buffer = ReplayBuffer(capacity: 5, stateDimension: 2, actionDimension: 1)
        buffer.append(ReplayBufferTests.batch(0..<3))
        #expect(buffer.count == 3 && buffer.newestSlot == 2)
        buffer.append(ReplayBufferTests.batch(3..<8))
        #expect(buffer.count == 5 && buffer.totalAppended == 8)
        let held = (0..<5).map { buffer.transition(at: $0) }
        #expect(Set(held.map(\.reward)) == [3, 4, 5, 6, 7])
        for t in held {
            let i = Int(t.reward)
            #expect(t.state == [Float(i), -Float(i)] && t.action == [Float(i) / 100] && t.nextState == [Float(i) + 0.5, 0])
            #expect(t.terminal == (i % 3 == 1))
        }
        #expect(buffer.transition(at: buffer.newestSlot!).reward == 7)
    }

    @Test("sampled rows are whole transitions; notDone is 1 − terminal")
    func sampledRowsAreConsistent() {
        var buffer = ReplayBuffer(capacity: 50, stateDimension: 2, actionDimension: 1)
        buffer.append(ReplayBufferTests.batch(0..<30))
        var batch = ReplayBatch(size: 64, stateDimension: 2, actionDimension: 1)
        var stream = RandomStream(seed: 1)
        buffer.sample(into: &batch, stream: &stream)
        for r in 0..<64 {
            let t = buffer.transition(at: batch.indices[r])
            let i = Int(t.reward)
            #expect(batch.states[r, 0] == Float(i) && batch.states[r, 1] == -Float(i))
            #expect(batch.nextStates[r, 0] == Float(i) + 0.5 && batch.actions[r, 0] == Float(i) / 100)
            #expect(batch.rewards[r, 0] == Float(i))
            #expect(batch.notDone[r, 0] == (i % 3 == 1 ? 0 : 1), "transition \(i): terminal only when i % 3 == 1")
        }
    }

    @Test("bootstrap discounts: γ(1 − d) per decision; γ·2^(−Δt/H)(1 − d) by time, each row its own elapsed time")
    func bootstrapDiscounts() {
        var buffer = ReplayBuffer(capacity: 50, stateDimension: 2, actionDimension: 1)
        buffer.append(ReplayBufferTests.batch(0..<30))
        var batch = ReplayBatch(size: 64, stateDimension: 2, actionDimension: 1)
        var stream = RandomStream(seed: 3)
        buffer.sample(into: &batch, stream: &stream)
        batch.discount(with: Discounting(perDecision: 0.9))
        for r in 0..<64 {
            let i = Int(batch.rewards[r, 0])
            #expect(batch.elapsedHours[r, 0] == Float(i) / 4)
            #expect(batch.bootstrapDiscounts[r, 0] == (i % 3 == 1 ? 0 : 0.9))
        }
        batch.discount(with: Discounting(perDecision: 0.99, halfLifeHours: 2))
        for r in 0..<64 {
            let i = Int(batch.rewards[r, 0])
            let expected = i % 3 == 1 ? 0 : 0.99 * Foundation.pow(0.5, Double(i) / 4 / 2)
            #expect(abs(Double(batch.bootstrapDiscounts[r, 0]) - expected) < 1e-6, "transition \(i)")
        }
    }

    @Test("Discounting: one half-life halves the factor, no time keeps γ, per decision ignores time")
    func discountingKnownAnswers() {
        let byTime = Discounting(perDecision: 0.98, halfLifeHours: 6)
        #expect(byTime.factor(elapsedHours: 0) == 0.98)
        #expect(abs(byTime.factor(elapsedHours: 6) - 0.49) < 1e-6)
        #expect(abs(byTime.factor(elapsedHours: 18) - 0.98 / 8) < 1e-6)
        #expect(Discounting(perDecision: 0.95).factor(elapsedHours: 100) == 0.95)
        #expect(byTime.needsElapsedTime && !Discounting(perDecision: 0.95).needsElapsedTime)
    }

    @Test("sampling is uniform over the stored slots (χ² test), deterministic per stream, and reuses the batch storage")
    func uniformSampling() {
        var buffer = ReplayBuffer(capacity: 20, stateDimension: 2, actionDimension: 1)
        buffer.append(ReplayBufferTests.batch(0..<25))
        var batch = ReplayBatch(size: 100, stateDimension: 2, actionDimension: 1)
        var stream = RandomStream(seed: 2)
        var counts = [Int](repeating: 0, count: 20)
        let address = batch.states.withUnsafeBufferPointer { $0.baseAddress }
        for _ in 0..<200 {
            buffer.sample(into: &batch, stream: &stream)
            for k in batch.indices { counts[k] += 1 }
        }
        #expect(batch.states.withUnsafeBufferPointer { $0.baseAddress } == address, "sampling must not reallocate the batch")
        let statistic = chiSquareStatistic(observed: counts, probabilities: [Double](repeating: 0.05, count: 20))
        #expect(statistic < chiSquareCriticalValue(degreesOfFreedom: 19, alpha: 0.001))
        var a = ReplayBatch(size: 16, stateDimension: 2, actionDimension: 1), b = a
        var s1 = RandomStream(seed: 3), s2 = RandomStream(seed: 3)
        buffer.sample(into: &a, stream: &s1)
        buffer.sample(into: &b, stream: &s2)
        #expect(a.indices == b.indices && a.states == b.states)
    }

    @Test("raw actions are normalised into the box when a batch is built")
    func rawActions() {
        let space = ToyTask.actionSpace
        let raw = Matrix([[0, -2], [2, 2], [1, 0], [3, -5]])
        let batch = TransitionBatch(states: Matrix(rows: 4, columns: 3), rawActions: raw, actionSpace: space,
                                    rewards: [0, 0, 0, 0], nextStates: Matrix(rows: 4, columns: 3), terminals: [false, false, false, true])
        #expect(batch.actions == Matrix([[-1, -1], [1, 1], [0, 0], [1, -1]]))
    }
}
