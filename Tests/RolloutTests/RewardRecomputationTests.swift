import Rollout
import Simulator
import Testing
import TestSupport

/// Every logged step's reward can be recomputed offline from its logged components with `RewardModel.reward(components:)`.
///
/// Not bit for bit: the simulator sums the reward in `Double` impression by impression, while the watch minutes, the
/// GMV price sum and the return bonus are logged as `Float` (relative rounding ≤ 2⁻²⁴ each; the counts are exact) and
/// re-added in another order (relative ≈ 2⁻⁵³ per addition). The tolerance is therefore 2⁻²³ · Σ|weight · component|.
@Suite("Reward recomputation")
struct RewardRecomputationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var preset: String
        var gmv: Bool
        var returnWeight: Double?
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "tiny (watch and task values only)", preset: "tiny", gmv: false),
        Case(name: "ecommerce (GMV)", preset: "ecommerce", gmv: true),
        Case(name: "short-video with a return bonus", preset: "short-video", gmv: false, returnWeight: 3),
        Case(name: "ecommerce with GMV and a return bonus", preset: "ecommerce", gmv: true, returnWeight: 0.5),
    ]

    @Test(arguments: cases)
    func loggedRewardsFollowFromTheirComponents(_ c: Case) throws {
        var config = c.preset == "tiny" ? Fixtures.tinyConfig : Fixtures.shrunk(c.preset)
        if let weight = c.returnWeight { config.reward.returnWeight = weight }
        let world = try World(config: config, seed: 21)
        let model = world.reward
        #expect((model.gmvTask >= 0) == c.gmv)
        let simulation = Simulation(world: world, ranker: OracleNoiseRanker(config: config),
                                    policy: Fixtures.baselinePolicy(world), seed: 5)
        let sessions = simulation.episodes(0..<24, threads: 2, lanes: 8, trace: true)
        var steps = 0, withGMV = 0, withBonus = 0, worst = 0.0
        for session in sessions {
            #expect(!session.steps.isEmpty)
            var sum = 0.0
            for step in session.steps {
                let x = step.rewardComponents
                #expect(x.count == model.componentCount)
                let magnitude = abs(model.watchMinuteValue * Double(x[model.watchMinutesIndex]))
                    + (0..<model.taskCount).reduce(0) { $0 + abs(model.taskValues[$1] * Double(x[model.countIndex(task: $1)])) }
                    + abs(model.gmvValue * Double(x[model.gmvPriceIndex])) + abs(model.returnWeight * Double(x[model.returnBonusIndex]))
                let error = abs(model.reward(components: x) - step.reward)
                #expect(error <= 0x1p-23 * magnitude, "episode \(session.episode) step \(step.requestIndex): \(error) of \(magnitude)")
                worst = max(worst, magnitude > 0 ? error / magnitude : 0)
                steps += 1
                if x[model.gmvPriceIndex] > 0 { withGMV += 1 }
                if x[model.returnBonusIndex] > 0 { withBonus += 1 }
                // Only a session's last step carries its return bonus.
                if !step.sessionEnd { #expect(x[model.returnBonusIndex] == 0) }
                sum += step.reward
            }
            #expect(abs(sum - session.reward) <= 1e-9 * max(1, abs(session.reward)))
        }
        #expect(steps > 100)
        #expect((withGMV > 0) == c.gmv)
        // The bonus is logged whatever its weight; every returning session's last step has one.
        #expect(withBonus == sessions.filter { $0.returnGapMinutes != nil }.count)
        #expect(worst <= 0x1p-23)
    }
}
