import Foundation
import Rollout
import Simulator
import Testing
import TestSupport

/// A world whose catalog and users come from the real KuaiRand-Pure feature files (shared/data) simulates.
@Suite("KuaiRand-Pure world in simulation")
struct KuaiRandSimulationTests {
    static let videos = Fixtures.kuaiRandVideos
    static let users = Fixtures.kuaiRandUsers
    static let available = Fixtures.kuaiRandAvailable

    @Test("a world built from the files runs", .enabled(if: available))
    func worldFromFilesRuns() throws {
        var config = try EnvironmentLoader.resolve("short-video").config
        var kuairand = KuaiRandConfig()
        kuairand.videoFeatures = Self.videos
        kuairand.userFeatures = Self.users
        config.kuairand = kuairand
        config.users.count = 4_000
        let world = try World(config: config, seed: 3)
        let policy = FixedPolicy(action: world.actionSpace.baseline, actionSpace: world.actionSpace)
        let output = Simulation(world: world, ranker: OracleNoiseRanker(config: config), policy: policy, seed: 3)
            .run(.init(sessions: 100, threads: 2, lanes: 16))
        #expect(output.sessions.count == 100)
        #expect(output.sessions.allSatisfy { $0.requests > 0 && $0.impressions == $0.requests * config.slate.size })
    }
}
