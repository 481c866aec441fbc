import Agents
import EpisodeLog
import Foundation
import NeuralNet
import Numerics
import Simulator
import Testing
import TestSupport

/// A chain MDP whose `Q^π` is known in closed form: one state feature `x_t = t/H`, H steps then a churn (terminal),
/// one action in the raw box [0, 2] (normalised `a = raw − 1`), reward `r(x, a) = 1 + x − (a − c)²` with c = 0.3.
/// For a target whose normalised action has `E(a − c)² = m` at every state,
///
///     Q^π(x_t, a) = 1 + x_t − (a − c)² + Σ_{u>t} (Π_{t≤v<u} γ_v) (1 + x_u − m).
enum Chain {
    static let horizon = 5
    static let centre: Float = 0.3
    static let actionSpace = ActionSpace(names: ["w"], low: [0], high: [2], baseline: [1])
    static let environment = AgentEnvironment(stateNames: ["t"], actionSpace: actionSpace)

    static func reward(t: Int, action a: Float) -> Float {
        1 + Float(t) / Float(horizon) - (a - centre) * (a - centre)
    }

    /// `episodes` episodes whose normalised actions come from `behaviour(stream)`; the transition leaving step t took
    /// `hours(t)` hours when given (a timed dataset).
    static func dataset(episodes: Int, seed: UInt64, behaviour: (inout RandomStream) -> Float,
                        hours: ((Int) -> Float)? = nil) -> OfflineDataset {
        let n = episodes * horizon
        var stream = RandomStream(seed: seed, keys: streamKey("chain"))
        var states = Matrix(rows: n, columns: 1), next = Matrix(rows: n, columns: 1), raw = Matrix(rows: n, columns: 1)
        var rewards = [Float](), terminals = [Bool](), elapsed = [Float]()
        for e in 0..<episodes {
            for t in 0..<horizon {
                let row = e * horizon + t
                let a = behaviour(&stream)
                states[row, 0] = Float(t) / Float(horizon)
                next[row, 0] = t + 1 < horizon ? Float(t + 1) / Float(horizon) : states[row, 0]
                raw[row, 0] = actionSpace.denormalize(a, dimension: 0)
                rewards.append(reward(t: t, action: a))
                terminals.append(t + 1 == horizon)
                if let hours { elapsed.append(hours(t)) }
            }
        }
        let batch = TransitionBatch(states: states, rawActions: raw, actionSpace: actionSpace, rewards: rewards,
                                    nextStates: next, terminals: terminals, elapsedHours: hours == nil ? nil : elapsed)
        return OfflineDataset(environment: environment, batch: batch)
    }

    /// `V^π(x_0)` for a target with `E(a − c)² = m`, each transition's discount `γ`.
    static func value(expectedSquaredDistance m: Double, discount gamma: Double) -> Double {
        value(expectedSquaredDistance: m, discounts: [Double](repeating: gamma, count: horizon))
    }

    /// `V^π(x_0) = Σ_t (Π_{v<t} γ_v)(1 + x_t − m)` with `γ_t` the discount of the transition leaving step t.
    static func value(expectedSquaredDistance m: Double, discounts: [Double]) -> Double {
        var total = 0.0, weight = 1.0
        for t in 0..<horizon {
            total += weight * (1 + Double(t) / Double(horizon) - m)
            weight *= discounts[t]
        }
        return total
    }

    /// `Q^π(x_t, a)` of the same target.
    static func q(t: Int, action a: Double, expectedSquaredDistance m: Double, discount gamma: Double) -> Double {
        var total = Double(reward(t: t, action: Float(a)))
        for u in (t + 1)..<max(horizon, t + 1) {
            total += pow(gamma, Double(u - t)) * (1 + Double(u) / Double(horizon) - m)
        }
        return total
    }

    /// A policy at normalised action `a` everywhere.
    static func fixed(_ a: Float) -> FixedPolicy {
        FixedPolicy(action: [actionSpace.denormalize(a, dimension: 0)], actionSpace: actionSpace)
    }

    static func uniformBehaviour(_ stream: inout RandomStream) -> Float { Float(2 * stream.nextUniform() - 1) }

    /// Small, fast settings for a deterministic target: a debug build fits a chain in about a second.
    static func settings(steps: Int = 3_000, discount: Float = 0.9) -> FittedQEvaluationConfiguration {
        var c = FittedQEvaluationConfiguration()
        c.hiddenSizes = [32, 32]
        c.learningRate = 1e-3
        c.batchSize = 64
        c.steps = steps
        c.targetUpdate = .soft(rate: 0.01)
        c.actionSamples = 8
        c.discount = discount
        c.curveInterval = 1_000
        return c
    }

    /// A stochastic target acts K times per state and step, the slow part of a debug build: K = 4, 2,000 steps.
    static func stochasticSettings(steps: Int = 2_000) -> FittedQEvaluationConfiguration {
        var c = settings(steps: steps)
        c.actionSamples = 4
        return c
    }
}

@Suite("Fitted Q Evaluation")
struct FittedQEvaluationTests {
    @Test("known answer: a deterministic target on the chain, V̂ within 3% of V^π and Q̂ near Q^π on the logged steps")
    func deterministicKnownAnswer() throws {
        let data = Chain.dataset(episodes: 200, seed: 1, behaviour: Chain.uniformBehaviour)
        #expect(data.episodeStarts == Array(stride(from: 0, to: 1_000, by: Chain.horizon)))
        var fqe = try FittedQEvaluation(dataset: data, policy: Chain.fixed(0.5), configuration: Chain.settings(), seed: 7)
        #expect(fqe.isDeterministicTarget)
        let curve = fqe.fit()
        #expect(curve.map(\.steps) == [1_000, 2_000, 3_000])
        let m = Double((0.5 - Chain.centre) * (0.5 - Chain.centre))
        let truth = Chain.value(expectedSquaredDistance: m, discount: 0.9)
        let estimate = fqe.estimate()
        #expect(estimate.episodeValues.count == 200 && estimate.steps == 3_000)
        #expect(abs(estimate.value - truth) < 0.03 * truth, "FQE \(estimate.value), truth \(truth)")
        // Q̂ on the logged (s, a): the root mean squared error against Q^π, relative to Q^π's spread.
        let q = fqe.loggedQValues()
        var squares = 0.0, spread = RunningStatistics()
        for slot in 0..<data.count {
            let t = data.transitions.transition(at: slot)
            let exact = Chain.q(t: Int((t.state[0] * Float(Chain.horizon)).rounded()), action: Double(t.action[0]),
                                expectedSquaredDistance: m, discount: 0.9)
            squares += (q[slot] - exact) * (q[slot] - exact)
            spread.add(exact)
        }
        let rmse = (squares / Double(data.count)).squareRoot()
        #expect(rmse < 0.1 * spread.standardDeviation, "Q̂ RMSE \(rmse), Q^π's standard deviation \(spread.standardDeviation)")
        // V̂ on logged states is Q̂ at π's action, and the estimate is its mean over the first steps (up to the last
        // bits, which BLAS's kernels make depend on how many rows share a product).
        let v = fqe.loggedStateValues()
        assertClose(data.episodeStarts.map { v[$0] }, estimate.episodeValues, relative: 1e-6)
        let direct = fqe.qValues(states: Matrix(rows: 1, columns: 1, elements: [0]), actions: Matrix(rows: 1, columns: 1, elements: [0.5]))
        #expect(direct[0] == fqe.stateValues(states: Matrix(rows: 1, columns: 1, elements: [0]))[0])
    }

    @Test("a stochastic target: the mean of Q̂ over sampled actions matches the analytic expectation")
    func stochasticTarget() throws {
        let data = Chain.dataset(episodes: 200, seed: 2, behaviour: Chain.uniformBehaviour)
        let uniform = UniformRandomPolicy(actionSpace: Chain.actionSpace)
        var fqe = try FittedQEvaluation(dataset: data, policy: uniform, configuration: Chain.stochasticSettings(), seed: 8)
        #expect(!fqe.isDeterministicTarget)
        fqe.fit()
        // a ∼ U[−1, 1]: E(a − c)² = 1/3 + c².
        let m = 1.0 / 3 + Double(Chain.centre * Chain.centre)
        let truth = Chain.value(expectedSquaredDistance: m, discount: 0.9)
        let estimate = fqe.estimate().value
        #expect(abs(estimate - truth) < 0.04 * truth, "FQE \(estimate), truth \(truth)")
        // V̂(s) averages Q̂(s, ·) over K = 4 draws per row, each row its own draws: over 500 rows of one state, the
        // mean is the integral of Q̂ over the box (midpoint rule) within 4 standard errors of the draws' mean.
        let grid = 400
        let actions = Matrix(rows: grid, columns: 1) { r, _ in -1 + (2 * Float(r) + 1) / Float(grid) }
        let onGrid = fqe.qValues(states: Matrix(rows: grid, columns: 1, repeating: 0.4), actions: actions)
        let integral = onGrid.reduce(0, +) / Double(grid)
        var spread = RunningStatistics()
        for q in onGrid { spread.add(q) }
        let sampled = fqe.stateValues(states: Matrix(rows: 500, columns: 1, repeating: 0.4))
        #expect(Set(sampled).count > 400, "rows draw their own actions")
        let mean = sampled.reduce(0, +) / 500
        let standardError = spread.standardDeviation / (500.0 * 4).squareRoot()
        #expect(abs(mean - integral) < 4 * standardError, "sampled \(mean), integral \(integral) ± \(standardError)")
    }

    @Test("π_e = π_b: FQE matches the Monte Carlo discounted return logged from the initial states")
    func onPolicyMatchesMonteCarlo() throws {
        let data = Chain.dataset(episodes: 400, seed: 3, behaviour: Chain.uniformBehaviour)
        let discounting = Discounting(perDecision: 0.9)
        let returns = data.loggedDiscountedReturns(discounting: discounting)
        #expect(returns.count == 400)
        var statistics = RunningStatistics()
        for r in returns { statistics.add(r) }
        let standardError = statistics.standardDeviation / Double(returns.count).squareRoot()
        let truth = Chain.value(expectedSquaredDistance: 1.0 / 3 + Double(Chain.centre * Chain.centre), discount: 0.9)
        #expect(abs(statistics.mean - truth) < 4 * standardError, "Monte Carlo \(statistics.mean) ± \(standardError), truth \(truth)")
        var fqe = try FittedQEvaluation(dataset: data, policy: UniformRandomPolicy(actionSpace: Chain.actionSpace),
                                        configuration: Chain.stochasticSettings(), seed: 9)
        fqe.fit()
        let estimate = fqe.estimate().value
        #expect(abs(estimate - statistics.mean) < 0.02 * statistics.mean + 3 * standardError,
                "FQE \(estimate), Monte Carlo \(statistics.mean) ± \(standardError)")
    }

    @Test("γ = 1 on finite episodes: the undiscounted return, within 3% of V^π; refused where an episode does not end")
    func undiscountedFiniteEpisodes() throws {
        let data = Chain.dataset(episodes: 200, seed: 14, behaviour: Chain.uniformBehaviour)
        var fqe = try FittedQEvaluation(dataset: data, policy: Chain.fixed(0.5), configuration: Chain.settings(discount: 1),
                                        seed: 7)
        fqe.fit()
        let m = Double((0.5 - Chain.centre) * (0.5 - Chain.centre))
        let truth = Chain.value(expectedSquaredDistance: m, discount: 1)
        #expect(abs(fqe.estimate().value - truth) < 0.03 * truth, "FQE \(fqe.estimate().value), V^π \(truth)")

        // Two steps of an episode cut before its churn: nothing ends it, and γ = 1 has no fixed point there.
        let states = Matrix(rows: 2, columns: 1) { r, _ in Float(r) / Float(Chain.horizon) }
        let next = Matrix(rows: 2, columns: 1) { r, _ in Float(r + 1) / Float(Chain.horizon) }
        let open = OfflineDataset(environment: Chain.environment,
                                  batch: TransitionBatch(states: states, actions: Matrix(rows: 2, columns: 1), rewards: [1, 1],
                                                         nextStates: next, terminals: [false, false]))
        let refusal = #expect(throws: AgentConfigurationError.self) {
            try FittedQEvaluation(dataset: open, policy: Chain.fixed(0.5), configuration: Chain.settings(discount: 1), seed: 7)
        }
        #expect(refusal?.field == "discount" && "\(refusal!)".contains("episode 0 (slots 0..<2)"), "\(String(describing: refusal))")
    }

    @Test("discounting by time: the bootstrap discounts come from the logged hours")
    func discountingByTime() throws {
        // The transition leaving step t takes 4 + 8t hours; with H = 24 h and γ = 1 its discount is 2^(−(4 + 8t)/24).
        let data = Chain.dataset(episodes: 200, seed: 4, behaviour: Chain.uniformBehaviour) { Float(4 + 8 * $0) }
        #expect(data.isTimed)
        var settings = Chain.settings()
        settings.discount = 1
        settings.discountHalfLifeHours = 24
        let discounts = (0..<Chain.horizon).map { pow(2, -Double(4 + 8 * $0) / 24) }
        let m = Double((0.5 - Chain.centre) * (0.5 - Chain.centre))
        let truth = Chain.value(expectedSquaredDistance: m, discounts: discounts)
        var fqe = try FittedQEvaluation(dataset: data, policy: Chain.fixed(0.5), configuration: settings, seed: 10)
        fqe.fit()
        let estimate = fqe.estimate().value
        #expect(abs(estimate - truth) < 0.03 * truth, "FQE by time \(estimate), truth \(truth)")
        // Each transition's own hours, not its successor's (a shift by one step gives another value), nor a per-request γ.
        let shifted = Chain.value(expectedSquaredDistance: m, discounts: Array(discounts.dropFirst()) + [0])
        let perRequest = Chain.value(expectedSquaredDistance: m, discount: 0.9)
        #expect(abs(shifted - truth) > 0.2 * truth && abs(perRequest - truth) > 0.2 * truth)
        // The Monte Carlo return by the same hours is the behaviour's (uniform actions) value by time.
        let returns = data.loggedDiscountedReturns(discounting: settings.discounting)
        var statistics = RunningStatistics()
        for r in returns { statistics.add(r) }
        let behaviour = Chain.value(expectedSquaredDistance: 1.0 / 3 + Double(Chain.centre * Chain.centre), discounts: discounts)
        #expect(returns.count == 200)
        #expect(abs(statistics.mean - behaviour) < 4 * statistics.standardDeviation / 200.0.squareRoot(),
                "Monte Carlo by time \(statistics.mean), truth \(behaviour)")

        let untimed = Chain.dataset(episodes: 10, seed: 5, behaviour: Chain.uniformBehaviour)
        #expect(throws: AgentConfigurationError.self) {
            try FittedQEvaluation(dataset: untimed, policy: Chain.fixed(0.5), configuration: settings, seed: 10)
        }
    }

    @Test("same seed, bit-identical estimate; another seed, another estimate")
    func determinism() throws {
        let data = Chain.dataset(episodes: 50, seed: 6, behaviour: Chain.uniformBehaviour)
        var settings = Chain.stochasticSettings(steps: 100)
        settings.conservativeAlpha = 0.1
        func run(_ seed: UInt64) throws -> (FittedQEvaluation.Estimate, [Double], [Double]) {
            var fqe = try FittedQEvaluation(dataset: data, policy: UniformRandomPolicy(actionSpace: Chain.actionSpace),
                                            configuration: settings, seed: seed)
            fqe.fit()
            return (fqe.estimate(), fqe.loggedQValues(), fqe.loggedStateValues())
        }
        let (a, b, c) = (try run(11), try run(11), try run(12))
        #expect(a.0 == b.0 && a.1 == b.1 && a.2 == b.2)
        #expect(a.0.value != c.0.value)
    }

    @Test("conservative FQE: ≤ FQE; close to it inside the logged actions, far below outside, where FQE overestimates")
    func conservativeIsLower() throws {
        // Logged actions in [−0.9, −0.5]: a target at −0.7 stays in the data, one at 0.8 leaves it.
        let data = Chain.dataset(episodes: 200, seed: 7) { Float(-0.7 + 0.2 * (2 * $0.nextUniform() - 1)) }
        func value(target: Float, alpha: Float) throws -> Double {
            var settings = Chain.settings(steps: 1_500)
            settings.curveInterval = 1_500
            settings.conservativeAlpha = alpha
            var fqe = try FittedQEvaluation(dataset: data, policy: Chain.fixed(target), configuration: settings, seed: 13)
            fqe.fit()
            return fqe.estimate().value
        }
        func truth(_ target: Float) -> Double {
            Chain.value(expectedSquaredDistance: Double((target - Chain.centre) * (target - Chain.centre)), discount: 0.9)
        }
        let inside = (plain: try value(target: -0.7, alpha: 0), conservative: try value(target: -0.7, alpha: 0.01))
        let outside = (plain: try value(target: 0.8, alpha: 0), conservative: try value(target: 0.8, alpha: 0.01))
        #expect(abs(inside.plain - truth(-0.7)) < 0.05 * truth(-0.7), "FQE inside the data \(inside.plain), truth \(truth(-0.7))")
        #expect(outside.plain > 1.2 * truth(0.8), "FQE extrapolates \(outside.plain), truth \(truth(0.8))")
        #expect(inside.conservative <= inside.plain && inside.plain - inside.conservative < 0.1 * inside.plain,
                "inside: conservative \(inside.conservative), FQE \(inside.plain)")
        // A point mass away from the data has no finite conservative fixed point (CQL's gap α(π_e/π̂_β − 1) is
        // infinite there): the estimate falls below the truth and keeps falling with the steps.
        #expect(outside.conservative < truth(0.8), "outside: conservative \(outside.conservative), truth \(truth(0.8))")
    }

    @Test("conservative loss: value and parameter gradient by finite differences")
    func conservativeLossGradient() {
        var critic = Fixtures.critic(states: 3, actions: 2, seed: 51)
        let states = Fixtures.matrix(6, 3, seed: 52), actions = Fixtures.uniform(6, 2, seed: 53)
        let targets = Fixtures.matrix(6, 1, seed: 54)
        let policyStates = Fixtures.matrix(12, 3, seed: 55), policyActions = Fixtures.uniform(12, 2, seed: 56)
        let alpha: Float = 0.7
        func loss(_ c: Critic) -> Double {
            let q = c.predict(states: states, actions: actions), p = c.predict(states: policyStates, actions: policyActions)
            let td = (0..<6).reduce(0.0) { $0 + pow(Double(q[$1, 0] - targets[$1, 0]), 2) } / 6
            let meanQ = q.elements.reduce(0.0) { $0 + Double($1) } / 6
            let meanPolicyQ = p.elements.reduce(0.0) { $0 + Double($1) } / 12
            return td + 2 * Double(alpha) * (meanPolicyQ - meanQ)
        }
        var workspace = ConservativePenalty.Workspace()
        critic.zeroGradients()
        let value = FittedQEvaluation.accumulateConservativeLoss(
            critic: &critic, states: states, actions: actions, targets: targets, policyStates: policyStates,
            policyActions: policyActions, alpha: alpha, workspace: &workspace)
        assertClose(value.loss, loss(critic), relative: 1e-5)
        checkParameterGradients(critic, label: "conservative FQE loss",
                                check: GradientCheck(step: 1e-3, relativeTolerance: 1e-2, absoluteTolerance: 5e-4),
                                loss: loss).expectPassed()
    }

    @Test("episode starts: inferred by continuity (after a churn, or where a state is not the last next state), or given")
    func episodeStarts() {
        let data = Chain.dataset(episodes: 3, seed: 8, behaviour: Chain.uniformBehaviour)
        #expect(data.episodeStarts == [0, 5, 10])
        let given = OfflineDataset(environment: Chain.environment, batch: TransitionBatch(
            states: Matrix(rows: 4, columns: 1, repeating: 0), actions: Matrix(rows: 4, columns: 1), rewards: [1, 1, 1, 1],
            nextStates: Matrix(rows: 4, columns: 1, repeating: 0), terminals: [false, false, false, false]), episodeStarts: [0, 3])
        #expect(given.episodeStarts == [0, 3])
        var grown = OfflineDataset(environment: Chain.environment, capacity: 30)
        let batch = Chain.dataset(episodes: 3, seed: 9, behaviour: Chain.uniformBehaviour)
        for slot in [0, 7] {
            let t = batch.transitions.transition(at: slot)
            grown.append(TransitionBatch(states: Matrix(rows: 1, columns: 1, elements: t.state),
                                         actions: Matrix(rows: 1, columns: 1, elements: t.action), rewards: [t.reward],
                                         nextStates: Matrix(rows: 1, columns: 1, elements: t.nextState), terminals: [t.terminal]))
        }
        // Slot 7 (t = 2) does not follow slot 0 (t = 0, next state t = 1): a new episode.
        #expect(grown.episodeStarts == [0, 1])
    }

    /// A fixed action that does not state its density.
    struct Opaque: FusionPolicy {
        let inner = Chain.fixed(0.5)
        var spec: String { "opaque" }
        var actionSpace: ActionSpace { inner.actionSpace }
        var explorationScale: Float { 0 }
        func act(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into output: inout PolicyOutput) {
            inner.act(states: states, streams: streams, into: &output)
        }
    }

    @Test("only a PolicyDensity is taken at its word as deterministic; any other policy is averaged over K draws")
    func deterministicOnlyByDensity() throws {
        let data = Chain.dataset(episodes: 20, seed: 11, behaviour: Chain.uniformBehaviour)
        let settings = Chain.settings(steps: 50)
        var opaque = try FittedQEvaluation(dataset: data, policy: Opaque(), configuration: settings, seed: 2)
        var stated = try FittedQEvaluation(dataset: data, policy: Chain.fixed(0.5), configuration: settings, seed: 2)
        #expect(!opaque.isDeterministicTarget && stated.isDeterministicTarget)
        opaque.fit()
        stated.fit()
        // The same action every draw: the same fit up to the last bits of products over K rows instead of one.
        assertClose(opaque.estimate().value, stated.estimate().value, relative: 1e-4)
    }

    @Test("refusals: an empty dataset, a policy of another action dimension, a bad setting")
    func refusals() throws {
        let data = Chain.dataset(episodes: 2, seed: 10, behaviour: Chain.uniformBehaviour)
        let wide = ActionSpace(names: ["w", "v"], low: [0, 0], high: [2, 2], baseline: [1, 1])
        #expect(throws: AgentConfigurationError.self) {
            try FittedQEvaluation(dataset: data, policy: FixedPolicy(action: [1, 1], actionSpace: wide), seed: 1)
        }
        #expect(throws: AgentConfigurationError.self) {
            try FittedQEvaluation(dataset: OfflineDataset(environment: Chain.environment, capacity: 1),
                                  policy: Chain.fixed(0), seed: 1)
        }
        var settings = Chain.settings()
        settings.targetUpdate = .hard(interval: 0)
        #expect(throws: AgentConfigurationError.self) {
            try FittedQEvaluation(dataset: data, policy: Chain.fixed(0), configuration: settings, seed: 1)
        }
        let decoded = try JSONDecoder().decode(FittedQEvaluationConfiguration.self, from: Data(#"{"conservativeAlpha": 0.001}"#.utf8))
        #expect(decoded.conservativeAlpha == 0.001 && decoded.hiddenSizes == [256, 256])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FittedQEvaluationConfiguration.self, from: Data(#"{"alpha": 1}"#.utf8))
        }
    }
}

@Suite("Fitted Q Evaluation on simulated sessions")
struct FittedQEvaluationSimulatedTests {
    @Test("a ramp on a raw state feature and the logging mixture: raw states in, one value per user, finite")
    func simulatedSessions() throws {
        let world = OfflineDatasetLoadTests.fixture.world
        let sessions = OfflineDatasetLoadTests.sessionsA
        let data = OfflineDataset(environment: AgentEnvironment(world: world),
                                  batch: TransitionBatch(sessions: sessions, actionSpace: world.actionSpace,
                                                         stateDimension: world.stateLayout.dimension))
        let users = Set(sessions.map(\.episode)).count
        #expect(data.episodeStarts.count == users)
        // The first weight ramps from +0.5 to −0.5 (normalised) over requests 1…4, the rest stay at the baseline.
        let space = world.actionSpace
        func weights(_ first: Float) -> String {
            ([space.denormalize(first, dimension: 0)] + space.baseline.dropFirst()).map { "\($0)" }.joined(separator: ",")
        }
        let ramp = try PolicySpec.parse("ramp:session.requestIndex=1..4@\(weights(0.5))@\(weights(-0.5))", world: world)
        var settings = Chain.settings(steps: 200)
        settings.curveInterval = 100
        for policy in [ramp, try PolicySpec.parse("mixture", world: world)] {
            var fqe = try FittedQEvaluation(dataset: data, policy: policy, configuration: settings, seed: 3)
            let curve = fqe.fit()
            #expect(curve.count == 2 && curve.allSatisfy { $0.value.isFinite && $0.diagnostics.temporalDifferenceLoss.isFinite })
            let estimate = fqe.estimate()
            #expect(estimate.episodeValues.count == users && estimate.value.isFinite)
            #expect(fqe.loggedQValues().count == data.count && fqe.loggedStateValues().count == data.count)
            guard fqe.isDeterministicTarget else { continue }
            // V̂(s) is Q̂ at the policy's action on the raw state: the ramp reads the raw request index.
            var states = Matrix(rows: 4, columns: world.stateLayout.dimension)
            let feature = try #require(world.stateLayout.names.firstIndex(of: "session.requestIndex"))
            for r in 0..<4 { states[r, feature] = Float(r + 1) }
            var output = PolicyOutput(batch: 4, actionDimension: world.actionSpace.dimension)
            var streams = [RandomStream](repeating: RandomStream(seed: 1), count: 4)
            streams.withUnsafeMutableBufferPointer { policy.act(states: states, streams: $0.baseAddress!, into: &output) }
            let actions = Matrix(rows: 4, columns: world.actionSpace.dimension) { r, i in
                min(max(world.actionSpace.normalize(output.actions[r, i], dimension: i), -1), 1)
            }
            #expect(output.actions[0, 0] != output.actions[3, 0], "the ramp moves across the raw feature")
            assertClose(fqe.stateValues(states: states), fqe.qValues(states: states, actions: actions), relative: 1e-6)
        }
    }
}
