import Agents
import Foundation
import NeuralNet
import Numerics
import Testing
import TestSupport

/// CQL(H): the regulariser's gradient, its importance-sampled log-sum-exp, the candidate layout, the Lagrange
/// multiplier, the configuration, determinism, and that the penalty makes out-of-data actions look worse than logged
/// ones where an unpenalised critic extrapolates them upwards.
@Suite("Conservative Q-learning")
struct ConservativeQLearningTests {
    let check = GradientCheck(step: 1e-3, relativeTolerance: 1e-2, absoluteTolerance: 5e-4)

    /// Hand-made candidates: `b` states of dimension 3, `k` candidate actions of dimension 2 each.
    static func candidates(batch b: Int, perState k: Int, seed: UInt64) -> (Matrix, ConservativePenalty.Workspace) {
        let states = Fixtures.matrix(b, 3, seed: seed)
        var w = ConservativePenalty.Workspace()
        w.candidateStates = Matrix(rows: b * k, columns: 3) { r, c in states[r / k, c] }
        w.candidateActions = Fixtures.uniform(b * k, 2, seed: seed + 1)
        w.candidateLogDensities = Fixtures.matrix(b * k, 1, seed: seed + 2)
        return (states, w)
    }

    /// `weight · mean_b T·log Σ_k exp((Q(s_b, ã_bk) − log μ_bk)/T)`, recomputed in `Double` from `predict`.
    static func referenceLogSumExp(_ critic: Critic, _ w: ConservativePenalty.Workspace, batch b: Int,
                                   temperature t: Double, weight: Double) -> Double {
        let q = critic.predict(states: w.candidateStates, actions: w.candidateActions)
        let k = q.rows / b
        var total = 0.0
        for r in 0..<b {
            var sum = 0.0
            for j in 0..<k { sum += exp((Double(q[r * k + j, 0]) - Double(w.candidateLogDensities[r * k + j, 0])) / t) }
            total += t * log(sum)
        }
        return weight * total / Double(b)
    }

    @Test("the log-sum-exp term's gradient with respect to the critic's parameters", arguments: [Float(1), 0.6])
    func logSumExpGradient(temperature: Float) {
        let (b, k) = (3, 5)
        var (_, w) = ConservativeQLearningTests.candidates(batch: b, perState: k, seed: 20)
        var critic = Fixtures.critic(states: 3, actions: 2, seed: 21)
        critic.zeroGradients()
        let mean = ConservativePenalty.accumulateLogSumExp(critic: &critic, batch: b, temperature: temperature, weight: 1.7,
                                                           workspace: &w)
        let fixed = w
        assertClose(1.7 * mean, ConservativeQLearningTests.referenceLogSumExp(critic, fixed, batch: b,
                                                                              temperature: Double(temperature), weight: 1.7),
                    relative: 1e-5)
        checkParameterGradients(critic, label: "CQL log-sum-exp, T = \(temperature)", check: check) {
            ConservativeQLearningTests.referenceLogSumExp($0, fixed, batch: b, temperature: Double(temperature), weight: 1.7)
        }.expectPassed()
    }

    @Test("the whole critic loss: TD + α·(log-sum-exp − Q on the data), with respect to the critic's parameters")
    func criticLossGradient() {
        let (b, k) = (4, 6)
        var (states, w) = ConservativeQLearningTests.candidates(batch: b, perState: k, seed: 30)
        let actions = Fixtures.uniform(b, 2, seed: 33)
        let targets = Fixtures.matrix(b, 1, seed: 34)
        var critic = Fixtures.critic(states: 3, actions: 2, seed: 35)
        let alpha: Float = 5
        critic.zeroGradients()
        let lse = ConservativePenalty.accumulateLogSumExp(critic: &critic, batch: b, temperature: 1, weight: alpha, workspace: &w)
        let data = ConservativePenalty.accumulateDataTerm(critic: &critic, states: states, actions: actions, targets: targets,
                                                          weight: alpha, workspace: &w)
        let fixed = w
        func loss(_ c: Critic) -> Double {
            let q = c.predict(states: states, actions: actions)
            let meanQ = q.sum() / Double(b)
            return meanSquaredError(q, targets)
                + ConservativeQLearningTests.referenceLogSumExp(c, fixed, batch: b, temperature: 1, weight: Double(alpha))
                - Double(alpha) * meanQ
        }
        assertClose(data.loss + Double(alpha) * (lse - data.meanQ), loss(critic), relative: 1e-5)
        checkParameterGradients(critic, label: "CQL critic loss", check: check, loss: loss).expectPassed()
    }

    @Test("known answer: the importance-sampled log-sum-exp of a linear critic Q(s, a) = s + 2a")
    func knownLogSumExp() {
        var critic = Critic(network: MLP(layers: [Dense(weight: Matrix([[1], [2]]), bias: Matrix([[0]]))],
                                         activations: [.identity]), stateDimension: 1)
        var w = ConservativePenalty.Workspace()
        w.candidateStates = Matrix([[1], [1], [1], [0], [0], [0]])
        w.candidateActions = Matrix([[0.5], [-0.5], [0.2], [0.5], [-0.5], [0.2]])
        let uniform = -Float(log(2.0))
        w.candidateLogDensities = Matrix([[uniform], [uniform], [0.3], [uniform], [uniform], [0.3]])
        // log(2e² + 2 + e^1.1) and, at T = 0.5, 0.5·log(4e⁴ + 4 + e^2.2); one less for s = 0.
        for (t, expected) in [(Float(1), [2.984786497611009, 1.9847864976110088]),
                              (Float(0.5), [2.7221119647732426, 1.7221119647732426])] {
            critic.zeroGradients()
            let mean = ConservativePenalty.accumulateLogSumExp(critic: &critic, batch: 2, temperature: t, weight: 1, workspace: &w)
            assertClose(Double(w.logSumExp[0, 0]), expected[0], relative: 1e-6)
            assertClose(Double(w.logSumExp[1, 0]), expected[1], relative: 1e-6)
            assertClose(mean, (expected[0] + expected[1]) / 2, relative: 1e-6)
        }
        // A constant critic Q ≡ 0 under 30 uniform candidates on [-1, 1]^7: log Σ 2^7 = 7 log 2 + log 30.
        var zero = Critic(network: MLP(layers: [Dense(weight: Matrix(rows: 8, columns: 1), bias: Matrix([[0]]))],
                                       activations: [.identity]), stateDimension: 1)
        var u = ConservativePenalty.Workspace()
        u.candidateStates = Matrix(rows: 30, columns: 1, repeating: 0.4)
        u.candidateActions = Fixtures.uniform(30, 7, seed: 3)
        u.candidateLogDensities = Matrix(rows: 30, columns: 1, repeating: -7 * Float(log(2.0)))
        let value = ConservativePenalty.accumulateLogSumExp(critic: &zero, batch: 1, temperature: 1, weight: 1, workspace: &u)
        assertClose(value, 8.253227645581772, relative: 1e-6)
    }

    @Test("candidates: K = 3N per state, uniform actions with density 2^−A, policy draws at s and at s′ with their log π")
    func candidateLayout() {
        let (b, n, a) = (3, 4, 2)
        var actor = Fixtures.gaussianActor(states: 3, actions: a, seed: 40)
        let states = Fixtures.matrix(b, 3, seed: 41)
        let nextStates = Fixtures.matrix(b, 3, seed: 42)
        var w = ConservativePenalty.Workspace()
        var stream = RandomStream(seed: 43)
        ConservativePenalty.sampleCandidates(states: states, nextStates: nextStates, actor: &actor, perGroup: n,
                                             stream: &stream, workspace: &w)
        let k = 3 * n
        #expect(w.candidateStates.rows == b * k && w.candidateActions.rows == b * k && w.candidateLogDensities.rows == b * k)
        let outputsAtS = actor.network.predict(states), outputsAtNext = actor.network.predict(nextStates)
        for r in 0..<b {
            for j in 0..<k {
                let row = r * k + j
                #expect(Array(w.candidateStates.row(row)) == Array(states.row(r)))
                let action = Array(w.candidateActions.row(row))
                #expect(action.allSatisfy { $0 >= -1 && $0 <= 1 })
                if j < n {
                    #expect(w.candidateLogDensities[row, 0] == -Float(a) * Float(log(2.0)))
                } else {
                    let out = j < 2 * n ? outputsAtS : outputsAtNext
                    let mean = (0..<a).map { out[r, $0] }, logStd = (0..<a).map { out[r, a + $0] }
                    let expected = SquashedGaussian.logDensity(action: action, mean: mean, logStd: logStd)
                    #expect(abs(Double(w.candidateLogDensities[row, 0]) - expected) < 1e-3 * max(1, abs(expected)))
                }
            }
        }
    }

    @Test("the Lagrange multiplier: ∂J/∂log α′ = −α′(G − τ); α′ grows while the gap exceeds τ and shrinks below it")
    func lagrangeMultiplier() {
        var m = LagrangeMultiplier(initialValue: 2)
        m.zeroGradients()
        let loss = m.accumulateLoss(weightedGap: 13, threshold: 10)
        assertClose(loss, -6, relative: 1e-6)
        assertClose(Double(m.logValue.gradient[0, 0]), -6, relative: 1e-6)
        var optimizer = Adam(learningRate: 0.1)
        optimizer.step(&m)
        #expect(m.value > 2)
        var low = LagrangeMultiplier()
        var lowOptimizer = Adam(learningRate: 0.1)
        for _ in 0..<5 {
            low.zeroGradients()
            low.accumulateLoss(weightedGap: 1, threshold: 10)
            lowOptimizer.step(&low)
        }
        #expect(low.value < 1 && low.value >= 0)
    }

    @Test("configuration: the authors' defaults, a JSON round trip, unknown keys and bad values refused")
    func configuration() throws {
        let c = CQLConfiguration()
        #expect(c.conservativeWeight == 5 && c.sampledActions == 10 && c.logSumExpTemperature == 1)
        #expect(!c.lagrange && c.lagrangeThreshold == 10 && !c.entropyBackup)
        #expect(c.actorCritic.actorLearningRate == 1e-4 && c.actorCritic.criticLearningRate == 3e-4)
        #expect(c.actorCritic.hiddenSizes == [256, 256] && c.actorCritic.batchSize == 256)
        var changed = c
        changed.lagrange = true
        changed.lagrangeThreshold = 4
        changed.targetEntropy = -3
        let decoded = try JSONDecoder().decode(CQLConfiguration.self, from: try JSONEncoder().encode(changed))
        #expect(decoded == changed)
        let partial = try JSONDecoder().decode(CQLConfiguration.self, from: Data(#"{"conservativeWeight": 2, "discount": 0.9}"#.utf8))
        #expect(partial.conservativeWeight == 2 && partial.actorCritic.discount == 0.9)
        #expect(partial.actorCritic.actorLearningRate == 1e-4)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CQLConfiguration.self, from: Data(#"{"conservativeWieght": 2}"#.utf8))
        }
        var bad = c
        bad.sampledActions = 0
        #expect(throws: AgentConfigurationError.self) { try bad.validate() }
        bad = c
        bad.conservativeWeight = -1
        #expect(throws: AgentConfigurationError.self) { try bad.validate() }
    }

    // MARK: - Learning

    /// One-step transitions on `ToyTask.environment` whose logged actions cover only `a₀ ∈ [−1, 0]` (a₁ anywhere), with
    /// reward `1 + a₀`: the data say nothing about `a₀ > 0`, where a critic that extrapolates the slope expects up to 2.
    static func halfBoxDataset(count: Int, seed: UInt64) -> OfflineDataset {
        var stream = RandomStream(seed: seed, keys: streamKey("cql-half-box"))
        let states = Matrix(rows: count, columns: 3) { _, c in c == 2 ? 0 : Float(2 * stream.nextUniform() - 1) }
        let actions = Matrix(rows: count, columns: 2) { _, c in
            c == 0 ? -Float(stream.nextUniform()) : Float(2 * stream.nextUniform() - 1)
        }
        let rewards = (0..<count).map { 1 + actions[$0, 0] }
        let batch = TransitionBatch(states: states, actions: actions, rewards: rewards, nextStates: states,
                                    terminals: [Bool](repeating: true, count: count))
        return OfflineDataset(environment: ToyTask.environment, batch: batch)
    }

    static func learningConfiguration(weight: Float, lagrange: Bool = false) -> CQLConfiguration {
        var c = CQLConfiguration()
        c.actorCritic = toySettings()
        c.actorCritic.hiddenSizes = [32, 32]
        c.actorCritic.batchSize = 32
        c.actorCritic.normalizeObservations = false
        c.conservativeWeight = weight
        c.sampledActions = 5
        c.lagrange = lagrange
        return c
    }

    /// Mean Q (first critic) over the dataset's states at the logged actions and at the out-of-data action (1, 0).
    static func values(_ learner: ConservativeQLearning) -> (data: Double, outside: Double) {
        let t = learner.dataset.transitions
        let rows = (0..<t.count).map { t.transition(at: $0) }
        let states = Matrix(rows.map(\.state))
        let logged = Matrix(rows.map(\.action))
        let outside = Matrix(rows: t.count, columns: 2) { _, c in c == 0 ? 1 : 0 }
        let critic = learner.critics[0]
        let n = Double(t.count)
        return (critic.predict(states: states, actions: logged).sum() / n, critic.predict(states: states, actions: outside).sum() / n)
    }

    static func trained(weight: Float, steps: Int, seed: UInt64 = 5, lagrange: Bool = false) throws -> ConservativeQLearning {
        var learner = try ConservativeQLearning(dataset: halfBoxDataset(count: 512, seed: 1),
                                                configuration: learningConfiguration(weight: weight, lagrange: lagrange),
                                                seed: seed)
        var stream = RandomStream(seed: seed, keys: streamKey("cql-updates"))
        _ = learner.update(steps: steps, stream: &stream)
        return learner
    }

    @Test("the penalty pushes Q on out-of-data actions below Q on the logged ones; offline SAC (α = 0) does not")
    func penaltyPushesOutOfDataDown() throws {
        let cql = try ConservativeQLearningTests.trained(weight: 5, steps: 600)
        let sac = try ConservativeQLearningTests.trained(weight: 0, steps: 600)
        let (c, s) = (ConservativeQLearningTests.values(cql), ConservativeQLearningTests.values(sac))
        #expect(c.outside < c.data - 0.2, "CQL: Q(s, (1, 0)) = \(c.outside), mean Q on the data \(c.data)")
        #expect(s.outside > s.data, "offline SAC: Q(s, (1, 0)) = \(s.outside), mean Q on the data \(s.data)")
        #expect((c.data - c.outside) > (s.data - s.outside) + 0.5)
        var stream = RandomStream(seed: 9, keys: streamKey("cql-diagnostics"))
        var more = cql
        let d = more.update(steps: 3, stream: &stream)
        #expect(d.steps == 3 && d.conservativeGap != nil && d.temperature != nil && d.meanQ != nil && d.criticLoss != nil)
        #expect(d.lagrangeMultiplier == nil)
    }

    @Test("same seed and stream ⇒ bit-identical networks (with the Lagrange form too); another stream differs")
    func determinism() throws {
        for lagrange in [false, true] {
            let a = try ConservativeQLearningTests.trained(weight: 5, steps: 6, seed: 7, lagrange: lagrange)
            let b = try ConservativeQLearningTests.trained(weight: 5, steps: 6, seed: 7, lagrange: lagrange)
            #expect(a.updateCount == 6)
            #expect(a.actor.parameterVector() == b.actor.parameterVector())
            #expect(a.critics.map { $0.parameterVector() } == b.critics.map { $0.parameterVector() })
            #expect(a.targetCritics.map { $0.parameterVector() } == b.targetCritics.map { $0.parameterVector() })
            #expect(a.temperature.value == b.temperature.value && a.lagrangeMultiplier.value == b.lagrangeMultiplier.value)
            #expect(lagrange == (a.lagrangeMultiplier.value != 1))
            let c = try ConservativeQLearningTests.trained(weight: 5, steps: 6, seed: 8, lagrange: lagrange)
            #expect(a.critics[0].parameterVector() != c.critics[0].parameterVector())
        }
    }
}
