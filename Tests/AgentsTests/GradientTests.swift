import Agents
import NeuralNet
import Numerics
import Testing
import TestSupport

/// Finite-difference checks (central differences in `Double`) of every hand-written loss gradient.
@Suite("Loss gradients match finite differences")
struct GradientTests {
    let check = GradientCheck(step: 1e-3, relativeTolerance: 1e-2, absoluteTolerance: 5e-4)

    @Test("critic TD loss (Q − y)² with respect to the critic's parameters")
    func criticLoss() {
        var critic = Fixtures.critic(states: 3, actions: 2, seed: 1)
        let states = Fixtures.matrix(6, 3, seed: 2)
        let actions = Fixtures.uniform(6, 2, seed: 3)
        let targets = Fixtures.matrix(6, 1, seed: 4)
        critic.zeroGradients()
        let (loss, _) = critic.accumulateTemporalDifferenceLoss(states: states, actions: actions, targets: targets)
        assertClose(loss, meanSquaredError(critic.predict(states: states, actions: actions), targets), relative: 1e-5)
        checkParameterGradients(critic, label: "critic TD loss", check: check) {
            meanSquaredError($0.predict(states: states, actions: actions), targets)
        }.expectPassed()
    }

    @Test("critic action gradient ∂Q/∂a")
    func criticActionGradient() {
        var critic = Fixtures.critic(states: 3, actions: 2, seed: 5)
        let states = Fixtures.matrix(4, 3, seed: 6)
        let actions = Fixtures.uniform(4, 2, seed: 7)
        let c = Fixtures.matrix(4, 1, seed: 8)
        _ = critic.forward(states: states, actions: actions)
        var gradient = Matrix(rows: 0, columns: 0)
        critic.backwardToActions(c, into: &gradient)
        check.check(label: "∂Q/∂a", at: actions, analytic: gradient) {
            projection(critic.predict(states: states, actions: $0), c)
        }.expectPassed()
    }

    @Test("DDPG/TD3 actor loss −mean Q(s, π(s)) through the critic, plus the action penalty λ·mean(a²)",
          arguments: [Float(0), 0.7])
    func deterministicActorLoss(penalty: Float) {
        var actor = Fixtures.deterministicActor(states: 3, actions: 2, seed: 9)
        var critic = Fixtures.critic(states: 3, actions: 2, seed: 10)
        let states = Fixtures.matrix(5, 3, seed: 11)
        let fixedCritic = critic
        func meanQ(_ actor: ActorNetwork) -> Double {
            fixedCritic.predict(states: states, actions: actor.network.predict(states)).sum() / Double(states.rows)
        }
        func loss(_ actor: ActorNetwork) -> Double {
            let actions = actor.network.predict(states)
            var squares = 0.0
            for r in 0..<actions.rows { for j in 0..<actions.columns { squares += Double(actions[r, j] * actions[r, j]) } }
            return -meanQ(actor) + Double(penalty) * squares / Double(actions.rows * actions.columns)
        }
        var workspace = DeterministicPolicyGradient.Workspace()
        actor.zeroGradients()
        let value = DeterministicPolicyGradient.accumulateActorLoss(actor: &actor, critic: &critic, states: states,
                                                                    actionPenalty: penalty, workspace: &workspace)
        assertClose(value, loss(actor), relative: 1e-5)
        // With a penalty the loss differs measurably from −mean Q, so its gradient check is not the unpenalised one.
        if penalty > 0 { #expect(abs(value + meanQ(actor)) > 1e-4) }
        checkParameterGradients(actor, label: "DPG actor loss, λ = \(penalty)", check: check, loss: loss).expectPassed()
    }

    /// The SAC actions ã = tanh(μ + σε), σ = exp(clamp(log σ)), for fixed noise ε.
    static func reparameterisedActions(_ actor: ActorNetwork, states: Matrix, noise: Matrix) -> Matrix {
        guard case .squashedGaussian(let lo, let hi) = actor.head else { return Matrix(rows: 0, columns: 0) }
        let out = actor.network.predict(states)
        let a = actor.actionDimension
        return Matrix(rows: states.rows, columns: a) { r, j in
            Elementary.tanh(out[r, j] + Elementary.exp(min(max(out[r, a + j], lo), hi)) * noise[r, j])
        }
    }

    /// `J = mean(α log π(ã|s) − min(Q1, Q2)(s, ã))` with fixed noise, recomputed from scratch.
    static func softPolicyLoss(_ actor: ActorNetwork, _ critics: [Critic], states: Matrix, noise: Matrix, alpha: Float) -> Double {
        guard case .squashedGaussian(let lo, let hi) = actor.head else { return .nan }
        let out = actor.network.predict(states)
        let a = actor.actionDimension
        var total = 0.0
        let actions = reparameterisedActions(actor, states: states, noise: noise)
        var logProbability = [Double](repeating: 0, count: states.rows)
        for r in 0..<states.rows {
            let mean = (0..<a).map { out[r, $0] }
            let logStd = (0..<a).map { min(max(out[r, a + $0], lo), hi) }
            logProbability[r] = SquashedGaussian.logDensity(mean: mean, logStd: logStd, noise: (0..<a).map { noise[r, $0] })
        }
        let q = critics.map { $0.predict(states: states, actions: actions) }
        for r in 0..<states.rows {
            total += Double(alpha) * logProbability[r] - Double(q.map { $0[r, 0] }.min()!)
        }
        return total / Double(states.rows)
    }

    @Test("SAC policy loss α log π − min Q, with reparameterisation and the tanh correction",
          arguments: [Float(0.3), 1.5])
    func softPolicyLoss(alpha: Float) {
        var actor = Fixtures.gaussianActor(states: 3, actions: 2, seed: 12)
        var critics = [Fixtures.critic(states: 3, actions: 2, seed: 13), Fixtures.critic(states: 3, actions: 2, seed: 14)]
        let states = Fixtures.matrix(8, 3, seed: 15)
        let noise = Fixtures.matrix(8, 2, seed: 16)
        let fixedCritics = critics
        // Both critics attain the minimum at the reparameterised actions ã = tanh(μ + σε) in some rows, so the
        // value reads both critics and both backward paths are checked.
        let actions = GradientTests.reparameterisedActions(actor, states: states, noise: noise)
        let q0 = critics[0].predict(states: states, actions: actions)
        let q1 = critics[1].predict(states: states, actions: actions)
        let firstIsMinimum = zip(q0.elements, q1.elements).filter { $0 < $1 }.count
        #expect(firstIsMinimum > 0 && firstIsMinimum < states.rows,
                "critic 0 is the minimum in \(firstIsMinimum) of \(states.rows) rows: one critic's path goes unchecked")
        var workspace = SoftPolicyLoss.Workspace()
        actor.zeroGradients()
        let (value, _) = SoftPolicyLoss.accumulate(actor: &actor, critics: &critics, states: states, noise: noise,
                                                   temperature: alpha, workspace: &workspace)
        let loss = { (a: ActorNetwork) in GradientTests.softPolicyLoss(a, fixedCritics, states: states, noise: noise, alpha: alpha) }
        assertClose(value, loss(actor), relative: 1e-4, "SAC policy loss value α log π − min(Q1, Q2) at α = \(alpha)")
        checkParameterGradients(actor, label: "SAC policy loss α=\(alpha)", check: check, loss: loss).expectPassed()
    }

    @Test("SAC policy loss: clamped log σ gets no gradient")
    func softPolicyLossClamp() {
        // Bounds that clamp some of the random log σ outputs (within ±1 of 0) but not all.
        var actor = Fixtures.gaussianActor(states: 3, actions: 2, seed: 18, bounds: (-0.2, 0.2))
        var critics = [Fixtures.critic(states: 3, actions: 2, seed: 19)]
        let states = Fixtures.matrix(8, 3, seed: 20)
        let noise = Fixtures.matrix(8, 2, seed: 21)
        let out = actor.network.predict(states)
        let logStds = (0..<8).flatMap { r in (2..<4).map { out[r, $0] } }
        #expect(logStds.contains { abs($0) > 0.25 } && logStds.contains { abs($0) < 0.15 })
        let fixedCritics = critics
        var workspace = SoftPolicyLoss.Workspace()
        actor.zeroGradients()
        _ = SoftPolicyLoss.accumulate(actor: &actor, critics: &critics, states: states, noise: noise,
                                      temperature: 0.7, workspace: &workspace)
        checkParameterGradients(actor, label: "SAC policy loss with clamped log σ", check: check) {
            GradientTests.softPolicyLoss($0, fixedCritics, states: states, noise: noise, alpha: 0.7)
        }.expectPassed()
    }

    @Test("temperature loss −α(mean log π + H̄) with respect to log α", arguments: [Float(0.05), 1, 3])
    func temperature(alpha: Float) {
        var temperature = Temperature(initialValue: alpha)
        let (meanLogProbability, target): (Double, Float) = (3, -2)
        temperature.zeroGradients()
        let value = temperature.accumulateLoss(meanLogProbability: meanLogProbability, targetEntropy: target)
        assertClose(value, -Double(alpha) * (meanLogProbability + Double(target)), relative: 1e-6)
        checkParameterGradients(temperature, label: "temperature", check: GradientCheck(step: 1e-3, relativeTolerance: 1e-4,
                                                                                        absoluteTolerance: 1e-7)) { t in
            -Double(t.value) * (meanLogProbability + Double(target))
        }.expectPassed()
        // Entropy −3 is below the target −2 (log π + H̄ > 0): the step must raise α, so the gradient on log α is negative.
        #expect(temperature.logAlpha.gradient[0, 0] < 0)
    }
}
