@testable import Agents
import Foundation
import NeuralNet
import Numerics
import Simulator
import Testing
import TestSupport

/// A one-step task whose best action lies inside the data but away from the behaviour's mean.
///
/// State `(x0, x1, t)` with `x0, x1 ~ U(−1, 1)`; the behaviour (normalised units) is `b(s) = (0.5·x0, −0.3)` plus
/// independent U(−0.3, 0.3) noise per dimension; the reward is `1 − ‖a − a*(s)‖²` with `a*(s) = b(s) + (0.2, 0.2)`,
/// inside the data's support. Every transition is terminal, so Q(s, a) is the reward.
///
/// Known values: the behaviour earns `1 − 2·(0.03 + 0.04) = 0.86` in expectation; the best action earns 1; a policy
/// that acts within the data can earn up to 1.
enum OffsetBandit {
    static let environment = ToyTask.environment
    static let offset: Float = 0.2

    static func behaviourMean(x0: Float) -> (Float, Float) { (0.5 * x0, -0.3) }

    static func reward(x0: Float, action a: [Float]) -> Float {
        let (b0, b1) = behaviourMean(x0: x0)
        let d0 = a[0] - (b0 + offset), d1 = a[1] - (b1 + offset)
        return 1 - d0 * d0 - d1 * d1
    }

    static func states(_ count: Int, stream: inout RandomStream) -> Matrix {
        Matrix(rows: count, columns: 3) { _, j in j < 2 ? Float(2 * stream.nextUniform() - 1) : 0 }
    }

    static func dataset(count: Int, seed: UInt64) -> OfflineDataset {
        var stream = RandomStream(seed: seed)
        let states = OffsetBandit.states(count, stream: &stream)
        var actions = Matrix(rows: count, columns: 2)
        var rewards = [Float](repeating: 0, count: count)
        for r in 0..<count {
            let (b0, b1) = behaviourMean(x0: states[r, 0])
            actions[r, 0] = b0 + Float(0.6 * stream.nextUniform() - 0.3)
            actions[r, 1] = b1 + Float(0.6 * stream.nextUniform() - 0.3)
            rewards[r] = reward(x0: states[r, 0], action: [actions[r, 0], actions[r, 1]])
        }
        let next = OffsetBandit.states(count, stream: &stream)
        let batch = TransitionBatch(states: states, actions: actions, rewards: rewards, nextStates: next,
                                    terminals: [Bool](repeating: true, count: count))
        return OfflineDataset(environment: environment, batch: batch)
    }

    static var smallConfiguration: BCQConfiguration {
        var c = BCQConfiguration()
        c.vaeHiddenSizes = [48, 48]
        c.actorCritic.hiddenSizes = [48, 48]
        return c
    }
}

@Suite("BCQ learner and policy")
struct BCQTests {
    static func streams(_ count: Int, seed: UInt64) -> [RandomStream] {
        (0..<count).map { RandomStream(seed: seed, keys: UInt64($0)) }
    }

    static func act(_ policy: any FusionPolicy, states: Matrix, seed: UInt64) -> PolicyOutput {
        var streams = streams(states.rows, seed: seed)
        var output = PolicyOutput(batch: states.rows, actionDimension: policy.actionSpace.dimension)
        streams.withUnsafeMutableBufferPointer { policy.act(states: states, streams: $0.baseAddress!, into: &output) }
        return output
    }

    static func trained(steps: Int, seed: UInt64 = 7, configuration: BCQConfiguration = OffsetBandit.smallConfiguration) throws -> BCQ {
        var learner = try BCQ(dataset: OffsetBandit.dataset(count: 4_000, seed: 1), configuration: configuration, seed: seed)
        var stream = RandomStream(seed: seed, keys: 99)
        _ = learner.update(steps: steps, stream: &stream)
        return learner
    }

    @Test("configuration: the authors' defaults, BatchRL-MTF's Φ, BCQ defaults kept for missing keys, unknown keys refused")
    func configuration() throws {
        let c = BCQConfiguration()
        #expect(c.actorCritic.hiddenSizes == [400, 300] && c.vaeHiddenSizes == [750, 750])
        #expect(c.actorCritic.batchSize == 100 && c.actorCritic.actorLearningRate == 1e-3 && c.actorCritic.targetUpdateRate == 0.005)
        #expect(c.perturbationLimit == 0.15 && c.targetMixing == 0.75 && c.candidateCount == 10 && c.latentClip == 0.5)
        let decoded = try JSONDecoder().decode(BCQConfiguration.self, from: Data(#"{"perturbationLimit": 0.05, "discount": 0.9}"#.utf8))
        #expect(decoded.perturbationLimit == 0.05 && decoded.actorCritic.discount == 0.9)
        #expect(decoded.actorCritic.hiddenSizes == [400, 300] && decoded.actorCritic.batchSize == 100)
        let roundTrip = try JSONDecoder().decode(BCQConfiguration.self, from: JSONEncoder().encode(decoded))
        #expect(roundTrip == decoded)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(BCQConfiguration.self, from: Data(#"{"phi": 0.05}"#.utf8))
        }
        var bad = BCQConfiguration()
        bad.targetMixing = 1.5
        #expect(throws: AgentConfigurationError.self) { try BCQ(dataset: OffsetBandit.dataset(count: 10, seed: 1), configuration: bad, seed: 1) }
    }

    @Test("same seed ⇒ bit-identical networks; a session's action does not depend on its batch neighbours")
    func determinism() throws {
        let a = try BCQTests.trained(steps: 30), b = try BCQTests.trained(steps: 30)
        #expect(a.vae.parameterVector() == b.vae.parameterVector())
        #expect(a.perturbation.parameterVector() == b.perturbation.parameterVector())
        #expect(a.critics[1].parameterVector() == b.critics[1].parameterVector())
        let c = try BCQTests.trained(steps: 30, seed: 8)
        #expect(a.critics[0].parameterVector() != c.critics[0].parameterVector())

        let policy = a.evaluationPolicy()
        var stream = RandomStream(seed: 5)
        let states = OffsetBandit.states(9, stream: &stream)
        let whole = BCQTests.act(policy, states: states, seed: 11)
        for r in [0, 4, 8] {
            var one = [RandomStream(seed: 11, keys: UInt64(r))]
            var output = PolicyOutput(batch: 1, actionDimension: 2)
            one.withUnsafeMutableBufferPointer {
                policy.act(states: Matrix(rows: 1, columns: 3, elements: Array(states.row(r))), streams: $0.baseAddress!, into: &output)
            }
            #expect(Array(output.actions.row(0)) == Array(whole.actions.row(r)))
        }
        #expect(whole.groups.allSatisfy { $0 == .implicit } && whole.logDensities.allSatisfy { $0 == 0 })
        #expect(!(policy as Any is any PolicyDensity))
    }

    @Test("learning: the policy stays within Φ of its VAE proposals, near the data, and beats the behaviour")
    func learns() throws {
        let learner = try BCQTests.trained(steps: 1_500)
        let policy = learner.evaluationPolicy()
        var stream = RandomStream(seed: 77)
        let states = OffsetBandit.states(400, stream: &stream)
        var streams = BCQTests.streams(states.rows, seed: 3)
        let decision = streams.withUnsafeMutableBufferPointer { policy.decide(states: states, streams: $0.baseAddress!) }
        let n = policy.candidateCount, phi = policy.perturbationLimit
        var total = 0.0, proposalDistance = 0.0
        for r in 0..<states.rows {
            let chosen = r * n + decision.choices[r]
            for j in 0..<2 {
                #expect(abs(decision.perturbed[chosen, j] - decision.proposals[chosen, j]) <= phi + 1e-6)
            }
            let (b0, b1) = OffsetBandit.behaviourMean(x0: states[r, 0])
            for i in 0..<n {
                let d0 = decision.proposals[r * n + i, 0] - b0, d1 = decision.proposals[r * n + i, 1] - b1
                proposalDistance += Double(max(abs(d0), abs(d1))) / Double(n * states.rows)
            }
            total += Double(OffsetBandit.reward(x0: states[r, 0], action: decision.action(r, candidates: n)))
        }
        let meanReward = total / Double(states.rows)
        // The VAE's proposals stay in the data's ±0.3 box around the behaviour mean (on average well inside it).
        #expect(proposalDistance < 0.3, "mean L∞ distance of proposals from the behaviour mean \(proposalDistance)")
        // Behaviour: 0.86 in expectation; the best action in the data: 1.
        #expect(meanReward > 0.94, "BCQ's mean reward \(meanReward), behaviour 0.86")
        let raw = BCQTests.act(policy, states: states, seed: 3)
        for r in 0..<states.rows {
            #expect(Array(raw.actions.row(r)) == ToyTask.actionSpace.denormalize(decision.action(r, candidates: n)).enumerated().map {
                min(max($0.element, ToyTask.actionSpace.low[$0.offset]), ToyTask.actionSpace.high[$0.offset])
            })
        }
    }

    @Test("checkpoint: save → load gives identical actions; PolicyCheckpoint loads both kinds; another kind is one clear line")
    func checkpointRoundTrip() throws {
        let learner = try BCQTests.trained(steps: 20)
        let policy = learner.evaluationPolicy()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bcq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bcq.ckpt").path
        try policy.save(to: URL(fileURLWithPath: path))
        let loaded = try PolicyCheckpoint.load(path: path, expecting: OffsetBandit.environment)
        let bcq = try #require(loaded as? BCQPolicy)
        #expect(bcq.candidateCount == policy.candidateCount && bcq.perturbationLimit == policy.perturbationLimit)
        #expect(bcq.updates == 20 && bcq.spec == path)
        var stream = RandomStream(seed: 9)
        let states = OffsetBandit.states(17, stream: &stream)
        let before = BCQTests.act(policy, states: states, seed: 4), after = BCQTests.act(bcq, states: states, seed: 4)
        #expect(before.actions.elements == after.actions.elements)
        #expect(bcq.checkpoint() == policy.checkpoint())

        // An actor checkpoint loads through the same door.
        var actorStream = RandomStream(seed: 2)
        let actor = ActorPolicy(agentName: "td3", actor: ActorNetwork(stateDimension: 3, actionDimension: 2, hiddenSizes: [4],
                                                                     head: .deterministic, stream: &actorStream),
                                normalizer: .identity(dimension: 3), environment: OffsetBandit.environment)
        let actorPath = directory.appendingPathComponent("td3.ckpt").path
        try actor.save(to: URL(fileURLWithPath: actorPath))
        #expect(try PolicyCheckpoint.load(path: actorPath, expecting: OffsetBandit.environment) is ActorPolicy)

        // A plain MLP: one line naming the file, its kind and both policy kinds.
        let mlpPath = directory.appendingPathComponent("mlp.ckpt").path
        try policy.decoder.save(to: URL(fileURLWithPath: mlpPath))
        do {
            _ = try PolicyCheckpoint.load(path: mlpPath, expecting: nil)
            Issue.record("an MLP checkpoint loaded as a policy")
        } catch let error as PolicyCheckpointError {
            #expect(error.kind == .wrongKind(found: "mlp"))
            let line = error.description
            #expect(!line.contains("\n") && line.contains(mlpPath) && line.contains("\"mtfsim-policy\"")
                    && line.contains("\"mtfsim-bcq-policy\""), "\(line)")
        }
        // Another environment's state features are refused.
        let other = AgentEnvironment(stateNames: ["x0", "x1", "other"], actionSpace: ToyTask.actionSpace)
        #expect(throws: PolicyCheckpointError.self) { try PolicyCheckpoint.load(path: path, expecting: other) }
    }

    @Test("the resolver loads a BCQ checkpoint for a world (`simulate`, `compare`, `replay`)")
    func resolver() throws {
        let config = try EnvironmentLoader.resolve("tiny").config
        let world = try World(config: config, seed: 3)
        let environment = AgentEnvironment(world: world)
        var c = OffsetBandit.smallConfiguration
        c.vaeHiddenSizes = [8]
        c.actorCritic.hiddenSizes = [8]
        var stream = RandomStream(seed: 1)
        let count = 50
        let states = Matrix(rows: count, columns: environment.stateDimension) { _, _ in stream.normalFloat() }
        let actions = Matrix(rows: count, columns: environment.actionDimension) { _, _ in Float(stream.nextUniform() - 0.5) }
        let batch = TransitionBatch(states: states, actions: actions, rewards: [Float](repeating: 1, count: count),
                                    nextStates: states, terminals: [Bool](repeating: false, count: count))
        var learner = try BCQ(dataset: OfflineDataset(environment: environment, batch: batch), configuration: c, seed: 1)
        _ = learner.update(steps: 3, stream: &stream)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bcq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tiny-bcq.ckpt").path
        try learner.evaluationPolicy().save(to: URL(fileURLWithPath: path))
        let policy = try PolicyResolver.resolve(path, world: world)
        #expect(policy is BCQPolicy && policy.spec == path)
        let output = BCQTests.act(policy, states: Matrix(rows: 4, columns: environment.stateDimension), seed: 1)
        for r in 0..<4 {
            for j in 0..<environment.actionDimension {
                #expect(output.actions[r, j] >= world.actionSpace.low[j] && output.actions[r, j] <= world.actionSpace.high[j])
            }
        }
    }
}
