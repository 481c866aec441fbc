import Numerics
import Simulator
import Testing
import TestSupport

@Suite("User dynamics")
struct UserDynamicsTests {
    /// tiny's tasks (click, longView, hate) with dyadic coefficients, so that every `Float` result below is exact.
    static let dyadic: UserDynamics = {
        var config = Fixtures.tinyConfig
        config.dynamics.satisfactionPerPlay = 0.25
        config.dynamics.satisfactionWatchFraction = 1
        config.dynamics.satisfactionQuality = 0.5
        config.dynamics.satisfactionAppeal = 0.25
        config.dynamics.satisfactionAppealFatigue = 0.5
        config.dynamics.satisfactionSkip = -0.125
        config.dynamics.satisfactionTaskValues = ["longView": 0.5, "hate": -2]
        config.dynamics.satisfactionDecay = 0.75
        config.dynamics.fatiguePerImpression = 0.0625
        config.dynamics.fatiguePerPlay = 0.25
        config.dynamics.fatigueClickbait = 0.5
        config.dynamics.fatiguePerWatchMinute = 0.125
        config.dynamics.boredomDecay = 0.5
        config.dynamics.boredomHalfLifeHours = 4
        config.dynamics.interestDriftRate = 0.5
        config.dynamics.browseSecondsPerImpression = 7.5
        return UserDynamics(config: config)
    }()

    static let click: UInt32 = 1, longView: UInt32 = 2, hate: UInt32 = 4

    @Test func coefficientsComeFromTheConfig() {
        let config = Fixtures.config("short-video")
        let dynamics = UserDynamics(config: config)
        #expect(dynamics.taskCount == 7)
        #expect(dynamics.satisfactionPerTask == ([0, 0, 0.5, 0.5, 0.3, 0.5, -3] as [Double]).map { Float($0) })
        #expect(dynamics.satisfactionQuality == Float(0.6))
        #expect(dynamics.fatiguePerPlay == Float(0.03))
        #expect(dynamics.browseMinutesPerImpression == config.dynamics.browseSecondsPerImpression / 60)
    }

    /// v = σ_play + σ_f(f − 0.5) + σ_q q + (σ_a − σ_aF F)a + Σσ_k = 0.25 + 0.25 + 0.25 + 0 + 0.5 for f = 0.75, q = 0.5,
    /// a = 1, F = 0.5 and a long view.
    @Test func playValueKnownAnswer() {
        let d = Self.dyadic
        #expect(d.playValue(watchFraction: 0.75, quality: 0.5, appeal: 1, fatigue: 0.5, tasks: Self.click | Self.longView) == 1.25)
        // A hate instead: 0.75 − 2; a fresh user (F = 0) likes the appeal: + 0.25.
        #expect(d.playValue(watchFraction: 0.75, quality: 0.5, appeal: 1, fatigue: 0.5, tasks: Self.click | Self.hate) == -1.25)
        #expect(d.playValue(watchFraction: 0.75, quality: 0.5, appeal: 1, fatigue: 0, tasks: Self.click) == 1)
        // Bits beyond the task count are ignored.
        #expect(d.playValue(watchFraction: 0.5, quality: 0, appeal: 0, fatigue: 0, tasks: Self.click | 1 << 9) == 0.25)
    }

    /// φ_play + φ_cb(a − q)⁺ + φ_min·w/60 = 0.25 + 0.5·0.5 + 0.125·2 for a = 0.75, q = 0.25, w = 120 s; no click-bait
    /// penalty when quality exceeds appeal.
    @Test func playFatigueKnownAnswer() {
        let d = Self.dyadic
        #expect(d.playFatigue(quality: 0.25, appeal: 0.75, watchSeconds: 120) == 0.75)
        #expect(d.playFatigue(quality: 0.75, appeal: 0.25, watchSeconds: 120) == 0.5)
        #expect(d.playFatigue(quality: 0, appeal: 0, watchSeconds: 0) == 0.25)
    }

    /// A request of a skip, a play of 90 s and an unexamined item: counts, clock, fatigue and item values by hand.
    @Test func requestTally() {
        let d = Self.dyadic
        var request = UserDynamics.Request()
        var fatigue: Float = 0
        d.examine(fatigue: &fatigue, request: &request)
        d.skip(request: &request)
        d.examine(fatigue: &fatigue, request: &request)
        #expect(fatigue == 0.125)
        d.play(watchFraction: 0.75, watchSeconds: 90, quality: 0.5, appeal: 1, tasks: Self.click | Self.longView,
               fatigue: &fatigue, request: &request)
        #expect(request.examined == 2)
        #expect(request.plays == 1)
        #expect(request.watchSeconds == 90)
        // Two browses of 7.5 s, then 90 s watched: 0.125 + 0.125 + 1.5 minutes.
        #expect(request.minutes == 1.75)
        // The play's value sees F = 0.125: 0.25 + 0.25 + 0.25 + (0.25 − 0.0625) + 0.5 = 1.4375; plus the skip.
        #expect(request.itemSatisfaction == -0.125 + 1.4375)
        // 0.125 + (0.25 + 0.5·0.5 + 0.125·1.5).
        #expect(fatigue == 0.8125)
    }

    /// S ← λS + (1 − λ)·Σv/examined, and S ← λS when nothing was examined.
    @Test func satisfactionEWMA() {
        let d = Self.dyadic
        var request = UserDynamics.Request()
        #expect(d.satisfaction(after: request, previous: 1) == 0.75)
        request.examined = 2
        request.itemSatisfaction = 1.5
        #expect(d.satisfaction(after: request, previous: 1) == 0.75 + 0.25 * 0.75)
        #expect(d.satisfaction(after: request, previous: 0) == 0.1875)
    }

    /// Boredom: +1 per play in a category, × δ_b per request, and halves every half-life between sessions.
    @Test func boredomDecayAndRecovery() {
        let d = Self.dyadic
        var boredom: [Float] = [0, 0, 0]
        boredom.withUnsafeMutableBufferPointer { b in
            d.bore(b.baseAddress!, category: 1)
            d.bore(b.baseAddress!, category: 1)
            d.bore(b.baseAddress!, category: 2)
            d.decayBoredom(b.baseAddress!, categories: 3)
        }
        #expect(boredom == [0, 1, 0.5])
        #expect(d.boredomRecovery(gapMinutes: 0) == 1)
        #expect(d.boredomRecovery(gapMinutes: 4 * 60) == 0.5)
        #expect(d.boredomRecovery(gapMinutes: 8 * 60) == 0.25)
        boredom.withUnsafeMutableBufferPointer { d.recoverBoredom($0.baseAddress!, categories: 3, gapMinutes: 4 * 60) }
        #expect(boredom == [0, 0.5, 0.25])
        // Recovery is monotone in the gap.
        let factors = [1.0, 30, 120, 600, 6_000].map { d.boredomRecovery(gapMinutes: $0) }
        #expect(zip(factors, factors.dropFirst()).allSatisfy { $0 > $1 })
    }

    /// x ← y/‖y‖, y = x + ρf(e − x): from (1, 0) toward (0, 1) with ρf = 0.5 lands on (1, 1)/√2.
    @Test func interestDriftKnownAnswer() {
        let d = Self.dyadic
        var x: [Float] = [1, 0]
        let e: [Float] = [0, 1]
        x.withUnsafeMutableBufferPointer { d.drift($0.baseAddress!, toward: e, dimension: 2, watchFraction: 1) }
        #expect(abs(x[0] - Float(0.5).squareRoot()) < 1e-7)
        #expect(abs(x[1] - Float(0.5).squareRoot()) < 1e-7)
    }

    /// Drift keeps interests on the unit sphere, moves them toward the item the more the longer it was watched,
    /// and does nothing at f = 0.
    @Test func interestDriftInvariants() {
        let world = Fixtures.tinyWorld
        let d = world.dynamics, dim = world.catalog.dimension
        let start = Array(world.population.latentInterests[0..<dim])
        let item = Array(world.catalog.latentEmbeddings[(5 * dim)..<(6 * dim)])
        func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        var previous = cosine(start, item)
        for f: Float in [0.25, 0.5, 1] {
            var x = start
            x.withUnsafeMutableBufferPointer { d.drift($0.baseAddress!, toward: item, dimension: dim, watchFraction: f) }
            #expect(abs(cosine(x, x) - 1) < 1e-5, "norm² \(cosine(x, x))")
            let now = cosine(x, item)
            #expect(now > previous, "f = \(f): cos \(now) ≤ \(previous)")
            previous = now
        }
        var x = start
        x.withUnsafeMutableBufferPointer { d.drift($0.baseAddress!, toward: item, dimension: dim, watchFraction: 0) }
        #expect(x == start)
    }

    /// The first session sets the EWMAs; later ones weigh the latest by ½.
    @Test func historyEWMA() {
        let d = Self.dyadic
        let first = d.history(after: HistoryObservables(), requests: 8, impressions: 32, plays: 8, gapMinutes: 90)
        #expect(first.sessions == 1)
        #expect(first.lastGapHours == 1.5)
        #expect(first.depthEWMA == 8)
        #expect(first.playRateEWMA == 0.25)
        let second = d.history(after: first, requests: 4, impressions: 0, plays: 0, gapMinutes: 30)
        #expect(second.sessions == 2)
        #expect(second.lastGapHours == 0.5)
        #expect(second.depthEWMA == 6)
        // No impressions: the play rate is 0 / max(0, 1).
        #expect(second.playRateEWMA == 0.125)
    }
}
