import Agents
import NeuralNet
import Numerics
import Testing
import TestSupport

@Suite("TD targets and target networks")
struct TargetTests {
    /// A one-layer network with given weights (`inputs × outputs`, row-major) and bias.
    static func linear(_ weights: [[Float]], bias: [Float], activation: Activation) -> MLP {
        MLP(layers: [Dense(weight: Matrix(weights), bias: Matrix([bias]), name: "dense0")], activations: [activation])
    }

    // Target actor π'(s') = tanh(0.8·s'₀ − 0.5·s'₁ + 0.1); critics on [s'₀, s'₁, a].
    static let actor = ActorNetwork(network: linear([[0.8], [-0.5]], bias: [0.1], activation: .tanh),
                                    head: .deterministic, actionDimension: 1)
    static let critic1 = Critic(network: linear([[1], [0], [2]], bias: [0.5], activation: .identity), stateDimension: 2)
    static let critic2 = Critic(network: linear([[0], [1], [-1]], bias: [0], activation: .identity), stateDimension: 2)
    static let nextStates = Matrix([[2, -1], [0.5, 0.5], [-1, 2], [0, 0], [1, 1]])
    static let rewards = Matrix([[0.5], [1], [-0.3], [2], [0]])
    /// Row 1 is terminal; row 4 is truncated (still bootstraps, so its flag is 1).
    static let notDone = Matrix([[1], [0], [1], [1], [1]])
    /// Per-transition discounts γ_i, as when discounting by time (`Discounting`): every row its own.
    static let gammas: [Float] = [0.9, 0.85, 0.8, 0.95, 0.7]
    /// `γ_i (1 − d_i)`, the targets' bootstrap factors, with every γ_i scaled by `scale`.
    static func bootstrapDiscounts(scale: Float) -> Matrix {
        Matrix(rows: 5, columns: 1, elements: (0..<5).map { scale * gammas[$0] * notDone[$0, 0] })
    }

    /// Eq. 15 of Fujimoto et al. 2018 evaluated directly in `Double`.
    static func expectedTD3(noise: [Double]?, clip c: Double, gamma: Double, critics: [(Double, Double, Double, Double)]) -> [Double] {
        (0..<nextStates.rows).map { r in
            let s0 = Double(nextStates[r, 0]), s1 = Double(nextStates[r, 1])
            var a = Double(Elementary.tanh(Float(0.8 * s0 - 0.5 * s1 + 0.1)))
            if let noise { a = min(max(a + min(max(noise[r], -c), c), -1), 1) }
            let q = critics.map { $0.0 * s0 + $0.1 * s1 + $0.2 * a + $0.3 }.min()!
            return Double(rewards[r, 0]) + Double(Float(gamma) * gammas[r]) * Double(notDone[r, 0]) * q
        }
    }

    @Test("TD3: y = r + γ_i(1 − d) min_i Q'_i(s', clip(π'(s') + clip(ε, −c, c), −1, 1))")
    func td3Target() {
        var actor = TargetTests.actor
        var critics = [TargetTests.critic1, TargetTests.critic2]
        // ε beyond c (row 0: clipped to 0.5, and π' + 0.5 > 1 is clipped to 1), negative beyond −c (row 3).
        let noise: [Float] = [0.9, -0.2, 0.3, -2, 0.1]
        var nextActions = Matrix(rows: 0, columns: 0), targets = Matrix(rows: 0, columns: 0)
        ClippedDoubleQTarget.compute(rewards: TargetTests.rewards, bootstrapDiscounts: TargetTests.bootstrapDiscounts(scale: 1),
                                     nextStates: TargetTests.nextStates, targetActor: &actor, targetCritics: &critics,
                                     smoothingNoise: Matrix(rows: 5, columns: 1, elements: noise), noiseClip: 0.5,
                                     nextActions: &nextActions, into: &targets)
        let expected = TargetTests.expectedTD3(noise: noise.map(Double.init), clip: 0.5, gamma: 1,
                                               critics: [(1, 0, 2, 0.5), (0, 1, -1, 0)])
        assertClose(targets.elements.map(Double.init), expected, relative: 1e-6, absolute: 1e-6)
        #expect(nextActions[0, 0] == 1, "π'(s') + clip(0.9) exceeds 1 and must be clipped")
        #expect(targets[1, 0] == 1, "a terminal transition's target is its reward")
        // The minimum comes from different critics in different rows.
        let q1 = TargetTests.critic1.predict(states: TargetTests.nextStates, actions: nextActions)
        let q2 = TargetTests.critic2.predict(states: TargetTests.nextStates, actions: nextActions)
        #expect(zip(q1.elements, q2.elements).contains { $0 < $1 } && zip(q1.elements, q2.elements).contains { $0 > $1 })
    }

    @Test("DDPG: y = r + γ_i(1 − d) Q'(s', π'(s')) with one critic and no smoothing")
    func ddpgTarget() {
        var actor = TargetTests.actor
        var critics = [TargetTests.critic1]
        var nextActions = Matrix(rows: 0, columns: 0), targets = Matrix(rows: 0, columns: 0)
        ClippedDoubleQTarget.compute(rewards: TargetTests.rewards, bootstrapDiscounts: TargetTests.bootstrapDiscounts(scale: 1),
                                     nextStates: TargetTests.nextStates, targetActor: &actor, targetCritics: &critics,
                                     smoothingNoise: nil, noiseClip: 0.5,
                                     nextActions: &nextActions, into: &targets)
        let expected = TargetTests.expectedTD3(noise: nil, clip: 0.5, gamma: 1, critics: [(1, 0, 2, 0.5)])
        assertClose(targets.elements.map(Double.init), expected, relative: 1e-6, absolute: 1e-6)
    }

    @Test("SAC: y = r + γ_i(1 − d)(min_i Q'_i(s', a') − α log π(a'|s')) with a' = tanh(μ + σε)")
    func sacTarget() {
        var actor = Fixtures.gaussianActor(states: 2, actions: 1, seed: 40)
        var critics = [TargetTests.critic1, TargetTests.critic2]
        let noise = Fixtures.matrix(5, 1, seed: 41)
        let (alpha, gamma): (Float, Float) = (0.4, 0.9)
        var nextActions = Matrix(rows: 0, columns: 0), logProbabilities = Matrix(rows: 0, columns: 0)
        var targets = Matrix(rows: 0, columns: 0)
        SoftQTarget.compute(rewards: TargetTests.rewards, bootstrapDiscounts: TargetTests.bootstrapDiscounts(scale: gamma),
                            nextStates: TargetTests.nextStates, noise: noise, actor: &actor, targetCritics: &critics, temperature: alpha,
                            nextActions: &nextActions, nextLogProbabilities: &logProbabilities, into: &targets)
        let out = actor.network.predict(TargetTests.nextStates)
        var expected = [Double]()
        for r in 0..<5 {
            let (m, s, e) = (out[r, 0], min(max(out[r, 1], -20), 2), noise[r, 0])
            let a = Elementary.tanh(m + Elementary.exp(s) * e)
            let logPi = SquashedGaussian.logDensity(mean: [m], logStd: [s], noise: [e])
            let s0 = Double(TargetTests.nextStates[r, 0]), s1 = Double(TargetTests.nextStates[r, 1])
            let q = min(s0 + 2 * Double(a) + 0.5, s1 - Double(a))
            let discount = Double(gamma * TargetTests.gammas[r]) * Double(TargetTests.notDone[r, 0])
            expected.append(Double(TargetTests.rewards[r, 0]) + discount * (q - Double(alpha) * logPi))
        }
        assertClose(targets.elements.map(Double.init), expected, relative: 1e-5, absolute: 1e-5)
    }

    @Test("soft update θ' ← τθ + (1 − τ)θ'; τ = 1 copies up to rounding")
    func softUpdate() {
        let source = Fixtures.critic(states: 3, actions: 2, seed: 50)
        var target = Fixtures.critic(states: 3, actions: 2, seed: 51)
        let before = target.parameterVector()
        target.softUpdate(toward: source, tau: 0.005)
        let expected = zip(source.parameterVector(), before).map { 0.005 * Double($0) + 0.995 * Double($1) }
        assertClose(target.parameterVector().map(Double.init), expected, relative: 1e-6, absolute: 1e-7)
        // `θ' + 1·(θ − θ')` is θ only up to one rounding, not bit for bit.
        target.softUpdate(toward: source, tau: 1)
        assertClose(target.parameterVector(), source.parameterVector(), relative: 1e-6, absolute: 1e-7)
    }

    @Test("TD3 delays the actor and target updates: targets move only every second critic update")
    func delayedTargetUpdates() throws {
        var configuration = TD3Configuration()
        configuration.actorCritic.hiddenSizes = [8]
        configuration.actorCritic.batchSize = 16
        configuration.actorCritic.learningStarts = 32
        configuration.actorCritic.targetUpdateRate = 0.1
        var agent = try TD3Agent(environment: ToyTask.environment, configuration: configuration, seed: 3)
        var environment = ToyBatchEnvironment(lanes: 32, seed: 4)
        agent.observe(environment.step(rawActions: Matrix(rows: 32, columns: 2, repeating: 1)))
        let actorTarget0 = agent.targetActor.parameterVector()
        let criticTargets0 = agent.targetCritics.map { $0.parameterVector() }
        #expect(actorTarget0 == agent.actor.parameterVector())
        var stream = RandomStream(seed: 5)
        let first = agent.update(steps: 1, stream: &stream)
        #expect(first.steps == 1 && first.actorSteps == 0)
        #expect(agent.targetActor.parameterVector() == actorTarget0)
        #expect(agent.targetCritics.map { $0.parameterVector() } == criticTargets0)
        let second = agent.update(steps: 1, stream: &stream)
        #expect(second.actorSteps == 1)
        // After the second step the targets took exactly one Polyak step toward the updated networks.
        func polyak(_ target: [Float], _ source: [Float]) -> [Float] { zip(target, source).map { $0 + 0.1 * ($1 - $0) } }
        #expect(agent.targetActor.parameterVector() == polyak(actorTarget0, agent.actor.parameterVector()))
        for i in 0..<2 {
            #expect(agent.targetCritics[i].parameterVector() == polyak(criticTargets0[i], agent.critics[i].parameterVector()))
        }
    }
}
