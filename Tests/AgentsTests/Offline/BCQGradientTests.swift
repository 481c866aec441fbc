@testable import Agents
import NeuralNet
import Numerics
import Testing
import TestSupport

/// Finite-difference checks of BCQ's hand-written gradients, and known answers for its loss and target.
@Suite("BCQ: VAE loss, perturbation objective and target")
struct BCQGradientTests {
    let check = GradientCheck(step: 1e-3, relativeTolerance: 1e-2, absoluteTolerance: 5e-4)

    /// A VAE of smooth networks (tanh hidden layers), with an encoder scaled so μ and log σ are of order one.
    static func vae(states: Int, actions: Int, seed: UInt64) -> ConditionalVAE {
        let latent = 2 * actions
        return ConditionalVAE(encoder: Fixtures.mlp([states + actions, 6, 2 * latent], output: .identity, seed: seed),
                              decoder: Fixtures.mlp([states + latent, 5, actions], output: .tanh, seed: seed + 1),
                              stateDimension: states)
    }

    @Test("VAE loss: reconstruction MSE + w·KL, gradient in both networks (through the reparameterised latent)",
          arguments: [Float(0.5), 0, 2])
    func vaeLoss(klWeight: Float) {
        var vae = BCQGradientTests.vae(states: 3, actions: 2, seed: 21)
        let states = Fixtures.matrix(5, 3, seed: 22)
        let actions = Fixtures.uniform(5, 2, seed: 23, bound: 0.9)
        let noise = Fixtures.matrix(5, 4, seed: 24)
        vae.zeroGradients()
        let loss = vae.accumulateLoss(states: states, actions: actions, noise: noise, klWeight: klWeight)
        #expect(loss.kl > 0 && loss.reconstruction > 0)
        assertClose(loss.total, loss.reconstruction + Double(klWeight) * loss.kl, relative: 1e-12)
        checkParameterGradients(vae, label: "VAE loss, w = \(klWeight)", check: check) {
            $0.loss(states: states, actions: actions, noise: noise, klWeight: klWeight).total
        }.expectPassed()
    }

    /// An encoder whose outputs are its bias (zero weights) and a one-layer decoder.
    static func constantEncoderVAE(mu: [Float], logStd: [Float]) -> ConditionalVAE {
        let latent = mu.count
        let encoder = MLP(layers: [Dense(weight: Matrix(rows: 2 + 1, columns: 2 * latent),
                                         bias: Matrix(rows: 1, columns: 2 * latent, elements: mu + logStd))],
                          activations: [.identity])
        let decoder = Fixtures.mlp([2 + latent, 1], output: .tanh, seed: 5)
        return ConditionalVAE(encoder: encoder, decoder: decoder, stateDimension: 2)
    }

    @Test("KL known answer: ½(μ² + σ² − 1 − log σ²) per latent, log σ clamped to [−4, 15] with no gradient past the clamp")
    func klKnownAnswer() {
        var vae = BCQGradientTests.constantEncoderVAE(mu: [0.5, -1], logStd: [0.3, 20])
        let states = Fixtures.matrix(3, 2, seed: 1)
        let actions = Fixtures.uniform(3, 1, seed: 2, bound: 0.5)
        let noise = Fixtures.matrix(3, 2, seed: 3)
        func kl(_ mu: Double, _ logStd: Double) -> Double {
            let variance: Double = Elementary.exp(2 * logStd)
            return 0.5 * (mu * mu + variance - 1 - 2 * logStd)
        }
        let expected = (kl(0.5, 0.3) + kl(-1, 15)) / 2
        vae.zeroGradients()
        let loss = vae.accumulateLoss(states: states, actions: actions, noise: noise, klWeight: 0.5)
        assertClose(loss.kl, expected, relative: 1e-5)
        // The clamped log σ (bias column 3) has no gradient; the others do.
        let biasGradient = vae.encoder.layers[0].bias.gradient
        #expect(biasGradient[0, 3] == 0)
        #expect(biasGradient[0, 0] != 0 && biasGradient[0, 2] != 0)
    }

    @Test("perturbation objective −mean Q₁(s, clip(a + Φ tanh f(s, a))) through the critic, with and without the clip")
    func perturbationObjective() {
        let phi: Float = 0.3
        var xi = PerturbationNetwork(network: Fixtures.mlp([3 + 2, 6, 2], output: .tanh, seed: 31), stateDimension: 3, limit: phi)
        var critic = Fixtures.critic(states: 3, actions: 2, seed: 32)
        let states = Fixtures.matrix(6, 3, seed: 33)
        // Rows 0–3 inside the box (the clip inactive); rows 4–5 beyond a face by more than Φ (always clipped).
        var proposals = Fixtures.uniform(6, 2, seed: 34, bound: 0.5)
        proposals[4, 0] = 1.4
        proposals[5, 1] = -1.4
        let fixedCritic = critic
        func objective(_ model: PerturbationNetwork) -> Double {
            -fixedCritic.predict(states: states, actions: model.predict(states: states, actions: proposals)).sum() / 6
        }
        var workspace = DeterministicPolicyGradient.Workspace()
        xi.zeroGradients()
        let value = xi.accumulateObjective(critic: &critic, states: states, actions: proposals, workspace: &workspace)
        assertClose(value, objective(xi), relative: 1e-5)
        checkParameterGradients(xi, label: "perturbation objective", check: check, loss: objective).expectPassed()
        let perturbed = xi.predict(states: states, actions: proposals)
        for r in 0..<6 {
            for j in 0..<2 {
                #expect(abs(perturbed[r, j] - min(max(proposals[r, j], -1), 1)) <= phi + 1e-6)
                #expect(abs(perturbed[r, j]) <= 1)
            }
        }
    }

    @Test("soft clipped double-Q target: y = r + γ(1−d)·max_i[λ min + (1−λ) max], hand-made values")
    func targetMixture() {
        // Two transitions × three candidates.
        let q1 = Matrix(rows: 6, columns: 1, elements: [1, 4, 2, -1, 0, -3])
        let q2 = Matrix(rows: 6, columns: 1, elements: [3, 0, 2, -2, -4, 5])
        let rewards = Matrix(rows: 2, columns: 1, elements: [0.5, 1])
        let discounts = Matrix(rows: 2, columns: 1, elements: [0.9, 0])
        var targets = Matrix(rows: 0, columns: 0)
        BCQ.softClippedDoubleQTarget(q1: q1, q2: q2, mixing: 0.75, candidates: 3, rewards: rewards,
                                     bootstrapDiscounts: discounts, into: &targets)
        // Transition 0: mixtures 0.75·1 + 0.25·3 = 1.5, 0.75·0 + 0.25·4 = 1, 2 → max 2; y = 0.5 + 0.9·2 = 2.3.
        // Transition 1 is terminal: y = r = 1.
        #expect(abs(targets[0, 0] - 2.3) < 1e-6)
        #expect(targets[1, 0] == 1)
        // λ = 1 is TD3's clipped double Q (min), λ = 0 the max; candidate 2 of transition 1 moves between them.
        BCQ.softClippedDoubleQTarget(q1: q1, q2: q2, mixing: 1, candidates: 3, rewards: rewards,
                                     bootstrapDiscounts: Matrix(rows: 2, columns: 1, elements: [1, 1]), into: &targets)
        #expect(targets[0, 0] == 0.5 + 2 && targets[1, 0] == 1 + -2)
        BCQ.softClippedDoubleQTarget(q1: q1, q2: q2, mixing: 0, candidates: 3, rewards: rewards,
                                     bootstrapDiscounts: Matrix(rows: 2, columns: 1, elements: [1, 1]), into: &targets)
        #expect(targets[0, 0] == 0.5 + 4 && targets[1, 0] == 1 + 5)
    }
}
