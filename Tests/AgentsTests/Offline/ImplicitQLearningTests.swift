import Agents
import Foundation
import NeuralNet
import Numerics
import Simulator
import Testing
import TestSupport

/// A fixed dataset of the toy task (`ToyTask`) logged by a Gaussian behaviour policy around one fixed normalised
/// action, far from the state-dependent optimum: the behaviour mean's return is known exactly, and the logged actions
/// cover only a band around it.
enum IQLToyData {
    static let behaviourMean: [Float] = [-0.3, 0.4]
    static let behaviourSigma: Float = 0.3

    /// `steps` steps of `lanes` parallel episodes, actions `clip(m + σε, −1, 1)` in normalised units.
    static func dataset(lanes: Int = 64, steps: Int = 150, seed: UInt64 = 31) -> OfflineDataset {
        var environment = ToyBatchEnvironment(lanes: lanes, seed: seed)
        var stream = RandomStream(seed: seed, keys: streamKey("iql-behaviour"))
        var dataset = OfflineDataset(environment: ToyTask.environment, capacity: lanes * steps)
        let space = ToyTask.actionSpace
        for _ in 0..<steps {
            let raw = Matrix(rows: lanes, columns: 2) { _, j in
                let x = min(max(behaviourMean[j] + behaviourSigma * stream.normalFloat(), -1), 1)
                return space.denormalize(x, dimension: j)
            }
            dataset.append(environment.step(rawActions: raw))
        }
        return dataset
    }

    static func configuration() -> IQLConfiguration {
        var c = IQLConfiguration()
        c.actorCritic = toySettings()
        c.actorCritic.batchSize = 128
        return c
    }
}

@Suite("IQL: expectile value, advantage-weighted policy, learning")
struct ImplicitQLearningTests {
    let check = GradientCheck(step: 1e-3, relativeTolerance: 1e-2, absoluteTolerance: 5e-4)

    // MARK: Gradients

    @Test("expectile loss L₂^τ(y − p) with respect to the predictions", arguments: [Float(0.5), 0.7, 0.9])
    func expectileLossGradient(tau: Float) {
        let predictions = Fixtures.matrix(12, 1, seed: 41)
        let targets = Fixtures.matrix(12, 1, seed: 42)
        var gradient = Matrix(rows: 0, columns: 0)
        let value = ExpectileLoss.evaluate(predictions: predictions, targets: targets, expectile: tau, gradient: &gradient)
        func loss(_ p: Matrix) -> Double {
            var total = 0.0
            for k in 0..<p.rows { total += ExpectileLoss.value(Double(targets[k, 0]) - Double(p[k, 0]), expectile: Double(tau)) }
            return total / Double(p.rows)
        }
        assertClose(value, loss(predictions), relative: 1e-5)
        // Residuals of both signs, so both branches of |τ − 1(u < 0)| are checked.
        let residuals = zip(targets.elements, predictions.elements).map { $0 - $1 }
        #expect(residuals.contains { $0 < -0.1 } && residuals.contains { $0 > 0.1 })
        check.check(label: "expectile loss τ = \(tau)", at: predictions, analytic: gradient, loss: loss).expectPassed()
    }

    @Test("value network's expectile loss with respect to its parameters")
    func valueNetworkGradient() {
        var value = ValueNetwork(network: Fixtures.mlp([3, 6, 5, 1], output: .identity, seed: 43))
        let states = Fixtures.matrix(10, 3, seed: 44)
        let targets = Fixtures.matrix(10, 1, seed: 45)
        value.zeroGradients()
        let (loss, meanValue) = value.accumulateExpectileLoss(states: states, targets: targets, expectile: 0.7)
        func recomputed(_ v: ValueNetwork) -> Double {
            var scratch = Matrix(rows: 0, columns: 0)
            return ExpectileLoss.evaluate(predictions: v.predict(states: states), targets: targets, expectile: 0.7, gradient: &scratch)
        }
        assertClose(loss, recomputed(value), relative: 1e-5)
        assertClose(meanValue, value.predict(states: states).sum() / 10, relative: 1e-5)
        checkParameterGradients(value, label: "value expectile loss", check: check, loss: recomputed).expectPassed()
    }

    /// `−(1/B) Σ_b w_b log π(a_b|s_b)`, recomputed from the density.
    static func awrLoss(_ actor: IQLGaussianActor, states: Matrix, actions: Matrix, weights: Matrix) -> Double {
        let logProbabilities = actor.logProbabilities(states: states, actions: actions)
        var total = 0.0
        for r in 0..<states.rows { total -= Double(weights[r, 0]) * Double(logProbabilities[r, 0]) }
        return total / Double(states.rows)
    }

    @Test("AWR actor loss −mean w·log π(a|s) with respect to the mean network and log σ (one log σ clipped)",
          arguments: [[Float(0.2), -0.4], [-0.8, 0.3]])
    func advantageWeightedActorGradient(logStd: [Float]) {
        var actor = IQLGaussianActor(mean: Fixtures.deterministicActor(states: 3, actions: 2, seed: 46), logStd: logStd,
                                     minimumLogStd: -0.5, maximumLogStd: 2)
        let states = Fixtures.matrix(9, 3, seed: 47)
        let actions = Fixtures.uniform(9, 2, seed: 48)
        let advantages = Fixtures.matrix(9, 1, seed: 49, scale: 0.5)
        var weights = Matrix(rows: 0, columns: 0)
        AdvantageWeightedRegression.weights(advantages: advantages, inverseTemperature: 3, maximum: 100, into: &weights)
        var workspace = AdvantageWeightedRegression.Workspace()
        actor.zeroGradients()
        let value = AdvantageWeightedRegression.accumulate(actor: &actor, states: states, actions: actions, weights: weights,
                                                           workspace: &workspace)
        let loss = { (a: IQLGaussianActor) in ImplicitQLearningTests.awrLoss(a, states: states, actions: actions, weights: weights) }
        assertClose(value, loss(actor), relative: 1e-5)
        checkParameterGradients(actor, label: "AWR actor loss, log σ \(logStd)", check: check, loss: loss).expectPassed()
        if logStd[0] < -0.5 { #expect(actor.logStd.gradient[0, 0] == 0, "a clipped log σ must get no gradient") }
    }

    @Test("advantage weights: exp(β·A), clipped at the maximum")
    func weights() {
        let advantages = Matrix(rows: 4, columns: 1, elements: [-1, 0, 0.5, 10])
        var weights = Matrix(rows: 0, columns: 0)
        AdvantageWeightedRegression.weights(advantages: advantages, inverseTemperature: 3, maximum: 100, into: &weights)
        assertClose(weights.elements, [Float(Foundation.exp(-3.0)), 1, Float(Foundation.exp(1.5)), 100], relative: 1e-6)
    }

    // MARK: Known answers

    /// The minimiser of `(1/n) Σ L₂^τ(y_k − m)` over `m`, by bisection on the sign of the loss's own gradient (the
    /// loss is convex in `m`).
    static func expectile(of sample: [Float], tau: Float) -> Double {
        let targets = Matrix(rows: sample.count, columns: 1, elements: sample)
        var (lo, hi) = (Double(sample.min()!), Double(sample.max()!))
        var gradient = Matrix(rows: 0, columns: 0)
        for _ in 0..<60 {
            let m = 0.5 * (lo + hi)
            let predictions = Matrix(rows: sample.count, columns: 1, repeating: Float(m))
            _ = ExpectileLoss.evaluate(predictions: predictions, targets: targets, expectile: tau, gradient: &gradient)
            if gradient.sum() > 0 { hi = m } else { lo = m }
        }
        return 0.5 * (lo + hi)
    }

    static let sample: [Float] = [0.3, -1.2, 2.5, 0.9, 4.0, -0.4, 1.7, 0.1, 3.2, -2.1]

    @Test("the expectile: τ = 0.5 gives the mean, and it rises to the maximum as τ → 1")
    func expectileKnownAnswers() {
        let sample = ImplicitQLearningTests.sample
        let mean = sample.reduce(0.0) { $0 + Double($1) } / Double(sample.count)
        let maximum = Double(sample.max()!)
        assertClose(ImplicitQLearningTests.expectile(of: sample, tau: 0.5), mean, relative: 1e-5)
        let taus: [Float] = [0.5, 0.7, 0.9, 0.99, 0.999]
        let values = taus.map { ImplicitQLearningTests.expectile(of: sample, tau: $0) }
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 < $1 }, "expectiles \(values) must increase with τ")
        let range = maximum - Double(sample.min()!)
        #expect(values.last! < maximum && maximum - values.last! < 0.01 * range,
                "τ = 0.999 gives \(values.last!), max \(maximum): not within 1% of the sample's range \(range)")
        // First-order condition at τ = 0.7: τ Σ (y − m)⁺ = (1 − τ) Σ (m − y)⁺.
        let m = values[1]
        let above = sample.reduce(0.0) { $0 + max(Double($1) - m, 0) }
        let below = sample.reduce(0.0) { $0 + max(m - Double($1), 0) }
        assertClose(0.7 * above, 0.3 * below, relative: 1e-5)
    }

    @Test("a value network trained by expectile regression on one state converges to the sample's expectile")
    func valueNetworkLearnsExpectile() {
        let sample = ImplicitQLearningTests.sample
        let tau: Float = 0.7
        var stream = RandomStream(seed: 50)
        var value = ValueNetwork(stateDimension: 2, hiddenSizes: [8], stream: &stream)
        var optimizer = Adam(learningRate: 1e-2)
        let states = Matrix(rows: sample.count, columns: 2, repeating: 0.5)
        let targets = Matrix(rows: sample.count, columns: 1, elements: sample)
        for _ in 0..<3_000 {
            value.zeroGradients()
            _ = value.accumulateExpectileLoss(states: states, targets: targets, expectile: tau)
            optimizer.step(&value)
        }
        let learned = Double(value.predict(states: Matrix(rows: 1, columns: 2, repeating: 0.5))[0, 0])
        let expected = ImplicitQLearningTests.expectile(of: sample, tau: tau)
        let mean = sample.reduce(0.0) { $0 + Double($1) } / Double(sample.count)
        #expect(abs(learned - expected) < 0.02, "learned V = \(learned), 0.7-expectile \(expected)")
        #expect(learned > mean + 0.3, "the 0.7-expectile lies above the mean \(mean)")
    }

    @Test("the actor's cosine learning-rate decay: η at the start, η/2 half-way, 0 at the end")
    func cosineDecay() throws {
        var c = IQLToyData.configuration()
        c.actorCosineDecaySteps = 4
        c.actorCritic.hiddenSizes = [8]
        c.actorCritic.batchSize = 8
        var learner = try ImplicitQLearning(dataset: IQLToyData.dataset(lanes: 4, steps: 4), configuration: c, seed: 1)
        let rate = c.actorCritic.actorLearningRate
        #expect(learner.actorLearningRate == rate)
        var stream = RandomStream(seed: 2)
        _ = learner.update(steps: 2, stream: &stream)
        assertClose(Double(learner.actorLearningRate), Double(rate) / 2, relative: 1e-6)
        _ = learner.update(steps: 3, stream: &stream)
        #expect(learner.actorLearningRate == 0)
        #expect(learner.updateCount == 5)
    }

    // MARK: Configuration

    @Test("configuration: defaults as published, flat keys, unknown keys refused, ranges checked")
    func configuration() throws {
        let c = IQLConfiguration()
        #expect(c.expectile == 0.7 && c.inverseTemperature == 3 && c.maximumWeight == 100)
        #expect(c.minimumLogStd == -5 && c.maximumLogStd == 2 && c.actorCosineDecaySteps == 0)
        #expect(c.actorCritic.hiddenSizes == [256, 256] && c.actorCritic.batchSize == 256)
        #expect(c.actorCritic.actorLearningRate == 3e-4 && c.actorCritic.targetUpdateRate == 0.005)
        let decoded = try JSONDecoder().decode(IQLConfiguration.self, from: Data(#"{"expectile": 0.9, "batchSize": 32}"#.utf8))
        #expect(decoded.expectile == 0.9 && decoded.actorCritic.batchSize == 32 && decoded.inverseTemperature == 3)
        #expect(try JSONDecoder().decode(IQLConfiguration.self, from: JSONEncoder().encode(decoded)) == decoded)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(IQLConfiguration.self, from: Data(#"{"expectil": 0.9}"#.utf8))
        }
        var bad = IQLConfiguration()
        bad.expectile = 1
        #expect(throws: AgentConfigurationError.self) { try bad.validate() }
        bad = IQLConfiguration()
        bad.minimumLogStd = 3
        #expect(throws: AgentConfigurationError.self) { try bad.validate() }
    }

    // MARK: Learning and determinism

    @Test("on a fixed log of a poor behaviour policy, IQL's policy beats the behaviour mean and stays in its support")
    func learnsWithinSupport() throws {
        let dataset = IQLToyData.dataset()
        var learner = try ImplicitQLearning(dataset: dataset, configuration: IQLToyData.configuration(), seed: 3)
        var stream = RandomStream(seed: 4)
        var last = UpdateDiagnostics()
        for _ in 0..<20 { last = learner.update(steps: 100, stream: &stream) }
        #expect(last.steps == 100 && last.actorSteps == 100)
        for (name, field) in [("critic", last.criticLoss), ("value", last.valueLoss), ("actor", last.actorLoss),
                              ("mean Q", last.meanQ), ("mean advantage", last.meanAdvantage), ("target", last.meanTarget)] {
            #expect(field.map(\.isFinite) == true, "\(name) diagnostic: \(String(describing: field))")
        }
        // V is an upper expectile of Q̂ over the logged actions: the mean advantage Q̂ − V is negative.
        #expect(last.meanAdvantage! < 0)

        let policy = learner.evaluationPolicy()
        let behaviour = ToyTask.expectedReturn(fixed: IQLToyData.behaviourMean)
        let learned = evaluate(policy, episodes: 400)
        #expect(learned > behaviour + 1, "IQL return \(learned), behaviour mean \(behaviour), optimum \(ToyTask.optimalReturn)")
        // In the support: over a grid of states, every deterministic action lies within 3σ of the behaviour mean.
        var grid = Matrix(rows: 121, columns: 3)
        for r in 0..<121 {
            grid[r, 0] = Float(r / 11) / 5 - 1
            grid[r, 1] = Float(r % 11) / 5 - 1
            grid[r, 2] = 0.4
        }
        let actions = policy.normalizedActions(states: grid)
        var worst: Float = 0
        for r in 0..<actions.rows {
            for j in 0..<2 { worst = max(worst, abs(actions[r, j] - IQLToyData.behaviourMean[j])) }
        }
        #expect(worst < 3 * IQLToyData.behaviourSigma, "largest distance from the behaviour mean: \(worst)")
    }

    @Test("the same seed and streams give bit-identical networks; another seed does not")
    func determinism() throws {
        let dataset = IQLToyData.dataset(lanes: 16, steps: 20)
        var c = IQLToyData.configuration()
        c.actorCritic.hiddenSizes = [16]
        c.actorCritic.batchSize = 32
        func trained(seed: UInt64) throws -> ImplicitQLearning {
            var learner = try ImplicitQLearning(dataset: dataset, configuration: c, seed: seed)
            var stream = RandomStream(seed: 9)
            _ = learner.update(steps: 40, stream: &stream)
            return learner
        }
        let (a, b, other) = (try trained(seed: 5), try trained(seed: 5), try trained(seed: 6))
        #expect(a.updateCount == 40)
        #expect(a.actor.parameterVector() == b.actor.parameterVector())
        #expect(a.value.parameterVector() == b.value.parameterVector())
        #expect(a.critics.map { $0.parameterVector() } == b.critics.map { $0.parameterVector() })
        #expect(a.targetCritics.map { $0.parameterVector() } == b.targetCritics.map { $0.parameterVector() })
        #expect(a.actor.parameterVector() != other.actor.parameterVector())
        #expect(a.value.parameterVector() != other.value.parameterVector())
    }
}
