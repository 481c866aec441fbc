import Evaluation
import Numerics
import Simulator
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

    /// A deterministic target on a continuous action, through kernel-smoothed weights: s ∼ U(0, 1), behaviour
    /// uniform on the box [−1, 1], target a = s/2 − 0.2, reward s + a − a² + N(0, 0.1²). The truth is
    /// E[s + μ − μ²] = 0.5 + 0.05 − (1/12 − 0.1 + 0.04); smoothing with a Gaussian kernel of bandwidth h (interior
    /// locations, so truncation is negligible) estimates the smoothed policy's value, lower by Var(kernel) = h².
    @Test func kernelSmoothedIPSRecoversADeterministicTarget() throws {
        let line = ActionSpace(names: ["w.click"], low: [-1], high: [1], baseline: [0])
        let smoothing = try KernelSmoothing(kernel: .gaussian, bandwidths: [0.1])
        let truth = 0.55 - (1.0 / 12 - 0.1 + 0.04), smoothedTruth = truth - 0.01
        let n = 500
        var estimates = [Double]()
        for seed in 0..<200 {
            var stream = RandomStream(seed: UInt64(8000 + seed))
            let s = (0..<n).map { _ in stream.nextUniform() }
            let actions = Matrix(rows: n, columns: 1) { _, _ in Float(2 * stream.nextUniform() - 1) }
            let locations = Matrix(rows: n, columns: 1) { r, _ in Float(s[r] / 2 - 0.2) }
            let rewards = (0..<n).map { r -> Double in
                let a = Double(actions[r, 0])
                return s[r] + a - a * a + stream.normal(mean: 0, standardDeviation: 0.1)
            }
            let data = try LoggedDecisions(
                rewards: rewards, episodeOffsets: Array(0...n),
                behaviourLogDensities: [Double](repeating: -Elementary.log(2), count: n),
                target: .logDensities(try smoothing.logDensities(actions: actions, locations: locations, actionSpace: line)))
            estimates.append(try InverseProbabilityWeighting().estimate(EvaluationInput(data), estimand: .perRequestReward).value)
        }
        let (mean, se) = meanAndStandardError(estimates)
        #expect(abs(mean - smoothedTruth) < 4 * se, "kernel IPS: \(mean) ± \(se) vs smoothed truth \(smoothedTruth)")
        #expect(abs(mean - truth) < 0.03, "kernel IPS: \(mean) vs truth \(truth)")
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
