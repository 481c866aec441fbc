import Foundation
import Numerics
import Simulator

/// Shared, lazily built fixtures of the simulator tests: the repository root, decoded presets and small worlds.
public enum SimulatorFixtures {
    /// The repository root, found from this file's path (`Tests/TestSupport/SimulatorFixtures.swift`).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let presetNames = ["tiny", "short-video", "ecommerce"]

    public static func presetPath(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("environments/\(name).yaml").path
    }

    /// A preset decoded from its file in `environments/`.
    public static func config(_ name: String) -> EnvironmentConfig {
        do {
            return try EnvironmentLoader.load(path: presetPath(name)).config
        } catch {
            fatalError("fixture \(name): \(error)")
        }
    }

    public static let tinyConfig = config("tiny")
    public static let tinyWorld = try! World(config: tinyConfig, seed: 7)

    /// A preset's tasks, fusion and policies on a tiny catalog and population (cheap to build in debug).
    public static func shrunk(_ name: String) -> EnvironmentConfig {
        var c = config(name)
        let tiny = tinyConfig
        c.catalog = tiny.catalog
        c.users = tiny.users
        c.retrieval = tiny.retrieval
        c.slate = tiny.slate
        c.kuairand = nil
        return c
    }

    public static let shrunkShortVideoWorld = try! World(config: shrunk("short-video"), seed: 11)
    public static let shrunkEcommerceWorld = try! World(config: shrunk("ecommerce"), seed: 13)

    /// The real KuaiRand-Pure feature files, which the tests (never the product) read from the project's shared
    /// data folder beside the repository; tests that need them are skipped where the folder is absent.
    public static let kuaiRandDirectory = repositoryRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/data/kuairand_pure_features")
    public static let kuaiRandVideos = kuaiRandDirectory.appendingPathComponent("video_features_basic_pure.csv").path
    public static let kuaiRandUsers = kuaiRandDirectory.appendingPathComponent("user_features_pure.csv").path
    public static let kuaiRandAvailable = FileManager.default.fileExists(atPath: kuaiRandVideos)
        && FileManager.default.fileExists(atPath: kuaiRandUsers)

    /// The short-video preset with its catalog and the first `users` users read from the KuaiRand-Pure files.
    public static func kuaiRandShortVideo(users: Int) throws -> EnvironmentConfig {
        var config = try EnvironmentLoader.resolve("short-video").config
        var kuairand = KuaiRandConfig()
        kuairand.videoFeatures = kuaiRandVideos
        kuairand.userFeatures = kuaiRandUsers
        config.kuairand = kuairand
        config.users.count = users
        return config
    }

    public static func baselinePolicy(_ world: World) -> any FusionPolicy {
        FixedPolicy(action: world.actionSpace.baseline, actionSpace: world.actionSpace)
    }
}

/// Calls `body` with `count` independent seeded streams.
public func withStreams<R>(count: Int, seed: UInt64, _ body: (UnsafeMutablePointer<RandomStream>) -> R) -> R {
    var streams = (0..<count).map { RandomStream(seed: seed, keys: UInt64($0)) }
    return streams.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

/// A policy's actions for `rows` copies of `state` (or zero states), one stream per row.
public func act(_ policy: any FusionPolicy, rows: Int, stateDimension: Int = 1, seed: UInt64,
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
