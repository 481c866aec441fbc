import Foundation
import Rollout
import Simulator
import Testing
import TestSupport

/// A world whose catalog and users come from the real KuaiRand-Pure feature files (shared/data) simulates.
@Suite("KuaiRand-Pure world in simulation")
struct KuaiRandSimulationTests {
    @Test("a world built from the files runs", .enabled(if: Fixtures.kuaiRandAvailable))
    func worldFromFilesRuns() throws {
        let config = try Fixtures.kuaiRandShortVideo(users: 4_000)
        let world = try World(config: config, seed: 3)
        let policy = FixedPolicy(action: world.actionSpace.baseline, actionSpace: world.actionSpace)
        let output = Simulation(world: world, ranker: OracleNoiseRanker(config: config), policy: policy, seed: 3)
            .run(.init(sessions: 100, threads: 2, lanes: 16))
        #expect(output.sessions.count == 100)
        #expect(output.sessions.allSatisfy { $0.requests > 0 && $0.impressions == $0.requests * config.slate.size })
    }
}
