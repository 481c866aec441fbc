import Numerics
import Simulator
import Testing
import TestSupport

@Suite("Return model")
struct ReturnModelTests {
    static let world = Fixtures.shrunkShortVideoWorld

    static func model(_ edit: (inout EnvironmentConfig) -> Void = { _ in }) -> ReturnModel {
        var config = world.config
        edit(&config)
        return ReturnModel(config: config, population: world.population)
    }

    /// S̄ = (1 − w)·mean(S) + w·S_T: w = 0 remembers the mean, w = 1 the end, w = ½ their average.
    @Test func peakEndWeight() {
        for (w, expected) in [(0.0, 0.25), (1.0, -0.5), (0.5, -0.125)] {
            let model = Self.model { $0.returnModel.endWeight = w }
            #expect(model.rememberedSatisfaction(mean: 0.25, end: -0.5) == expected, "w = \(w)")
        }
        let model = Self.model()
        #expect(model.meanSatisfaction(sum: 3, requests: 4) == 0.75)
        // An empty session divides by one.
        #expect(model.meanSatisfaction(sum: 0, requests: 0) == 0)
        #expect(model.meanSatisfaction(sum: 0.5, requests: 0) == 0.5)
    }

    /// p = σ(c₀ − c_S S̄) and g = g_min + exp(log(median) − σ_act z_u − β_S(S̄ − S_ref) + σε), by hand.
    @Test(arguments: [(0, -0.4, 0.0), (7, 0.3, 1.25), (42, 1.1, -2.0)])
    func knownAnswers(user: Int, remembered: Double, epsilon: Double) {
        let config = Self.world.config.returnModel, model = Self.model()
        let z = Double(Self.world.population.latentActivity[user])
        let p = 1 / (1 + Elementary.exp(-(config.churnIntercept - config.churnSatisfaction * remembered)))
        #expect(abs(model.churnProbability(remembered: remembered) - p) < 1e-15)
        let gap = config.minimumGapMinutes + config.medianExtraMinutes
            * Elementary.exp(-Self.world.config.users.activitySpread * z - config.satisfaction * (remembered - config.satisfactionReference)
                             + config.logSigma * epsilon)
        let got = model.gapMinutes(user: user, remembered: remembered, normal: epsilon)
        #expect(abs(got - gap) <= 1e-12 * gap, "\(got) vs \(gap)")
        #expect(got > config.minimumGapMinutes)
    }

    /// More satisfied users churn less and come back sooner; more active users come back sooner.
    @Test func monotoneInSatisfactionAndActivity() {
        let model = Self.model()
        let levels = [-2.0, -0.5, 0, 0.3, 1, 3]
        let churn = levels.map { model.churnProbability(remembered: $0) }
        #expect(zip(churn, churn.dropFirst()).allSatisfy { $0 > $1 }, "\(churn)")
        let gaps = levels.map { model.gapMinutes(user: 0, remembered: $0, normal: 0) }
        #expect(zip(gaps, gaps.dropFirst()).allSatisfy { $0 > $1 }, "\(gaps)")
        let activity = Self.world.population.latentActivity
        let users = activity.indices.sorted { activity[$0] < activity[$1] }
        let byActivity = [users.first!, users.last!].map { model.gapMinutes(user: $0, remembered: 0.3, normal: 0) }
        #expect(byActivity[0] > byActivity[1])
        // At S̄ = S_ref and ε = 0, the extra time is the median scaled by the user's activity.
        let config = Self.world.config
        let median = model.gapMinutes(user: 5, remembered: config.returnModel.satisfactionReference, normal: 0)
            - config.returnModel.minimumGapMinutes
        let expected = config.returnModel.medianExtraMinutes * Elementary.exp(-config.users.activitySpread * Double(activity[5]))
        #expect(abs(median - expected) <= 1e-12 * expected)
    }

    /// With w = 1 only the session's last satisfaction counts: the gap shortens with it whatever the mean.
    @Test func endOfSessionDecidesWithFullEndWeight() {
        let model = Self.model { $0.returnModel.endWeight = 1 }
        var stream = RandomStream(seed: 3, keys: 0)
        let ends: [Float] = [-1, 0, 0.5, 2]
        let gaps = ends.map { end -> Double in
            var s = stream
            return model.sample(user: 1, satisfactionSum: 10, requests: 5, endSatisfaction: end, startMinutes: 0,
                                durationMinutes: 10, stream: &s).gapMinutes
        }
        #expect(zip(gaps, gaps.dropFirst()).allSatisfy { $0 > $1 }, "\(gaps)")
        let a = model.sample(user: 1, satisfactionSum: -10, requests: 5, endSatisfaction: 0.5, startMinutes: 0,
                             durationMinutes: 10, stream: &stream)
        #expect(a.gapMinutes == gaps[2])
        #expect(a.rememberedSatisfaction == 0.5)
        #expect(a.meanSatisfaction == -2)
    }

    /// `sample` draws U then ε whatever the outcome, and ends the episode by churn, at the horizon, or returns.
    @Test func sampleDrawsAndEnds() {
        let model = Self.model()
        var stream = RandomStream(seed: 11, keys: 4), copy = stream
        let outcome = model.sample(user: 2, satisfactionSum: 1.2, requests: 4, endSatisfaction: 0.1, startMinutes: 100,
                                   durationMinutes: 20, stream: &stream)
        let remembered = model.rememberedSatisfaction(mean: 0.3, end: 0.1)
        #expect(outcome.rememberedSatisfaction == remembered)
        #expect(outcome.churnProbability == model.churnProbability(remembered: remembered))
        let u = copy.nextUniform(), epsilon = copy.normal()
        #expect(outcome.churned == (u < outcome.churnProbability))
        #expect(outcome.gapMinutes == model.gapMinutes(user: 2, remembered: remembered, normal: epsilon))
        #expect(outcome.nextStartMinutes == 100 + 20 + outcome.gapMinutes)
        #expect(stream.nextUniform() == copy.nextUniform())

        // Certain churn still draws ε.
        let churning = Self.model { $0.returnModel.churnIntercept = 1_000 }
        var a = RandomStream(seed: 5, keys: 0), b = a
        let churned = churning.sample(user: 0, satisfactionSum: 0, requests: 1, endSatisfaction: 0, startMinutes: 0,
                                      durationMinutes: 1, stream: &a)
        #expect(churned.end == .churned && churned.churned)
        _ = b.nextUniform()
        _ = b.normal()
        #expect(a.nextUniform() == b.nextUniform())

        // Never churning: the horizon decides between returning and the episode's end.
        let staying = Self.model { $0.returnModel.churnIntercept = -1_000 }
        var s = RandomStream(seed: 6, keys: 0)
        let early = staying.sample(user: 0, satisfactionSum: 0, requests: 1, endSatisfaction: 0, startMinutes: 0,
                                   durationMinutes: 1, stream: &s)
        #expect(early.end == .returned)
        #expect(staying.horizonMinutes == Self.world.config.episode.horizonDays * 1440)
        var t = RandomStream(seed: 6, keys: 0)
        let late = staying.sample(user: 0, satisfactionSum: 0, requests: 1, endSatisfaction: 0,
                                  startMinutes: staying.horizonMinutes - 1, durationMinutes: 1, stream: &t)
        #expect(late.end == .horizon)
    }
}
