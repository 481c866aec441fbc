import Rollout
import Simulator
import TestSupport

typealias Fixtures = SimulatorFixtures

extension SimulatorFixtures {
    /// One baseline run on tiny shared by the invariant, summary and depth tests.
    static let tinyRunSessions = 3_000
    static let tinyRun: Simulation.Output = {
        let world = tinyWorld
        let simulation = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config),
                                    policy: baselinePolicy(world), seed: 2024)
        return simulation.run(.init(sessions: tinyRunSessions, threads: 2))
    }()
}
