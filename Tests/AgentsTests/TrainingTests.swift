import Agents
import Foundation
import Numerics
import Simulator
import Testing
import TestSupport

/// Each agent must solve `ToyTask` (optimal return 5, best fixed action 3.75, random ≈ 0): a
/// deterministic evaluation on 200 held-out episodes must reach 90 % of the optimal return, which
/// no fixed action can (so the agent has learned the state dependence). 300 environment steps
/// (SAC: 260) of 8 parallel episodes, 4 gradient steps per environment step after 256 warm-up
/// transitions; the untrained actors score about 3.3 (near the centre of the box).
@Suite("Agents learn the toy task")
struct TrainingTests {
    static let threshold = 0.9 * ToyTask.optimalReturn

    @Test("DDPG reaches 90 % of the optimal return")
    func ddpg() throws {
        var configuration = DDPGConfiguration()
        configuration.actorCritic = toySettings()
        var agent = try DDPGAgent(environment: ToyTask.environment, configuration: configuration, seed: 1)
        let value = timed("DDPG") { train(&agent, lanes: 8, environmentSteps: 300, updatesPerStep: 4, seed: 11) }
            .map { _ in evaluate(agent.evaluationPolicy()) }!
        print("DDPG: return \(value) after \(agent.updateCount) updates")
        #expect(value >= TrainingTests.threshold)
        #expect(value > ToyTask.bestFixedReturn)
    }

    @Test("TD3 reaches 90 % of the optimal return")
    func td3() throws {
        var configuration = TD3Configuration()
        configuration.actorCritic = toySettings()
        var agent = try TD3Agent(environment: ToyTask.environment, configuration: configuration, seed: 1)
        let value = timed("TD3") { train(&agent, lanes: 8, environmentSteps: 300, updatesPerStep: 4, seed: 11) }
            .map { _ in evaluate(agent.evaluationPolicy()) }!
        print("TD3: return \(value) after \(agent.updateCount) updates")
        #expect(value >= TrainingTests.threshold)
        #expect(value > ToyTask.bestFixedReturn)
    }

    @Test("SAC reaches 90 % of the optimal return, and its temperature falls")
    func sac() throws {
        var configuration = SACConfiguration()
        configuration.actorCritic = toySettings()
        var agent = try SACAgent(environment: ToyTask.environment, configuration: configuration, seed: 1)
        let value = timed("SAC") { train(&agent, lanes: 8, environmentSteps: 260, updatesPerStep: 4, seed: 11) }
            .map { _ in evaluate(agent.evaluationPolicy()) }!
        print("SAC: return \(value) after \(agent.updateCount) updates, α = \(agent.temperature.value)")
        #expect(value >= TrainingTests.threshold)
        #expect(value > ToyTask.bestFixedReturn)
        #expect(agent.temperature.value < configuration.initialTemperature)
    }
}

/// Runs `body`, printing its wall time.
func timed<T>(_ label: String, _ body: () throws -> T) rethrows -> T? {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    print("\(label): trained in \(clock.now - start)")
    return result
}
