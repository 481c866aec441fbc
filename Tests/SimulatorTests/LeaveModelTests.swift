import Numerics
import Simulator
import Testing
import TestSupport

@Suite("Leave model")
struct LeaveModelTests {
    /// short-video's leave coefficients (a fading hook: engagement 12, reference 0.7, τ = 2) on a shrunk world.
    static let world = Fixtures.shrunkShortVideoWorld
    static var leave: LeaveModel { world.leave }

    /// logit = β₀ + o_u + β_F F − β_S S + β_d t − β_e e^{−(t−1)/τ}(plays/N − r), by hand in `Double`.
    @Test(arguments: [(1, 0), (1, 4), (2, 1), (3, 3), (10, 2)])
    func logitKnownAnswer(request t: Int, plays: Int) {
        let config = Self.world.config.leave, user = 3
        let offset = Double(Self.world.population.latentLeaveOffset[user])
        let n = Double(Self.world.config.slate.size)
        let F = 0.3, S = 0.4
        let expected = config.intercept + offset + config.fatigue * F - config.satisfaction * S + config.depth * Double(t)
            - config.engagement * Elementary.exp(-Double(t - 1) / config.hookRequests) * (Double(plays) / n - config.engagementReference)
        let logit = Self.leave.logit(user: user, fatigue: Float(F), satisfaction: Float(S), request: t, plays: plays)
        #expect(abs(Double(logit) - expected) < 1e-5, "t = \(t), plays = \(plays): \(logit) vs \(expected)")
        let hazard = Self.leave.hazard(user: user, fatigue: Float(F), satisfaction: Float(S), request: t, plays: plays)
        #expect(abs(Double(hazard) - 1 / (1 + Elementary.exp(-expected))) < 1e-6)
    }

    /// The hazard rises with fatigue and falls with satisfaction, at any request and play count.
    @Test func monotoneInFatigueAndSatisfaction() {
        let leave = Self.leave
        let levels: [Float] = [-1, -0.25, 0, 0.5, 1, 2]
        for t in [1, 2, 5, 20] {
            for plays in [0, 2, 4] {
                let byFatigue = levels.map { leave.hazard(user: 0, fatigue: $0, satisfaction: 0.2, request: t, plays: plays) }
                #expect(zip(byFatigue, byFatigue.dropFirst()).allSatisfy { $0 < $1 }, "t = \(t): \(byFatigue)")
                let bySatisfaction = levels.map { leave.hazard(user: 0, fatigue: 0.2, satisfaction: $0, request: t, plays: plays) }
                #expect(zip(bySatisfaction, bySatisfaction.dropFirst()).allSatisfy { $0 > $1 }, "t = \(t): \(bySatisfaction)")
            }
        }
    }

    /// The hook weight is β_e at the first request and fades by e every τ requests: what was shown matters on the first
    /// requests only (a whole slate played vs none moves the logit by β_e at t = 1 and by nothing measurable at t = 40).
    @Test func hookMattersOnTheFirstRequestsOnly() {
        let leave = Self.leave, config = Self.world.config.leave
        #expect(leave.hookWeight(request: 1) == Float(config.engagement))
        #expect(abs(Double(leave.hookWeight(request: 3)) - config.engagement * Elementary.exp(-1)) < 1e-5)
        func swing(_ t: Int) -> Float {
            leave.logit(user: 1, fatigue: 0, satisfaction: 0, request: t, plays: 0)
                - leave.logit(user: 1, fatigue: 0, satisfaction: 0, request: t, plays: leave.slateSize)
        }
        #expect(abs(swing(1) - Float(config.engagement)) < 1e-5)
        let swings = (1...10).map(swing)
        #expect(zip(swings, swings.dropFirst()).allSatisfy { $0 > $1 }, "\(swings)")
        #expect(swing(40) < 1e-3)
        // Playing more lowers the hazard on the first request.
        let first = (0...leave.slateSize).map { leave.hazard(user: 1, fatigue: 0, satisfaction: 0, request: 1, plays: $0) }
        #expect(zip(first, first.dropFirst()).allSatisfy { $0 > $1 }, "\(first)")
    }

    /// τ = ∞ keeps the hook weight constant; β_e = 0 removes the term.
    @Test func hookEdgeCases() {
        var config = Self.world.config
        config.leave.hookRequests = .infinity
        let constant = LeaveModel(config: config, population: Self.world.population)
        for t in [1, 2, 50, 500] { #expect(constant.hookWeight(request: t) == Float(config.leave.engagement)) }
        config.leave.engagement = 0
        let none = LeaveModel(config: config, population: Self.world.population)
        #expect(none.logit(user: 2, fatigue: 0.1, satisfaction: 0.1, request: 1, plays: 0)
            == none.logit(user: 2, fatigue: 0.1, satisfaction: 0.1, request: 1, plays: none.slateSize))
    }

    /// Leave when U < h; otherwise truncate at the cap, where leaving still wins; `decide` draws exactly one uniform.
    @Test func decisions() {
        let leave = Self.leave, cap = leave.maxRequests
        #expect(cap == Self.world.config.episode.maxRequestsPerSession)
        #expect(leave.decision(hazard: 0.3, request: 1, uniform: 0.2) == .leaves)
        #expect(leave.decision(hazard: 0.3, request: 1, uniform: 0.3) == .stays)
        #expect(leave.decision(hazard: 0.3, request: cap - 1, uniform: 0.9) == .stays)
        #expect(leave.decision(hazard: 0.3, request: cap, uniform: 0.9) == .capped)
        #expect(leave.decision(hazard: 0.3, request: cap, uniform: 0.1) == .leaves)
        #expect(!LeaveModel.Decision.stays.endsSession)
        #expect(LeaveModel.Decision.leaves.endsSession && LeaveModel.Decision.capped.endsSession)

        var stream = RandomStream(seed: 9, keys: 1), copy = stream
        let decision = leave.decide(user: 4, fatigue: 0.5, satisfaction: -0.5, request: 2, plays: 1, stream: &stream)
        let u = copy.nextUnitFloat()
        let h = leave.hazard(user: 4, fatigue: 0.5, satisfaction: -0.5, request: 2, plays: 1)
        #expect(decision == (u < h ? .leaves : .stays))
        #expect(stream.nextUniform() == copy.nextUniform())
    }
}
