import Foundation
import Numerics
import Rollout
import Simulator

/// Shared, lazily built fixtures: the repository root, decoded presets, small worlds and one cached run.
enum Fixtures {
    /// The repository root, found from this file's path (`Tests/SimulatorTests/Fixtures.swift`).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let presetNames = ["tiny", "short-video", "ecommerce"]

    static func presetPath(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("environments/\(name).yaml").path
    }

    /// A preset decoded from its file in `environments/`.
    static func config(_ name: String) -> EnvironmentConfig {
        do {
            return try EnvironmentLoader.load(path: presetPath(name)).config
        } catch {
            fatalError("fixture \(name): \(error)")
        }
    }

    static let tinyConfig = config("tiny")
    static let tinyWorld = try! World(config: tinyConfig, seed: 7)

    /// A preset's tasks, fusion and policies on a tiny catalog and population (cheap to build in debug).
    static func shrunk(_ name: String) -> EnvironmentConfig {
        var c = config(name)
        let tiny = tinyConfig
        c.catalog = tiny.catalog
        c.users = tiny.users
        c.retrieval = tiny.retrieval
        c.slate = tiny.slate
        c.kuairand = nil
        return c
    }

    static let shrunkShortVideoWorld = try! World(config: shrunk("short-video"), seed: 11)
    static let shrunkEcommerceWorld = try! World(config: shrunk("ecommerce"), seed: 13)

    static func baselinePolicy(_ world: World) -> any FusionPolicy {
        FixedPolicy(action: world.actionSpace.baseline, actionSpace: world.actionSpace)
    }

    /// One baseline run on tiny shared by the invariant, summary and depth tests.
    static let tinyRunSessions = 3_000
    static let tinyRun: Simulation.Output = {
        let world = tinyWorld
        let simulation = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config),
                                    policy: baselinePolicy(world), seed: 2024)
        return simulation.run(.init(sessions: tinyRunSessions, threads: 2))
    }()
}

/// Calls `body` with `count` independent seeded streams.
func withStreams<R>(count: Int, seed: UInt64, _ body: (UnsafeMutablePointer<RandomStream>) -> R) -> R {
    var streams = (0..<count).map { RandomStream(seed: seed, keys: UInt64($0)) }
    return streams.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

/// A policy's actions for `rows` copies of `state` (or zero states), one stream per row.
func act(_ policy: any FusionPolicy, rows: Int, stateDimension: Int = 1, seed: UInt64,
         state: (Int) -> [Float] = { _ in [] }) -> PolicyOutput {
    var states = Matrix(rows: rows, columns: stateDimension)
    for r in 0..<rows {
        let s = state(r)
        if !s.isEmpty { states.setRow(r, to: s) }
    }
    var output = PolicyOutput(batch: rows, actionDimension: policy.actionSpace.dimension)
    withStreams(count: rows, seed: seed) { policy.act(states: states, streams: $0, into: &output) }
    return output
}
