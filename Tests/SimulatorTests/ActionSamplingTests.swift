import Numerics
import Simulator
import Testing
import TestSupport

/// `ActionSampling` draws exactly `act`'s actions: the same values bit for bit, and every stream left where `act`
/// leaves it (the next draw agrees too), including a mean on the box's face (one-sided truncation).
@Suite struct ActionSamplingTests {
    @Test func gaussianSamplesAreActsActions() {
        let space = Fixtures.tinyWorld.actionSpace
        let mean = (0..<space.dimension).map { $0 == 0 ? space.low[0] : space.baseline[$0] }
        let policy = GaussianPolicy(mean: mean, sigma: 0.3, actionSpace: space)
        let states = Matrix(rows: 50, columns: 4, repeating: 0)
        var acting = (0..<50).map { RandomStream(seed: 9, keys: UInt64($0)) }
        var sampling = acting
        var output = PolicyOutput(batch: 1, actionDimension: space.dimension)
        var actions = Matrix(rows: 0, columns: space.dimension)
        for _ in 0..<3 {
            acting.withUnsafeMutableBufferPointer { policy.act(states: states, streams: $0.baseAddress!, into: &output) }
            sampling.withUnsafeMutableBufferPointer { policy.sampleActions(states: states, streams: $0.baseAddress!, into: &actions) }
            #expect(actions.rows == 50 && actions.elements.map(\.bitPattern) == output.actions.elements.map(\.bitPattern))
        }
        #expect(zip(acting, sampling).allSatisfy { a, b in
            var (a, b) = (a, b)
            return a.nextUniform() == b.nextUniform()
        })
        #expect(Set(actions.elements.enumerated().filter { $0.offset % space.dimension == 0 }.map(\.element)).count > 40)
    }
}
