import Numerics
import Simulator
import Testing
import TestSupport

@Suite("Reward model")
struct RewardModelTests {
    /// ecommerce's tasks (click, cart, purchase, favorite, hate) and reward: ω = 0.1, cart 0.5, hate −2, γ = 0.1 on
    /// purchases; with a return weight ρ = 2.
    static let ecommerce: RewardModel = {
        var config = Fixtures.config("ecommerce")
        config.reward.returnWeight = 2
        config.reward.returnScaleHours = 4
        return RewardModel(config: config)
    }()

    static let click: UInt32 = 1, cart: UInt32 = 2, purchase: UInt32 = 4, favorite: UInt32 = 8, hate: UInt32 = 16

    @Test func componentNamesAndIndices() {
        let tiny = RewardModel(config: Fixtures.tinyConfig)
        #expect(tiny.componentNames == ["watchMinutes", "count.click", "count.longView", "count.hate", "gmvPrice", "returnBonus"])
        #expect(RewardModel.componentNames(taskNames: ["a"]) == ["watchMinutes", "count.a", "gmvPrice", "returnBonus"])
        #expect(tiny.componentCount == tiny.componentNames.count)
        #expect(tiny.componentNames[tiny.watchMinutesIndex] == "watchMinutes")
        #expect(tiny.componentNames[tiny.countIndex(task: 2)] == "count.hate")
        #expect(tiny.componentNames[tiny.gmvPriceIndex] == "gmvPrice")
        #expect(tiny.componentNames[tiny.returnBonusIndex] == "returnBonus")
        #expect(tiny.gmvTask == -1)
        #expect(tiny.taskValues == [0, 0, -2])
        let model = Self.ecommerce
        #expect(model.gmvTask == 2)
        #expect(model.taskValues == [0, 0.5, 0, 0, -2])
    }

    /// Per play, v_k for each realised task and γ·price for a purchase; the watch term once per request.
    @Test func requestKnownAnswer() {
        let model = Self.ecommerce
        var request = RewardModel.Request()
        model.addRealised(tasks: Self.click | Self.cart | Self.purchase, price: 40, to: &request)
        #expect(request.reward == 0.5 + 0.1 * 40)
        #expect(request.gmvPrice == 40)
        model.addRealised(tasks: Self.click | Self.hate, price: 1_000, to: &request)
        #expect(request.gmvPrice == 40)
        model.addRealised(tasks: Self.click | Self.cart | Self.purchase | Self.favorite, price: 12.5, to: &request)
        #expect(request.gmvPrice == 52.5)
        model.addWatchTime(seconds: 600, to: &request)
        let expected = 0.5 + 0.1 * 40 - 2 + 0.5 + 0.1 * 12.5 + 0.1 * 600 / 60
        #expect(abs(request.reward - expected) < 1e-12)
    }

    /// Without a GMV task, prices never count.
    @Test func noGMVTask() {
        var config = Fixtures.tinyConfig
        config.reward.gmv = 5
        let model = RewardModel(config: config)
        var request = RewardModel.Request()
        model.addRealised(tasks: 0b111, price: 100, to: &request)
        #expect(request.reward == -2)
        #expect(request.gmvPrice == 0)
    }

    /// B = e^{−g/60/scale}: 1 at no gap, e^{−1} after one scale, 0 when the user churns; the reward adds ρB.
    @Test func returnBonus() {
        let model = Self.ecommerce
        #expect(model.returnBonus(gapMinutes: nil) == 0)
        #expect(model.returnBonus(gapMinutes: 0) == 1)
        #expect(abs(model.returnBonus(gapMinutes: 240) - Elementary.exp(-1.0)) < 1e-15)
        let bonuses = [30.0, 60, 600, 6_000].map { model.returnBonus(gapMinutes: $0) }
        #expect(zip(bonuses, bonuses.dropFirst()).allSatisfy { $0 > $1 })
        #expect(model.returnReward(bonus: 0.25) == 0.5)
    }

    /// The components of a request, and the reward recomputed from them: exact here, where every component is a
    /// `Float` without rounding.
    @Test func rewardFromComponents() {
        let model = Self.ecommerce
        var components = model.components(watchSeconds: 90, taskCounts: [3, 2, 1, 0, 1], gmvPrice: 12.5)
        #expect(components == [1.5, 3, 2, 1, 0, 1, 12.5, 0])
        components[model.returnBonusIndex] = 0.5
        let expected = 0.1 * 1.5 + 0.5 * 2 - 2 * 1 + 0.1 * 12.5 + 2 * 0.5
        #expect(abs(model.reward(components: components) - expected) < 1e-12)
        // Each component enters with its own weight.
        let zero = [Float](repeating: 0, count: model.componentCount)
        #expect(model.reward(components: zero) == 0)
        for (index, weight) in [(model.watchMinutesIndex, 0.1), (model.countIndex(task: 1), 0.5), (model.countIndex(task: 4), -2),
                                (model.gmvPriceIndex, 0.1), (model.returnBonusIndex, 2)] {
            var one = zero
            one[index] = 1
            #expect(model.reward(components: one) == weight, "component \(model.componentNames[index])")
        }
    }
}
