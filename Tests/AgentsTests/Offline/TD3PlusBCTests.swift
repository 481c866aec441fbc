import Agents
import Foundation
import NeuralNet
import Numerics
import Testing
import TestSupport

@Suite("TD3+BC")
struct TD3PlusBCTests {
    let check = GradientCheck(step: 1e-3, relativeTolerance: 1e-2, absoluteTolerance: 5e-4)

    @Test("actor loss −λ mean Q(s, π(s)) + mean (π(s) − a)², λ held fixed: value and gradient", arguments: [Float(2.5), 0.4])
    func actorLossGradient(alpha: Float) {
        var actor = Fixtures.deterministicActor(states: 3, actions: 2, seed: 41)
        var critic = Fixtures.critic(states: 3, actions: 2, seed: 42)
        let states = Fixtures.matrix(6, 3, seed: 43)
        let behaviour = Fixtures.uniform(6, 2, seed: 44)
        let fixedCritic = critic
        func parts(_ actor: ActorNetwork) -> (meanQ: Double, meanAbsoluteQ: Double, behaviourCloning: Double) {
            let actions = actor.network.predict(states)
            let q = fixedCritic.predict(states: states, actions: actions)
            let n = Double(states.rows)
            return (q.elements.reduce(0) { $0 + Double($1) } / n, q.elements.reduce(0) { $0 + Double(abs($1)) } / n,
                    meanSquaredError(actions, behaviour) / 2)
        }
        var workspace = TD3PlusBCActorLoss.Workspace()
        actor.zeroGradients()
        let value = TD3PlusBCActorLoss.accumulate(actor: &actor, critic: &critic, states: states, behaviourActions: behaviour,
                                                  alpha: alpha, workspace: &workspace)
        let expected = parts(actor)
        assertClose(value.lambda, Double(alpha) / expected.meanAbsoluteQ, relative: 1e-5, "λ = α / mean |Q|")
        assertClose(value.meanQ, expected.meanQ, relative: 1e-5)
        assertClose(value.behaviourCloning, expected.behaviourCloning, relative: 1e-5)
        assertClose(value.loss, -value.lambda * expected.meanQ + expected.behaviourCloning, relative: 1e-5)
        // Both terms matter at these points (λ weighs ∇_a Q by more than 0.1), so the check is not that of either alone.
        #expect(value.lambda > 0.1 && value.behaviourCloning > 0.05)
        let lambda = value.lambda
        checkParameterGradients(actor, label: "TD3+BC actor loss α=\(alpha)", check: check) {
            let p = parts($0)
            return -lambda * p.meanQ + p.behaviourCloning
        }.expectPassed()
    }

    @Test("with α = 0 the actor loss and its gradient are behaviour cloning's mean squared error")
    func zeroAlphaIsBehaviourCloning() {
        var actor = Fixtures.deterministicActor(states: 3, actions: 2, seed: 45)
        var critic = Fixtures.critic(states: 3, actions: 2, seed: 46)
        let states = Fixtures.matrix(5, 3, seed: 47)
        let behaviour = Fixtures.uniform(5, 2, seed: 48)
        var cloned = actor
        var workspace = TD3PlusBCActorLoss.Workspace()
        actor.zeroGradients()
        let value = TD3PlusBCActorLoss.accumulate(actor: &actor, critic: &critic, states: states, behaviourActions: behaviour,
                                                  alpha: 0, workspace: &workspace)
        var bcWorkspace = BehaviourCloningLoss.Workspace()
        cloned.zeroGradients()
        let bc = BehaviourCloningLoss.accumulateMeanSquaredError(actor: &cloned, states: states, actions: behaviour,
                                                                 workspace: &bcWorkspace)
        assertClose(value.loss, bc, relative: 1e-12)
        assertClose(actor.gradientVector().map(Double.init), cloned.gradientVector().map(Double.init),
                    relative: 1e-5, absolute: 1e-7)
    }

    static func trained(seed: UInt64, steps: Int, data: OfflineDataset, alpha: Float = 2.5) throws
        -> (TD3PlusBC, UpdateDiagnostics) {
        var configuration = TD3PlusBCConfiguration()
        configuration.actorCritic = NoisyToyExpert.settings()
        configuration.alpha = alpha
        var learner = try TD3PlusBC(dataset: data, configuration: configuration, seed: seed)
        var stream = RandomStream(seed: seed, keys: streamKey("updates"))
        let diagnostics = learner.update(steps: steps, stream: &stream)
        return (learner, diagnostics)
    }

    @Test("from a noisy expert's log: at least the behaviour's return, with actions near the data")
    func improvesOnTheBehaviour() throws {
        let data = NoisyToyExpert.dataset(sigma: 0.3, seed: 23)
        let behaviour = NoisyToyExpert.behaviourReturn(data)
        let trained = try TD3PlusBCTests.trained(seed: 4, steps: 2000, data: data)
        var learner = trained.0
        let diagnostics = trained.1
        let policy = learner.evaluationPolicy()
        let value = evaluate(policy)
        let distance = NoisyToyExpert.distanceToExpert(policy)
        print("TD3+BC: return \(value) (behaviour \(behaviour)), RMS distance to a* \(distance), "
              + "meanQ \(diagnostics.meanQ ?? .nan), BC term \(learner.behaviourCloningLoss ?? .nan)")
        #expect(diagnostics.steps == 2000 && diagnostics.actorSteps == 1000)
        #expect(diagnostics.criticLoss != nil && diagnostics.meanQ != nil && diagnostics.actorLoss != nil)
        // The behaviour's return is ≈ 5·(1 − 2·0.09) ≈ 4.1; the expert's mean action earns 5.
        #expect(behaviour > 3.9 && behaviour < 4.4)
        #expect(value >= behaviour)
        #expect(value > 0.9 * ToyTask.optimalReturn)
        // Near the data: the policy stays within the logged actions' spread (0.3) of their mean a*(s).
        #expect(distance < 0.15)
        // Once π ≈ a*, the behaviour-cloning term of further steps is about the logged noise's variance (0.09, a
        // little less after clipping).
        var stream = RandomStream(seed: 4, keys: streamKey("more updates"))
        _ = learner.update(steps: 20, stream: &stream)
        let bc = try #require(learner.behaviourCloningLoss)
        #expect(bc > 0.05 && bc < 0.12, "behaviour-cloning term \(bc)")
    }

    @Test("the same seed gives bit-identical networks; another seed does not")
    func determinism() throws {
        let data = NoisyToyExpert.dataset(sigma: 0.3, lanes: 8, steps: 20, seed: 24)
        let a = try TD3PlusBCTests.trained(seed: 5, steps: 40, data: data).0
        let b = try TD3PlusBCTests.trained(seed: 5, steps: 40, data: data).0
        let c = try TD3PlusBCTests.trained(seed: 6, steps: 40, data: data).0
        #expect(a.updateCount == 40)
        #expect(a.actor.parameterVector() == b.actor.parameterVector())
        #expect(a.critics.map { $0.parameterVector() } == b.critics.map { $0.parameterVector() })
        #expect(a.targetCritics.map { $0.parameterVector() } == b.targetCritics.map { $0.parameterVector() })
        #expect(a.actor.parameterVector() != c.actor.parameterVector())
    }

    @Test("configuration: TD3's defaults and α = 2.5, flat JSON, unknown keys and bad values refused")
    func configuration() throws {
        let defaults = TD3PlusBCConfiguration()
        #expect(defaults.alpha == 2.5 && defaults.policyNoise == 0.2 && defaults.noiseClip == 0.5 && defaults.policyDelay == 2)
        #expect(defaults.actorCritic.hiddenSizes == [256, 256] && defaults.actorCritic.actorLearningRate == 3e-4)
        #expect(defaults.actorCritic.targetUpdateRate == 0.005 && defaults.actorCritic.batchSize == 256)
        let c = try JSONDecoder().decode(TD3PlusBCConfiguration.self, from: Data(#"{"alpha": 1, "batchSize": 32}"#.utf8))
        #expect(c.alpha == 1 && c.actorCritic.batchSize == 32 && c.policyDelay == 2)
        let object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(c)) as? [String: Any]
        #expect(object?["alpha"] as? Double == 1 && object?["batchSize"] as? Int == 32)
        #expect(try JSONDecoder().decode(TD3PlusBCConfiguration.self, from: try JSONEncoder().encode(c)) == c)
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode(TD3PlusBCConfiguration.self, from: Data(#"{"likelihood": "gaussian"}"#.utf8))
        }
        var bad = TD3PlusBCConfiguration()
        bad.alpha = -1
        #expect(throws: AgentConfigurationError.self) { try bad.validate() }
        #expect(TD3PlusBC.name == "td3bc")
    }
}
