import Agents
import Foundation
import NeuralNet
import Numerics
import Simulator
import Testing
import TestSupport

@Suite("Actor policies")
struct PolicyTests {
    /// Policies with weights of order one (not the near-zero initial output layer).
    static func policy(head: ActorHead, mode: ActorPolicy.Mode, seed: UInt64 = 60) -> ActorPolicy {
        var stream = RandomStream(seed: seed)
        var actor = ActorNetwork(stateDimension: 3, actionDimension: 2, hiddenSizes: [32, 32], head: head, stream: &stream)
        actor.setParameterVector(actor.parameterVector().map { _ in 0.3 * stream.normalFloat() })
        let normalizer = NormalizerStatistics(mean: [0.1, -0.2, 0.4], scale: [2, 0.5, 1.5], clip: 5)
        return ActorPolicy(agentName: "test", actor: actor, normalizer: normalizer, environment: ToyTask.environment, mode: mode)
    }

    static let modes: [(ActorHead, ActorPolicy.Mode)] = [
        (.deterministic, .deterministic),
        (.deterministic, .gaussian(sigma: 0.3)),
        (.squashedGaussian(minimumLogStd: -20, maximumLogStd: 2), .deterministic),
        (.squashedGaussian(minimumLogStd: -20, maximumLogStd: 2), .squashedGaussian),
    ]

    static func act(_ policy: ActorPolicy, states: Matrix, streamSeeds: Range<Int>) -> PolicyOutput {
        var streams = streamSeeds.map { RandomStream(seed: 70, keys: UInt64($0)) }
        var output = PolicyOutput(batch: states.rows, actionDimension: 2)
        streams.withUnsafeMutableBufferPointer { policy.act(states: states, streams: $0.baseAddress!, into: &output) }
        return output
    }

    @Test("acting on a batch gives bit-identical results to acting row by row or in other batches",
          arguments: 0..<4)
    func rowIndependence(modeIndex: Int) {
        let (head, mode) = PolicyTests.modes[modeIndex]
        let policy = PolicyTests.policy(head: head, mode: mode)
        let states = Fixtures.uniform(37, 3, seed: 61, bound: 2)
        let whole = PolicyTests.act(policy, states: states, streamSeeds: 0..<37)
        var pieces = [PolicyOutput]()
        for range in [0..<1, 1..<2, 2..<19, 19..<36, 36..<37] {
            pieces.append(PolicyTests.act(policy, states: states.rows(range), streamSeeds: range))
        }
        let actions = pieces.flatMap(\.actions.elements), means = pieces.flatMap(\.means.elements)
        #expect(whole.actions.elements == actions, "mode \(mode): actions depend on the batch")
        #expect(whole.means.elements == means, "mode \(mode): means depend on the batch")
        #expect(whole.logDensities == pieces.flatMap(\.logDensities))
        #expect(whole.groups == pieces.flatMap(\.groups))
        for r in 0..<37 {
            let single = PolicyTests.act(policy, states: states.rows(r..<(r + 1)), streamSeeds: r..<(r + 1))
            #expect(single.actions.elements == Array(whole.actions.row(r)), "row \(r) alone differs")
        }
    }

    /// log of N(μ, σ²) truncated to [−1, 1] at `x`, from the textbook formula with Φ(z) = erfc(−z/√2)/2 (Foundation's
    /// `erfc`, not the package's normal CDF): −z²/2 − log(σ√(2π)) − log(Φ((1 − μ)/σ) − Φ((−1 − μ)/σ)), z = (x − μ)/σ.
    static func referenceTruncatedNormalLogDensity(_ x: Double, mean: Double, sigma: Double) -> Double {
        guard x >= -1 && x <= 1 else { return -.infinity }
        func cdf(_ z: Double) -> Double { 0.5 * Foundation.erfc(-z / 2.0.squareRoot()) }
        let z = (x - mean) / sigma
        let mass = cdf((1 - mean) / sigma) - cdf((-1 - mean) / sigma)
        return -0.5 * z * z - Foundation.log(sigma * (2 * Double.pi).squareRoot()) - Foundation.log(mass)
    }

    @Test("deterministic mode records the actor mean, log-density 0, group deterministic, actions in the raw box")
    func deterministic() {
        let policy = PolicyTests.policy(head: .deterministic, mode: .deterministic)
        // Twenty states inside the normaliser's range and two far outside it, where the ±5 clip acts.
        let inside = Fixtures.uniform(20, 3, seed: 62, bound: 2)
        var rows = (0..<20).map { Array(inside.row($0)) }
        rows += [[40, -30, 0.5], [-40, 30, 9]]
        let states = Matrix(rows: rows.count, columns: 3, elements: rows.flatMap { $0 })
        let out = PolicyTests.act(policy, states: states, streamSeeds: 0..<rows.count)
        let normalized = policy.normalizedActions(states: states)
        // The expected mean from the network's own forward pass on states normalised here:
        // clamp((s − m) · scale, −5, 5) with m = (0.1, −0.2, 0.4), scale = (2, 0.5, 1.5).
        let (m, scale): ([Float], [Float]) = ([0.1, -0.2, 0.4], [2, 0.5, 1.5])
        let byHand = Matrix(rows: states.rows, columns: 3) { r, c in min(max((states[r, c] - m[c]) * scale[c], -5), 5) }
        #expect(byHand.elements.contains(5) && byHand.elements.contains(-5))
        let forward = policy.actor.network.predict(byHand)
        let (low, high): ([Float], [Float]) = ([0, -2], [2, 2])
        for r in 0..<states.rows {
            #expect(out.groups[r] == .deterministic && out.logDensities[r] == 0)
            #expect(out.actions.row(r) == out.means.row(r))
            #expect(ToyTask.actionSpace.contains(Array(out.actions.row(r))))
            for j in 0..<2 {
                assertClose(Double(out.actions[r, j]), Double(ToyTask.actionSpace.denormalize(normalized[r, j], dimension: j)), relative: 1e-6)
                let expected = Double(low[j]) + (Double(forward[r, j]) + 1) / 2 * Double(high[j] - low[j])
                assertClose(Double(out.actions[r, j]), expected, relative: 1e-5, absolute: 1e-6,
                            "row \(r) action \(j): not the actor's forward pass on the normalised state, mapped to the raw box")
            }
        }
        #expect(policy.explorationScale == 0)
    }

    @Test("Gaussian exploration records the truncated-Gaussian log-density in raw units")
    func gaussianDensity() {
        let sigma: Float = 0.3
        let policy = PolicyTests.policy(head: .deterministic, mode: .gaussian(sigma: sigma))
        let states = Fixtures.uniform(50, 3, seed: 63, bound: 2)
        let out = PolicyTests.act(policy, states: states, streamSeeds: 0..<50)
        let space = ToyTask.actionSpace
        // Raw box [0, 2] × [−2, 2]: normalised x ↦ raw with half-widths 1 and 2, so log|Jacobian| = log 2.
        let (low, high): ([Double], [Double]) = ([0, -2], [2, 2])
        let logJacobian = Foundation.log(2.0)
        #expect(policy.explorationScale == sigma)
        var truncated = 0
        for r in 0..<50 {
            #expect(out.groups[r] == .gaussian && space.contains(Array(out.actions.row(r))))
            var expected = -logJacobian, untruncated = -logJacobian
            for j in 0..<2 {
                let x = 2 * (Double(out.actions[r, j]) - low[j]) / (high[j] - low[j]) - 1
                let m = 2 * (Double(out.means[r, j]) - low[j]) / (high[j] - low[j]) - 1
                expected += Self.referenceTruncatedNormalLogDensity(x, mean: m, sigma: Double(sigma))
                let z = (x - m) / Double(sigma)
                untruncated += -0.5 * z * z - Foundation.log(Double(sigma) * (2 * Double.pi).squareRoot())
            }
            if expected - untruncated > 0.05 { truncated += 1 }
            assertClose(out.logDensities[r], expected, relative: 1e-4, absolute: 1e-4,
                        "row \(r): recorded log-density is not the truncated Gaussian's in raw units")
        }
        // Means near the edges of the box, where truncation changes the density: the check tells the two apart.
        #expect(truncated >= 5, "only \(truncated) rows with a mean near the box edge")
    }

    @Test("the truncated Gaussian density has the Gaussian's shape on the box and integrates to one over it")
    func truncatedGaussianNormalisation() {
        for (mean, sigma) in [(0.0, 0.3), (0.9, 0.2), (-0.7, 1.5), (1.3, 0.4)] {
            var total = 0.0
            let n = 20_000
            for k in 0..<n {
                let x = -1 + (Double(k) + 0.5) * 2 / Double(n)
                total += Elementary.exp(TruncatedGaussian.logDensity(x, mean: mean, sigma: sigma)) * 2 / Double(n)
            }
            assertClose(total, 1, relative: 1e-6, "μ = \(mean), σ = \(sigma): does not integrate to one on [−1, 1]")
            // Shape: log p(x) − log p(μ̃) = −((x − μ)² − (μ̃ − μ)²)/(2σ²) for any two points of the box (the
            // normalisation cancels), and the value itself is the reference formula.
            let anchor = min(max(mean, -1), 1)
            let anchorLog = TruncatedGaussian.logDensity(anchor, mean: mean, sigma: sigma)
            for x in stride(from: -1.0, through: 1.0, by: 0.125) {
                let value = TruncatedGaussian.logDensity(x, mean: mean, sigma: sigma)
                let shape = -((x - mean) * (x - mean) - (anchor - mean) * (anchor - mean)) / (2 * sigma * sigma)
                assertClose(value - anchorLog, shape, relative: 1e-9, absolute: 1e-9, "μ = \(mean), σ = \(sigma), x = \(x): shape")
                assertClose(value, Self.referenceTruncatedNormalLogDensity(x, mean: mean, sigma: sigma), relative: 1e-9,
                            absolute: 1e-9, "μ = \(mean), σ = \(sigma), x = \(x): value")
            }
            #expect(TruncatedGaussian.logDensity(1.001, mean: mean, sigma: sigma) == -.infinity)
            #expect(TruncatedGaussian.logDensity(-1.001, mean: mean, sigma: sigma) == -.infinity)
        }
    }

    @Test("SAC sampling records log π with the tanh correction minus the raw-unit Jacobian")
    func squashedDensity() {
        let policy = PolicyTests.policy(head: .squashedGaussian(minimumLogStd: -20, maximumLogStd: 2), mode: .squashedGaussian)
        let states = Fixtures.uniform(50, 3, seed: 64, bound: 2)
        let out = PolicyTests.act(policy, states: states, streamSeeds: 0..<50)
        let raw = policy.actor.network.predict(policy.normalizer.applied(to: states))
        let space = ToyTask.actionSpace
        #expect(policy.explorationScale > 0)
        var checked = 0
        for r in 0..<50 {
            #expect(out.groups[r] == .gaussian && space.contains(Array(out.actions.row(r))))
            let a = (0..<2).map { space.normalize(out.actions[r, $0], dimension: $0) }
            guard a.allSatisfy({ abs($0) < 0.99 }) else { continue }  // atanh of a rounded action is ill-conditioned near ±1
            let expected = SquashedGaussian.logDensity(action: a, mean: [raw[r, 0], raw[r, 1]],
                                                       logStd: [raw[r, 2], raw[r, 3]]) - space.logJacobian
            assertClose(out.logDensities[r], expected, relative: 1e-3, absolute: 2e-3, "row \(r)")
            for j in 0..<2 { assertClose(Double(space.normalize(out.means[r, j], dimension: j)), Double(Elementary.tanh(raw[r, j])), relative: 1e-5, absolute: 1e-6) }
            checked += 1
        }
        #expect(checked > 25)
    }

    @Test("a saved policy loads with the same actions, metadata and spec")
    func checkpointRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agents-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (head, mode) in [PolicyTests.modes[1], PolicyTests.modes[3]] {
            let policy = PolicyTests.policy(head: head, mode: mode)
            let url = directory.appendingPathComponent("\(head.name).ckpt")
            try policy.save(to: url)
            let loaded = try ActorPolicy.load(contentsOf: url, expecting: ToyTask.environment, mode: mode)
            #expect(loaded.spec == url.relativePath && loaded.agentName == "test")
            #expect(loaded.normalizer == policy.normalizer && loaded.environment == policy.environment)
            #expect(loaded.actor.head == head && loaded.actor.parameterVector() == policy.actor.parameterVector())
            let states = Fixtures.uniform(9, 3, seed: 65)
            let a = PolicyTests.act(policy, states: states, streamSeeds: 0..<9)
            let b = PolicyTests.act(loaded, states: states, streamSeeds: 0..<9)
            #expect(a.actions == b.actions && a.logDensities == b.logDensities)
            let header = try Checkpoint(contentsOf: url).header
            #expect(header.kind == "mtfsim-policy" && header.metadata["agent"] == "test")
            #expect(header.metadata["stateNames"] == "[\"x0\",\"x1\",\"time\"]")
        }
    }

    @Test("loading refuses another environment, naming the file and the mismatch")
    func checkpointMismatch() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agents-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("td3.ckpt")
        try PolicyTests.policy(head: .deterministic, mode: .deterministic).save(to: url)

        let renamed = AgentEnvironment(stateNames: ["x0", "x2", "time"], actionSpace: ToyTask.actionSpace)
        let stateError = #expect(throws: PolicyCheckpointError.self) {
            try ActorPolicy.load(contentsOf: url, expecting: renamed)
        }
        #expect(stateError?.description.contains(url.path) == true)
        #expect(stateError?.description.contains("state feature 1 is \"x1\" in the file, \"x2\" in the environment") == true)

        let longer = AgentEnvironment(stateNames: ["x0", "x1", "time", "extra"], actionSpace: ToyTask.actionSpace)
        let countError = #expect(throws: PolicyCheckpointError.self) { try ActorPolicy.load(contentsOf: url, expecting: longer) }
        #expect(countError?.description.contains("first missing: \"extra\"") == true)

        let space = ActionSpace(names: ["w.a", "w.b"], low: [0, -1], high: [2, 2], baseline: [1, 0])
        let bounds = AgentEnvironment(stateNames: ["x0", "x1", "time"], actionSpace: space)
        let boundsError = #expect(throws: PolicyCheckpointError.self) { try ActorPolicy.load(contentsOf: url, expecting: bounds) }
        #expect(boundsError?.kind == .actionMismatch("w.b has bounds [-2.0, 2.0] in the file, outside [-1.0, 2.0] in the environment"))
        // A policy that acts in a smaller box than the environment's (a residual box) loads.
        let wider = ActionSpace(names: ["w.a", "w.b"], low: [0, -3], high: [2, 2], baseline: [1, 0])
        let residual = try ActorPolicy.load(contentsOf: url, expecting: AgentEnvironment(stateNames: ["x0", "x1", "time"], actionSpace: wider))
        #expect(residual.actionSpace.low == [0, -2])

        let otherNames = ActionSpace(names: ["w.a", "w.c"], low: [0, -2], high: [2, 2], baseline: [1, 0])
        let nameError = #expect(throws: PolicyCheckpointError.self) {
            try ActorPolicy.load(contentsOf: url, expecting: AgentEnvironment(stateNames: ["x0", "x1", "time"], actionSpace: otherNames))
        }
        #expect(nameError?.description.contains("action 1 is \"w.b\" in the file, \"w.c\" in the environment") == true)

        // A plain MLP checkpoint is not a policy.
        let mlpURL = directory.appendingPathComponent("mlp.ckpt")
        try Fixtures.mlp([3, 4, 2], output: .tanh, seed: 1).save(to: mlpURL)
        let kindError = #expect(throws: PolicyCheckpointError.self) { try ActorPolicy.load(contentsOf: mlpURL) }
        #expect(kindError?.kind == .wrongKind(found: "mlp"))
    }
}

@Suite("Policies in a simulated world")
struct WorldPolicyTests {
    @Test("an agent's policy checkpoint loads for its world and acts inside the world's action box")
    func tinyWorld() throws {
        let config = try EnvironmentLoader.resolve("tiny").config
        let world = try World(config: config, seed: 3)
        let environment = AgentEnvironment(world: world)
        var configuration = TD3Configuration()
        configuration.actorCritic.hiddenSizes = [16]
        let agent = try TD3Agent(environment: environment, configuration: configuration, seed: 4)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agents-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("td3.ckpt")
        try agent.policyCheckpoint().save(to: url)
        let policy = try ActorPolicy.load(contentsOf: url, world: world, mode: .gaussian(sigma: 0.2))
        #expect(policy.spec == url.relativePath && policy.agentName == "td3")
        let states = Fixtures.uniform(6, world.stateLayout.dimension, seed: 90, bound: 3)
        var streams = (0..<6).map { RandomStream(seed: 91, keys: UInt64($0)) }
        var output = PolicyOutput(batch: 6, actionDimension: world.actionSpace.dimension)
        let fusion: any FusionPolicy = policy
        streams.withUnsafeMutableBufferPointer { fusion.act(states: states, streams: $0.baseAddress!, into: &output) }
        for r in 0..<6 {
            #expect(world.actionSpace.contains(Array(output.actions.row(r))))
            #expect(output.groups[r] == .gaussian && output.logDensities[r].isFinite)
        }
        #expect(fusion.explorationScale == 0.2)
    }
}
