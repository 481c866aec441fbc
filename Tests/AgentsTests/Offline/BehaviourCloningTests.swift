import Agents
import Foundation
import NeuralNet
import Numerics
import Testing
import TestSupport

@Suite("Behaviour cloning")
struct BehaviourCloningTests {
    let check = GradientCheck(step: 1e-3, relativeTolerance: 1e-2, absoluteTolerance: 5e-4)

    /// `−(1/B) Σ_b log π(a_b|s_b)` recomputed from scratch with `SquashedGaussian.logDensity(action:mean:logStd:)`, the
    /// actions clamped to `±(1 − margin)`.
    static func negativeLogLikelihood(_ actor: ActorNetwork, states: Matrix, actions: Matrix) -> Double {
        guard case .squashedGaussian(let lo, let hi) = actor.head else { return .nan }
        let out = actor.network.predict(states)
        let a = actor.actionDimension
        let bound = 1 - BehaviourCloningLoss.boundaryMargin
        var total = 0.0
        for r in 0..<states.rows {
            total -= SquashedGaussian.logDensity(action: (0..<a).map { min(max(actions[r, $0], -bound), bound) },
                                                 mean: (0..<a).map { out[r, $0] },
                                                 logStd: (0..<a).map { min(max(out[r, a + $0], lo), hi) })
        }
        return total / Double(states.rows)
    }

    /// Logged actions inside the box, with one row on the faces (clamped before `atanh`).
    static func loggedActions(_ rows: Int, seed: UInt64) -> Matrix {
        var actions = Fixtures.uniform(rows, 2, seed: seed, bound: 0.9)
        actions[0, 0] = 1
        actions[0, 1] = -1
        return actions
    }

    @Test("Gaussian likelihood: value is −mean log π with the tanh correction, gradient matches finite differences",
          arguments: [(Float(-20), Float(2)), (-0.2, 0.2)])
    func gaussianGradient(bounds: (Float, Float)) {
        var actor = Fixtures.gaussianActor(states: 3, actions: 2, seed: 31, bounds: bounds)
        let states = Fixtures.matrix(8, 3, seed: 32)
        let actions = BehaviourCloningTests.loggedActions(8, seed: 33)
        if bounds.0 > -1 {
            // Some log σ outputs are clamped and some are not, so both gradient branches are checked.
            let out = actor.network.predict(states)
            let logStds = (0..<8).flatMap { r in (2..<4).map { out[r, $0] } }
            #expect(logStds.contains { abs($0) > 0.25 } && logStds.contains { abs($0) < 0.15 })
        }
        var workspace = BehaviourCloningLoss.Workspace()
        actor.zeroGradients()
        let value = BehaviourCloningLoss.accumulateNegativeLogLikelihood(actor: &actor, states: states, actions: actions,
                                                                         workspace: &workspace)
        let loss = { (a: ActorNetwork) in BehaviourCloningTests.negativeLogLikelihood(a, states: states, actions: actions) }
        assertClose(value, loss(actor), relative: 1e-6, "Gaussian behaviour-cloning loss")
        #expect(value.isFinite)
        checkParameterGradients(actor, label: "Gaussian BC loss, log σ ∈ \(bounds)", check: check, loss: loss).expectPassed()
    }

    @Test("Gaussian likelihood: known answer for one action at μ = 0, log σ = 0")
    func gaussianKnownAnswer() {
        // A network whose outputs are exactly 0 (μ = 0, σ = 1): for a = 0.5, u = atanh(0.5),
        // −log π = u²/2 + log √(2π) + log(1 − 0.25).
        var stream = RandomStream(seed: 1)
        var actor = ActorNetwork(stateDimension: 2, actionDimension: 1, hiddenSizes: [3],
                                 head: .squashedGaussian(minimumLogStd: -5, maximumLogStd: 2), stream: &stream)
        actor.setParameterVector(actor.parameterVector().map { _ in 0 })
        var workspace = BehaviourCloningLoss.Workspace()
        let value = BehaviourCloningLoss.accumulateNegativeLogLikelihood(
            actor: &actor, states: Matrix(rows: 1, columns: 2), actions: Matrix(rows: 1, columns: 1, elements: [0.5]),
            workspace: &workspace)
        let u = 0.5 * Elementary.log(3.0)
        assertClose(value, 0.5 * u * u + 0.5 * Elementary.log(2 * Double.pi) + Elementary.log(0.75), relative: 1e-6)
    }

    @Test("deterministic likelihood: value is the mean squared error, gradient matches finite differences")
    func deterministicGradient() {
        var actor = Fixtures.deterministicActor(states: 3, actions: 2, seed: 34)
        let states = Fixtures.matrix(7, 3, seed: 35)
        let actions = BehaviourCloningTests.loggedActions(7, seed: 36)
        let loss = { (a: ActorNetwork) in meanSquaredError(a.network.predict(states), actions) / 2 }
        var workspace = BehaviourCloningLoss.Workspace()
        actor.zeroGradients()
        let value = BehaviourCloningLoss.accumulateMeanSquaredError(actor: &actor, states: states, actions: actions,
                                                                    workspace: &workspace)
        assertClose(value, loss(actor), relative: 1e-6, "mean over rows and the two action dimensions")
        checkParameterGradients(actor, label: "deterministic BC loss", check: check, loss: loss).expectPassed()
    }

    static func trained(_ likelihood: BehaviourLikelihood, seed: UInt64, steps: Int, data: OfflineDataset) throws
        -> (BehaviourCloning, UpdateDiagnostics) {
        var configuration = BehaviourCloningConfiguration()
        configuration.actorCritic = NoisyToyExpert.settings()
        configuration.likelihood = likelihood
        var learner = try BehaviourCloning(dataset: data, configuration: configuration, seed: seed)
        var stream = RandomStream(seed: seed, keys: streamKey("updates"))
        let diagnostics = learner.update(steps: steps, stream: &stream)
        return (learner, diagnostics)
    }

    @Test("recovers the noisy expert's action function, with either likelihood", arguments: BehaviourLikelihood.allCases)
    func learnsTheExpert(likelihood: BehaviourLikelihood) throws {
        let data = NoisyToyExpert.dataset(sigma: 0.2, seed: 21)
        let (learner, diagnostics) = try BehaviourCloningTests.trained(likelihood, seed: 3, steps: 1500, data: data)
        #expect(diagnostics.steps == 1500 && diagnostics.actorSteps == 1500 && diagnostics.criticLoss == nil)
        #expect(learner.updateCount == 1500)
        let policy = learner.evaluationPolicy()
        let distance = NoisyToyExpert.distanceToExpert(policy)
        let value = evaluate(policy)
        let behaviour = NoisyToyExpert.behaviourReturn(data)
        print("BC \(likelihood): RMS distance to a* \(distance), return \(value) (behaviour \(behaviour), loss \(diagnostics.actorLoss ?? .nan))")
        // The untrained actor plays the centre of the box, RMS distance ≈ 0.4 from a*; the noise is 0.2.
        #expect(distance < 0.1)
        // Copying the expert's mean beats the noisy behaviour and any fixed action (3.75).
        #expect(value > behaviour && value > 0.9 * ToyTask.optimalReturn)
        if likelihood == .gaussian {
            // The fitted pre-squash σ at the mean state matches the logged noise (0.2 in the box ≈ 0.2–0.22 before tanh).
            let sigma = policy.with(mode: .squashedGaussian).explorationScale
            #expect(sigma > 0.15 && sigma < 0.3, "fitted σ \(sigma)")
        }
    }

    @Test("the same seed gives bit-identical actors; another seed does not", arguments: BehaviourLikelihood.allCases)
    func determinism(likelihood: BehaviourLikelihood) throws {
        let data = NoisyToyExpert.dataset(sigma: 0.2, lanes: 8, steps: 20, seed: 22)
        let a = try BehaviourCloningTests.trained(likelihood, seed: 5, steps: 30, data: data).0
        let b = try BehaviourCloningTests.trained(likelihood, seed: 5, steps: 30, data: data).0
        let c = try BehaviourCloningTests.trained(likelihood, seed: 6, steps: 30, data: data).0
        #expect(a.actor.parameterVector() == b.actor.parameterVector())
        #expect(a.actor.parameterVector() != c.actor.parameterVector())
    }

    @Test("configuration: Gaussian by default, flat JSON, unknown keys and bad bounds refused")
    func configuration() throws {
        let defaults = BehaviourCloningConfiguration()
        #expect(defaults.likelihood == .gaussian && defaults.minimumLogStd == -5 && defaults.maximumLogStd == 2)
        #expect(defaults.actorCritic.hiddenSizes == [256, 256] && defaults.actorCritic.batchSize == 256)
        let json = #"{"likelihood": "deterministic", "hiddenSizes": [32], "maximumLogStd": 1}"#
        let c = try JSONDecoder().decode(BehaviourCloningConfiguration.self, from: Data(json.utf8))
        #expect(c.likelihood == .deterministic && c.actorCritic.hiddenSizes == [32] && c.maximumLogStd == 1)
        #expect(try JSONDecoder().decode(BehaviourCloningConfiguration.self, from: try JSONEncoder().encode(c)) == c)
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode(BehaviourCloningConfiguration.self, from: Data(#"{"alpha": 1}"#.utf8))
        }
        var bad = BehaviourCloningConfiguration()
        bad.minimumLogStd = 3
        #expect(throws: AgentConfigurationError.self) { try bad.validate() }
        let data = NoisyToyExpert.dataset(sigma: 0.2, lanes: 2, steps: 2, seed: 1)
        #expect(throws: AgentConfigurationError.self) { _ = try BehaviourCloning(dataset: data, configuration: bad, seed: 1) }
        #expect(BehaviourCloning.name == "bc")
    }
}
