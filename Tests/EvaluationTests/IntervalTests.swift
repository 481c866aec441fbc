import Evaluation
import Numerics
import Testing
import TestSupport

/// Intervals over episodes: the t and bootstrap intervals cover a known value at about the nominal rate over
/// repeated seeded draws, the bootstrap depends only on its seed, and empirical Bernstein is wider than t but covers.
@Suite("Intervals")
struct IntervalTests {
    /// Coverage of 95% intervals over 200 repetitions: the binomial standard deviation of the rate is 1.5 points,
    /// so [88%, 99.5%] fails a correct interval with probability below 10⁻³.
    static let repetitions = 200, acceptedCoverage = 0.88...0.995

    @Test func tAndBootstrapCoverIPSOnTheBandit() throws {
        var tCovers = 0, bootstrapCovers = 0, snipsCovers = 0
        for r in 0..<Self.repetitions {
            let input = try EvaluationInput(Synthetic.Bandit.data(steps: 200, episodeLength: 1, seed: UInt64(2000 + r)))
            let ips = try InverseProbabilityWeighting().estimate(input, estimand: .perRequestReward)
            if ips.statistic.tInterval(level: 0.95).contains(Synthetic.Bandit.truth) { tCovers += 1 }
            let bootstrap = try ips.statistic.bootstrapInterval(level: 0.95, resamples: 200, seed: UInt64(r))
            if bootstrap.interval.contains(Synthetic.Bandit.truth) { bootstrapCovers += 1 }
            let snips = try SelfNormalizedInverseProbabilityWeighting().estimate(input, estimand: .perRequestReward)
            if snips.statistic.tInterval(level: 0.95).contains(Synthetic.Bandit.truth) { snipsCovers += 1 }
        }
        let n = Double(Self.repetitions)
        #expect(Self.acceptedCoverage.contains(Double(tCovers) / n), "t covers \(tCovers)/\(Self.repetitions)")
        #expect(Self.acceptedCoverage.contains(Double(bootstrapCovers) / n), "bootstrap covers \(bootstrapCovers)/\(Self.repetitions)")
        #expect(Self.acceptedCoverage.contains(Double(snipsCovers) / n), "SNIPS (delta method) covers \(snipsCovers)/\(Self.repetitions)")
    }

    /// Sequential estimators, episodes as units: PDIS's and WDR's t-intervals on the chain.
    @Test func tCoversSequentialEstimatesOnTheChain() throws {
        var pdisCovers = 0, wdrCovers = 0, wdrBootstrapCovers = 0
        for r in 0..<Self.repetitions {
            let input = try EvaluationInput(Synthetic.Chain.data(episodes: 150, seed: UInt64(4000 + r)))
            let pdis = try PerDecisionImportanceSampling().estimate(input, estimand: .discountedReturn)
            if pdis.statistic.tInterval().contains(Synthetic.Chain.truth) { pdisCovers += 1 }
            let wdr = try WeightedDoublyRobust().estimate(input, estimand: .discountedReturn)
            if wdr.statistic.tInterval().contains(Synthetic.Chain.truth) { wdrCovers += 1 }
            if r < 50, try wdr.statistic.bootstrapInterval(resamples: 100, seed: UInt64(r)).interval.contains(Synthetic.Chain.truth) {
                wdrBootstrapCovers += 1
            }
        }
        let n = Double(Self.repetitions)
        #expect(Self.acceptedCoverage.contains(Double(pdisCovers) / n), "PDIS covers \(pdisCovers)/\(Self.repetitions)")
        #expect(Self.acceptedCoverage.contains(Double(wdrCovers) / n), "WDR covers \(wdrCovers)/\(Self.repetitions)")
        #expect(wdrBootstrapCovers >= 42, "WDR bootstrap covers \(wdrBootstrapCovers)/50")
    }

    @Test func bootstrapDependsOnlyOnItsSeed() throws {
        let input = try EvaluationInput(Synthetic.Chain.data(episodes: 80, seed: 3))
        let estimate = try WeightedDoublyRobust().estimate(input, estimand: .discountedReturn)
        let a = try estimate.statistic.bootstrapInterval(resamples: 300, seed: 42)
        let b = try estimate.statistic.bootstrapInterval(resamples: 300, seed: 42)
        let c = try estimate.statistic.bootstrapInterval(resamples: 300, seed: 43)
        #expect(a == b)
        #expect(a.interval.lower != c.interval.lower || a.interval.upper != c.interval.upper)
        #expect(a.undefinedResamples == 0 && a.interval.estimate == estimate.value)
        #expect(a.interval.lower < estimate.value && estimate.value < a.interval.upper)
    }

    /// On-policy IPS of rewards uniform on [0, 1]: each episode's term lies in [0, 1], the stated range.
    @Test func empiricalBernsteinIsWiderThanTAndCovers() throws {
        var covers = 0
        for r in 0..<Self.repetitions {
            var stream = RandomStream(seed: UInt64(6000 + r))
            let m = 100
            let rewards = (0..<m).map { _ in stream.nextUniform() }
            let densities = (0..<m).map { _ in stream.normal(mean: 0, standardDeviation: 1) }
            let data = try LoggedDecisions(rewards: rewards, episodeOffsets: Array(0...m),
                                           behaviourLogDensities: densities, target: .logDensities(densities))
            let estimate = try InverseProbabilityWeighting().estimate(try EvaluationInput(data), estimand: .perRequestReward)
            let bernstein = try estimate.statistic.empiricalBernsteinInterval(level: 0.95, termRange: 0...1)
            let t = estimate.statistic.tInterval(level: 0.95)
            #expect(bernstein.lower < t.lower && bernstein.upper > t.upper)
            if bernstein.contains(0.5) { covers += 1 }
        }
        #expect(covers >= Self.repetitions - 2, "empirical Bernstein covers \(covers)/\(Self.repetitions)")
    }

    /// Terms above the stated upper limit are clipped for the lower bound (Thomas et al. 2015), and leave no upper
    /// bound; terms below the lower limit leave no lower bound.
    @Test func empiricalBernsteinClipping() throws {
        let statistic = RatioStatistic(numerators: [[0.2, 0.4, 5, 0.3]], denominators: [[1, 1, 1, 1]])
        let clipped = try statistic.empiricalBernsteinInterval(level: 0.9, termRange: 0...1)
        #expect(clipped.upper == .infinity && clipped.lower.isFinite)
        let reference = RatioStatistic(numerators: [[0.2, 0.4, 1, 0.3]], denominators: [[1, 1, 1, 1]])
        #expect(try reference.empiricalBernsteinInterval(level: 0.9, termRange: 0...1).lower == clipped.lower)
        let below = try statistic.empiricalBernsteinInterval(level: 0.9, termRange: 0.25...10)
        #expect(below.lower == -.infinity && below.upper.isFinite)
        #expect(throws: EvaluationError.self) { try statistic.empiricalBernsteinInterval(termRange: 1...1) }
    }
}
