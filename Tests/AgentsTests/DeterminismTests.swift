import Agents
import NeuralNet
import Numerics
import Testing
import TestSupport

@Suite("Determinism")
struct DeterminismTests {
    /// SAC on the toy task: `seed` initialises the agent, `trainingSeed` (default `seed`) drives the episodes, the
    /// behaviour noise and the mini-batch draws.
    static func trainedSAC(seed: UInt64, trainingSeed: UInt64? = nil) throws -> SACAgent {
        var configuration = SACConfiguration()
        configuration.actorCritic = toySettings()
        configuration.actorCritic.hiddenSizes = [16]
        configuration.actorCritic.learningStarts = 64
        var agent = try SACAgent(environment: ToyTask.environment, configuration: configuration, seed: seed)
        train(&agent, lanes: 8, environmentSteps: 20, updatesPerStep: 2, seed: trainingSeed ?? seed)
        return agent
    }

    static func trainedTD3(seed: UInt64) throws -> TD3Agent {
        var configuration = TD3Configuration()
        configuration.actorCritic = toySettings()
        configuration.actorCritic.hiddenSizes = [16]
        configuration.actorCritic.learningStarts = 64
        var agent = try TD3Agent(environment: ToyTask.environment, configuration: configuration, seed: seed)
        train(&agent, lanes: 8, environmentSteps: 20, updatesPerStep: 2, seed: seed)
        return agent
    }

    @Test("the same seed gives bit-identical networks; another seed does not")
    func sameSeedSameNetworks() throws {
        let (a, b, c) = (try DeterminismTests.trainedSAC(seed: 7), try DeterminismTests.trainedSAC(seed: 7),
                         try DeterminismTests.trainedSAC(seed: 8))
        #expect(a.updateCount > 0)
        #expect(a.actor.parameterVector() == b.actor.parameterVector())
        #expect(a.critics.map { $0.parameterVector() } == b.critics.map { $0.parameterVector() })
        #expect(a.temperature.value == b.temperature.value)
        #expect(a.actor.parameterVector() != c.actor.parameterVector())
        // The same initialisation trained on other experience: the networks must differ through training alone.
        let fresh = try SACAgent(environment: ToyTask.environment, configuration: a.configuration, seed: 7)
        let retrained = try DeterminismTests.trainedSAC(seed: 7, trainingSeed: 8)
        let untrained = fresh.actor.parameterVector() == a.actor.parameterVector()
        #expect(!untrained, "training left the actor at its initialisation")
        #expect(retrained.updateCount == a.updateCount)
        let sameActor = retrained.actor.parameterVector() == a.actor.parameterVector()
        #expect(!sameActor, "the actor does not depend on the training data")
        let sameCritics = retrained.critics.map { $0.parameterVector() } == a.critics.map { $0.parameterVector() }
        #expect(!sameCritics, "the critics do not depend on the training data")
        let (d, e) = (try DeterminismTests.trainedTD3(seed: 7), try DeterminismTests.trainedTD3(seed: 7))
        #expect(d.actor.parameterVector() == e.actor.parameterVector())
        #expect(d.targetCritics.map { $0.parameterVector() } == e.targetCritics.map { $0.parameterVector() })
    }

    @Test("row-independent inference agrees with the batched forward pass up to rounding")
    func inferenceMatchesForward() {
        var stream = RandomStream(seed: 80)
        var actor = ActorNetwork(stateDimension: 5, actionDimension: 3, hiddenSizes: [33, 17],
                                 head: .squashedGaussian(minimumLogStd: -20, maximumLogStd: 2), stream: &stream)
        actor.setParameterVector(actor.parameterVector().map { _ in 0.3 * stream.normalFloat() })
        let states = Fixtures.matrix(23, 5, seed: 81)
        assertClose(actor.predictRowIndependent(states), actor.network.predict(states), relative: 1e-5, absolute: 1e-6)
    }
}
