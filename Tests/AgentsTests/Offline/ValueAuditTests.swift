import EpisodeLog
import Numerics
import Rollout
import Simulator
@testable import Agents
import Testing

/// `ValueAudit` against returns computed here from the same simulated sessions.
@Suite("Value audit")
struct ValueAuditTests {
    /// A critic that predicts a fixed affine function of the first action coordinate.
    struct AffineCritic: ValueEstimating {
        var constant: Double
        var slope: Double
        func qValues(states: Matrix, actions: Matrix) -> [Double] {
            (0..<actions.rows).map { constant + slope * Double(actions[$0, 0]) }
        }
    }

    static let world: World = {
        let (config, _) = try! EnvironmentLoader.resolve("tiny")
        return try! World(config: config, seed: 5)
    }()

    @Test("realised returns are the discounted returns-to-go of the audited steps; predictions use the policy's actions",
          arguments: [Discounting(perDecision: 0.9), Discounting(perDecision: 1, halfLifeHours: 6)])
    func knownAnswer(discounting: Discounting) throws {
        let world = Self.world, ranker = OracleNoiseRanker(config: world.config)
        let policy = try PolicySpec.parse("baseline", world: world)
        var audit = ValueAudit(world: world, ranker: ranker, discounting: discounting, episodes: 6, threads: 2)
        audit.tailHours = 48
        let result = audit.run(policy: policy, critic: AffineCritic(constant: 3, slope: 2), actionSpace: world.actionSpace)

        let sessions = Simulation(world: world, ranker: ranker, policy: policy, seed: audit.seed, users: .heldOut)
            .episodes(0..<6, threads: 1, trace: true).filter { !$0.steps.isEmpty }
        var returns = [Double](), counted = 0
        for episode in Set(sessions.map(\.episode)).sorted() {
            let own = sessions.filter { $0.episode == episode }.sorted { $0.sessionIndex < $1.sessionIndex }
            let steps = own.flatMap { s in s.steps.map { (s, $0) } }
            for i in steps.indices where steps[i].0.startMinutes <= world.config.episode.horizonDays * 1440 - 48 * 60 {
                var g = 0.0, factor = 1.0
                for j in i..<steps.count {
                    g += factor * steps[j].1.reward
                    if steps[j].1.terminal { break }
                    let (session, step) = steps[j]
                    let minutes = step.elapsedMinutes! + (step.sessionEnd ? session.returnGapMinutes ?? 0 : 0)
                    factor *= Double(discounting.factor(elapsedHours: Float(minutes / 60)))
                }
                returns.append(g)
                counted += 1
            }
        }
        #expect(result.steps == counted && counted > 20)
        let expected = returns.reduce(0, +) / Double(returns.count)
        #expect(abs(result.realised.mean - expected) <= 1e-6 * max(1, abs(expected)))
        let a0 = world.actionSpace.normalize(world.actionSpace.baseline[0], dimension: 0)
        #expect(abs(result.predicted - (3 + 2 * Double(a0))) < 1e-9)
        #expect(result.realised.lower < result.realised.mean && result.realised.mean < result.realised.upper)
    }

    @Test("the clustered interval is centred on the step-weighted mean and matches a hand computation")
    func clusteredInterval() {
        let episodes: [(sum: Double, count: Double)] = [(10, 2), (30, 4), (6, 3)]
        let r = ValueAudit.clusteredMean(episodes)
        let m = 46.0 / 9
        let residuals = [10 - 2 * m, 30 - 4 * m, 6 - 3 * m]
        let se = (1.5 * residuals.map { $0 * $0 }.reduce(0, +) / 81).squareRoot()
        #expect(abs(r.mean - m) < 1e-12)
        #expect(abs((r.upper - r.mean) - 4.302652729911275 * se) < 1e-6)
        #expect(abs((r.mean - r.lower) - (r.upper - r.mean)) < 1e-9)
    }
}
