import Evaluation
import Numerics
import Testing
import TestSupport

/// Unbiased estimators average to the known truth over many seeded datasets (within 4 standard errors of the mean
/// over datasets), and a biased one does not.
@Suite("Unbiasedness")
struct UnbiasednessTests {
    /// The one-step bandit (`Synthetic.Bandit`): IPS and DR are unbiased, DR even with a reward model that is off by
    /// 0.2, while DM carries that bias.
    @Test func banditIPSAndDRAreUnbiased() throws {
        let datasets = 200
        var ips = [Double](), dr = [Double](), dm = [Double](), snips = [Double]()
        for seed in 0..<datasets {
            let input = try EvaluationInput(Synthetic.Bandit.data(steps: 300, episodeLength: 3, seed: UInt64(100 + seed)))
            ips.append(try InverseProbabilityWeighting().estimate(input, estimand: .perRequestReward).value)
            dr.append(try DoublyRobust().estimate(input, estimand: .perRequestReward).value)
            dm.append(try DirectMethod().estimate(input, estimand: .perRequestReward).value)
            snips.append(try SelfNormalizedInverseProbabilityWeighting().estimate(input, estimand: .perRequestReward).value)
        }
        let truth = Synthetic.Bandit.truth
        for (name, values) in [("IPS", ips), ("DR", dr)] {
            let (mean, se) = meanAndStandardError(values)
            #expect(abs(mean - truth) < 4 * se, "\(name): \(mean) ± \(se) vs \(truth)")
        }
        let (dmMean, dmSE) = meanAndStandardError(dm)
        #expect(abs(dmMean - (truth + Synthetic.Bandit.modelBias)) < 4 * dmSE, "DM: \(dmMean) ± \(dmSE)")
        // SNIPS is consistent: its bias at n = 300 is far below the spread of one estimate.
        let (snipsMean, _) = meanAndStandardError(snips)
        #expect(abs(snipsMean - truth) < 0.2 * RunningStatistics(snips).standardDeviation + 0.01, "SNIPS: \(snipsMean)")
    }

    /// The two-state chain (`Synthetic.Chain`): trajectory IS, PDIS and sequential DR are unbiased for the discounted
    /// return; DR with the exact Q̂ has a far smaller variance than PDIS; the weighted estimators are close.
    @Test func chainPDISAndDRAreUnbiasedAndDRHasLowerVariance() throws {
        let datasets = 300
        var trajectory = [Double](), pdis = [Double](), dr = [Double](), wpdis = [Double](), wdr = [Double]()
        for seed in 0..<datasets {
            let input = try EvaluationInput(Synthetic.Chain.data(episodes: 100, seed: UInt64(500 + seed)))
            trajectory.append(try TrajectoryImportanceSampling().estimate(input, estimand: .discountedReturn).value)
            pdis.append(try PerDecisionImportanceSampling().estimate(input, estimand: .discountedReturn).value)
            dr.append(try PerDecisionDoublyRobust().estimate(input, estimand: .discountedReturn).value)
            wpdis.append(try WeightedPerDecisionImportanceSampling().estimate(input, estimand: .discountedReturn).value)
            wdr.append(try WeightedDoublyRobust().estimate(input, estimand: .discountedReturn).value)
        }
        let truth = Synthetic.Chain.truth
        for (name, values) in [("trajectory IS", trajectory), ("PDIS", pdis), ("DR", dr)] {
            let (mean, se) = meanAndStandardError(values)
            #expect(abs(mean - truth) < 4 * se, "\(name): \(mean) ± \(se) vs \(truth)")
        }
        let pdisSD = RunningStatistics(pdis).standardDeviation, drSD = RunningStatistics(dr).standardDeviation
        #expect(drSD < 0.7 * pdisSD, "DR sd \(drSD) vs PDIS sd \(pdisSD)")
        #expect(RunningStatistics(trajectory).standardDeviation > pdisSD)
        for (name, values) in [("WPDIS", wpdis), ("WDR", wdr)] {
            let (mean, se) = meanAndStandardError(values)
            #expect(abs(mean - truth) < 0.1 * RunningStatistics(values).standardDeviation + 4 * se, "\(name): \(mean) vs \(truth)")
        }
    }

    /// Reward per user-day is the undiscounted return's estimate over the mean user-days.
    @Test func rewardPerUserDayIsTheUndiscountedReturnOverUserDays() throws {
        let data = try Synthetic.Chain.data(episodes: 50, seed: 9, exactModel: false)
        var undiscounted = data
        undiscounted.discounts = [Double](repeating: 1, count: data.steps)
        let input = try EvaluationInput(data), plain = try EvaluationInput(undiscounted)
        for estimator: any Estimator in [TrajectoryImportanceSampling(), PerDecisionImportanceSampling(),
                                          WeightedPerDecisionImportanceSampling()] {
            let perDay = try estimator.estimate(input, estimand: .rewardPerUserDay)
            let total = try estimator.estimate(plain, estimand: .discountedReturn)
            assertClose(perDay.value, total.value / 7, relative: 1e-12, estimator.name)
            assertClose(perDay.episodeTerms, total.episodeTerms.map { $0 / 7 }, relative: 1e-10, absolute: 1e-12, estimator.name)
        }
    }
}
