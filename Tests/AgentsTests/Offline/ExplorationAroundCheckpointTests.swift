import Agents
import Foundation
import NeuralNet
import Numerics
import Simulator
import Testing
import TestSupport

/// Exploration around a checkpoint (`box:B@PATH.ckpt`, `gaussian:SIGMA@PATH.ckpt`, `mixture:SIGMA,BOX@PATH.ckpt`),
/// the exploring policies of batch RL between rounds: the centre is the checkpoint's deterministic action in every
/// state, the logged log-density is the density recomputed, and the spec and parameters name the file.
@Suite("Exploration around a checkpoint")
struct ExplorationAroundCheckpointTests {
    static let world: World = {
        let config = try! EnvironmentLoader.resolve("tiny").config
        return try! World(config: config, seed: 3)
    }()

    /// A deterministic actor (the whole box) and a SAC actor acting in a residual box (half-width 0.5 of the world's
    /// normalised box around the baseline), saved in `directory`; their paths.
    static func checkpoints(in directory: URL) throws -> [String] {
        let world = Self.world
        let d = world.stateLayout.dimension, a = world.actionSpace.dimension
        let space = world.actionSpace
        let centre = space.normalize(space.baseline)
        let residual = ActionSpace(names: space.names, low: space.denormalize(centre.map { max(-1, $0 - 0.5) }),
                                   high: space.denormalize(centre.map { min(1, $0 + 0.5) }), baseline: space.baseline)
        let normalizer = NormalizerStatistics(mean: [Float](repeating: 0.5, count: d), scale: [Float](repeating: 0.5, count: d), clip: 5)
        let deterministic = ActorPolicy(agentName: "td3", actor: Fixtures.deterministicActor(states: d, actions: a, seed: 71),
                                        normalizer: normalizer, environment: AgentEnvironment(world: world), updates: 1234)
        let sac = ActorPolicy(agentName: "sac", actor: Fixtures.gaussianActor(states: d, actions: a, seed: 72), normalizer: normalizer,
                              environment: AgentEnvironment(stateNames: world.stateLayout.names, actionSpace: residual), updates: 99)
        var paths: [String] = []
        for (name, policy) in [("td3.ckpt", deterministic), ("sac.ckpt", sac)] {
            let url = directory.appendingPathComponent(name)
            try policy.save(to: url)
            paths.append(url.path)
        }
        return paths
    }

    static func withDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exploration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    @Test("the centre is the checkpoint's deterministic action; logged densities are the recomputed ones; rows independent")
    func centreAndDensities() throws {
        try Self.withDirectory { directory in
            let world = Self.world
            let d = world.stateLayout.dimension, a = world.actionSpace.dimension
            for path in try Self.checkpoints(in: directory) {
                let loaded = try ActorPolicy.load(contentsOf: URL(fileURLWithPath: path), world: world)
                let states = Fixtures.uniform(600, d, seed: 81, bound: 3)
                var centre = Matrix(rows: 0, columns: 0)
                loaded.locations(states: states, into: &centre)
                for kernel in ["box:0.15", "gaussian:0.1", "mixture:0.1,0.15"] {
                    let spec = kernel + "@" + path
                    let policy = try #require(try PolicyResolver.resolve(spec, world: world) as? ExplorationAround, "\(spec)")
                    #expect(policy.spec == spec && policy.actionSpace == world.actionSpace)
                    var output = PolicyOutput(batch: 0, actionDimension: a)
                    withStreams(count: states.rows, seed: 82) { policy.act(states: states, streams: $0, into: &output) }
                    #expect(output.means.elements == centre.elements, "\(spec): recorded means are not the checkpoint's actions")
                    let check = expectLoggedDensities(policy, states: states, actions: output.actions, logged: output.logDensities, spec)
                    #expect(check.worst <= 1e-5, "\(spec): differs from the log by \(check.worst)")
                    for r in 0..<states.rows { #expect(world.actionSpace.contains(Array(output.actions.row(r))), "\(spec) row \(r)") }
                    // The centre depends on the state.
                    #expect(Array(centre.row(0)) != Array(centre.row(1)))
                    // Row 7 alone, from its own stream, is row 7 of the batch.
                    var stream = RandomStream(seed: 82, keys: 7)
                    var single = PolicyOutput(batch: 1, actionDimension: a)
                    policy.act(states: Matrix(rows: 1, columns: d, elements: Array(states.row(7))), streams: &stream, into: &single)
                    #expect(Array(single.actions.row(0)) == Array(output.actions.row(7)) && single.logDensities[0] == output.logDensities[7])
                }
            }
        }
    }

    @Test("the spec resolves back to the same policy; the parameters name the file, its size, CRC-32 and updates")
    func specAndParameters() throws {
        try Self.withDirectory { directory in
            let world = Self.world
            let path = try Self.checkpoints(in: directory)[0]
            let spec = "box:0.15@" + path
            let policy = try #require(try PolicyResolver.resolve(spec, world: world) as? ExplorationAround)
            let again = try #require(try PolicyResolver.resolve(policy.spec, world: world) as? ExplorationAround)
            #expect(again.spec == spec && again.kernel == .box(halfWidth: 0.15))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(policy.parametersJSON.utf8)) as? [String: Any])
            #expect(object["spec"] as? String == spec && object["kernel"] as? String == "box")
            let centre = try #require(object["centre"] as? [String: Any])
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(centre["path"] as? String == path)
            #expect(centre["bytes"] as? Int == data.count)
            #expect(centre["crc32"] as? String == String(format: "%08x", data.withUnsafeBytes { CRC32.checksum($0) }))
            #expect(centre["updates"] as? Int == 1234 && centre["agent"] as? String == "td3")
            #expect(centre["kind"] as? String == ActorPolicy.checkpointKind)
        }
    }

    @Test("a missing checkpoint names the file; a checkpoint with exploration stated in the spec keeps the kernel's errors")
    func refusals() throws {
        try Self.withDirectory { directory in
            let missing = directory.appendingPathComponent("missing.ckpt").path
            #expect(throws: (any Error).self) { try PolicyResolver.resolve("box:0.15@" + missing, world: Self.world) }
            do {
                _ = try PolicyResolver.resolve("box:0.15@" + missing, world: Self.world)
            } catch {
                #expect("\(error)".contains("missing.ckpt"), "\(error)")
            }
            let path = try Self.checkpoints(in: directory)[0]
            do {
                _ = try PolicyResolver.resolve("box:-1@" + path, world: Self.world)
                Issue.record("box:-1 parsed")
            } catch let error as PolicySpec.ParseError {
                #expect(error.spec == "box:-1@" + path && error.message.contains("positive box half-width"))
            }
        }
    }
}
