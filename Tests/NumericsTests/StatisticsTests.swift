import Numerics
import TestSupport
import Testing

@Suite("Statistics")
struct StatisticsTests {
    @Test func aucHandWorkedCases() {
        #expect(rocAUC(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true]) == 0.75)
        #expect(rocAUC(scores: [0.5, 0.5, 0.5, 0.5], labels: [false, true, false, true]) == 0.5)
        #expect(rocAUC(scores: [1, 2, 3, 4] as [Float], labels: [false, false, true, true]) == 1)
        #expect(rocAUC(scores: [4, 3, 2, 1] as [Float], labels: [false, false, true, true]) == 0)
        // Positive 0.5 ties one negative 0.5 (½) and beats 0.2 (1): (1.5 + 1 + 1... ) see pairs below.
        // pairs (pos, neg): (0.5, 0.2)=1, (0.5, 0.5)=½, (0.9, 0.2)=1, (0.9, 0.5)=1 → 3.5 / 4.
        #expect(rocAUC(scores: [0.2, 0.5, 0.5, 0.9], labels: [false, false, true, true]) == 0.875)
        #expect(rocAUC(scores: [0.3, 0.7], labels: [true, true]).isNaN)
        #expect(rocAUC(scores: [Double](), labels: []).isNaN)
    }

    @Test func aucMatchesPairCounting() {
        var stream = RandomStream(seed: 21)
        let n = 400
        let labels = (0..<n).map { _ in stream.bernoulli(0.3) }
        // Coarse scores so that many ties occur; positives score higher on average.
        let scores = labels.map { Float((stream.normal() + ($0 ? 0.8 : 0)) * 4).rounded() / 4 }
        var wins = 0.0
        var pairs = 0.0
        for i in 0..<n where labels[i] {
            for j in 0..<n where !labels[j] {
                pairs += 1
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0
            }
        }
        assertClose(rocAUC(scores: scores, labels: labels), wins / pairs, relative: 1e-12)
    }

    @Test func logLossKnownValues() {
        assertClose(logLoss(probabilities: [0.9, 0.2], labels: [true, false]),
                    -(Elementary.log(0.9) + Elementary.log(0.8)) / 2)
        assertClose(logLoss(probabilities: [0.5], labels: [true]), 0.6931471805599453)
        // Clipping at ε = 1e-7: a confident mistake costs −log(1e-7).
        assertClose(logLoss(probabilities: [0.0], labels: [true]), 16.11809565095832, relative: 1e-9)
        assertClose(logLoss(probabilities: [1.0] as [Float], labels: [false]), 16.11809565095832, relative: 1e-6)
        assertClose(logLoss(probabilities: [1.0], labels: [true]), 1.00000005e-7, relative: 1e-6)
        #expect(logLoss(probabilities: [Double](), labels: []).isNaN)
    }

    @Test func welfordAgreesWithTwoPass() {
        var stream = RandomStream(seed: 22)
        // A large offset makes the naive Σx² − n·x̄² formula lose every digit; Welford must not.
        let values = (0..<10_000).map { _ in 1e9 + stream.normal(mean: 0, standardDeviation: 3) }
        let mean = values.reduce(0, +) / Double(values.count)
        let twoPassVariance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        let stats = RunningStatistics(values)
        #expect(stats.count == values.count)
        assertClose(stats.mean, mean, relative: 1e-14)
        assertClose(stats.variance, twoPassVariance, relative: 1e-8)
        #expect(stats.minimum == values.min() && stats.maximum == values.max())
        assertClose(stats.populationVariance, twoPassVariance * Double(values.count - 1) / Double(values.count), relative: 1e-8)
        assertClose(stats.standardError, (twoPassVariance / Double(values.count)).squareRoot(), relative: 1e-8)

        var merged = RunningStatistics(values[..<3000])
        merged.merge(RunningStatistics(values[3000...]))
        #expect(merged.count == stats.count)
        assertClose(merged.mean, stats.mean, relative: 1e-14)
        assertClose(merged.variance, stats.variance, relative: 1e-8)
        #expect(merged.minimum == stats.minimum && merged.maximum == stats.maximum)
        #expect(RunningStatistics().merged(with: stats) == stats)
        #expect(stats.merged(with: RunningStatistics()) == stats)
    }

    @Test func smallSummaries() {
        let empty = RunningStatistics()
        #expect(empty.count == 0 && empty.mean.isNaN && empty.variance.isNaN)
        let one = RunningStatistics([4])
        #expect(one.mean == 4 && one.variance.isNaN && one.populationVariance == 0)
        let few = RunningStatistics([2, 4, 4, 4, 5, 5, 7, 9])
        #expect(few.mean == 5 && few.populationVariance == 4)
        assertClose(few.variance, 32.0 / 7)
    }

    @Test func typeSevenQuantiles() {
        let values = [4.0, 1, 3, 2]
        #expect(quantile(values, 0) == 1)
        #expect(quantile(values, 1) == 4)
        #expect(quantile(values, 0.5) == 2.5)
        #expect(quantile(values, 0.25) == 1.75)
        assertClose(quantile(values, 0.9), 3.7)
        #expect(quantile([7], 0.3) == 7)
        #expect(quantiles([10, 20, 30, 40, 50], [0.1, 0.5, 0.95]) == [14, 30, 48])
    }

    @Test func studentTQuantilesMatchTables() {
        // Reference values from scipy.stats.t.ppf (SciPy 1.17).
        let cases: [(p: Double, nu: Double, t: Double)] = [
            (0.975, 4, 2.7764451051977934), (0.975, 29, 2.045229642132703), (0.95, 1, 6.313751514675037),
            (0.995, 10, 3.16927267261695), (0.975, 2, 4.302652729749462), (0.999, 3, 10.214531852407383),
            (1e-6, 2.5, -220.17342917823686), (0.9, 1000, 1.2823987214609247), (0.975, 3.5, 2.9400886379827282),
        ]
        for c in cases {
            assertClose(StudentT.quantile(c.p, degreesOfFreedom: c.nu), c.t, relative: 1e-10, "t(\(c.p), \(c.nu))")
            assertClose(StudentT.cdf(c.t, degreesOfFreedom: c.nu), c.p, relative: 1e-10, "cdf at t(\(c.p), \(c.nu))")
        }
        assertClose(StudentT.quantile(0.025, degreesOfFreedom: 4), -2.7764451051977934, relative: 1e-10)
        #expect(StudentT.quantile(0.5, degreesOfFreedom: 7) == 0)
        assertClose(StudentT.cdf(-3, degreesOfFreedom: 5), 0.015049623948731293, relative: 1e-10)
        assertClose(StudentT.cdf(0.5, degreesOfFreedom: 7.5), 0.6842945176887727, relative: 1e-10)
        assertClose(StudentT.cdf(40, degreesOfFreedom: 3), 0.9999828096596054, relative: 1e-12)
    }

    @Test func normalQuantilesAndIncompleteBeta() {
        assertClose(StandardNormal.quantile(0.975), 1.959963984540054, relative: 1e-13)
        assertClose(StandardNormal.quantile(0.3), -0.5244005127080409, relative: 1e-13)
        assertClose(StandardNormal.quantile(1e-10), -6.361340902404056, relative: 1e-13)
        assertClose(StandardNormal.quantile(1e-300), -37.0470962993612, relative: 1e-12)
        #expect(StandardNormal.quantile(0) == -.infinity && StandardNormal.quantile(1) == .infinity)
        // Reference values from scipy.special.betainc.
        assertClose(SpecialFunctions.regularizedIncompleteBeta(0.4, a: 2, b: 3), 0.5248, relative: 1e-12)
        assertClose(SpecialFunctions.regularizedIncompleteBeta(0.1, a: 0.5, b: 0.5), 0.20483276469913345, relative: 1e-12)
        assertClose(SpecialFunctions.regularizedIncompleteBeta(0.9, a: 10, b: 20), 0.9999999999999593, relative: 1e-14)
        assertClose(SpecialFunctions.regularizedIncompleteBeta(0.6, a: 100, b: 50), 0.044424097290243846, relative: 1e-10)
    }

    @Test func tIntervalByHand() {
        let interval = tInterval(values: [1, 2, 3, 4, 5], level: 0.95)
        let half = 2.7764451051977934 * (2.5 / 5).squareRoot()
        #expect(interval.estimate == 3 && interval.level == 0.95)
        assertClose(interval.lower, 3 - half, relative: 1e-10)
        assertClose(interval.upper, 3 + half, relative: 1e-10)
        assertClose(interval.halfWidth, half, relative: 1e-10)
        let one = tInterval(values: [2])
        #expect(one.lower == -.infinity && one.upper == .infinity && one.estimate == 2)
    }

    @Test func tIntervalCoversAtItsLevel() {
        var stream = RandomStream(seed: 23)
        var covered = 0
        let trials = 2000
        for _ in 0..<trials {
            let values = (0..<5).map { _ in stream.normal(mean: 1, standardDeviation: 2) }
            if tInterval(values: values, level: 0.9).contains(1) { covered += 1 }
        }
        // Exact for normal data: coverage 0.9 ± 5 binomial standard errors (0.0067).
        #expect(abs(Double(covered) / Double(trials) - 0.9) < 0.034, "coverage \(covered)/\(trials)")
    }

    @Test func bootstrapIntervalCoversTheMean() {
        var stream = RandomStream(seed: 24)
        let values = (0..<200).map { _ in stream.normal(mean: 10, standardDeviation: 2) }
        var rng = RandomStream(seed: 25)
        // At level 0.999 a single interval misses the true mean only once in a thousand data sets.
        let interval = bootstrapConfidenceInterval(values: values, level: 0.999, resamples: 2000, rng: &rng)
        #expect(interval.contains(10), "\(interval)")
        assertClose(interval.estimate, RunningStatistics(values).mean, relative: 1e-14)
        // Width ≈ 2 · 3.29 · σ/√n = 0.931.
        #expect(abs(interval.upper - interval.lower - 0.931) < 0.15, "\(interval)")

        var coverage = 0
        let datasets = 100
        for _ in 0..<datasets {
            let sample = (0..<40).map { _ in stream.exponential(rate: 1) }
            let ci = bootstrapConfidenceInterval(values: sample, statistic: { RunningStatistics($0).mean },
                                                 level: 0.9, resamples: 400, rng: &rng)
            if ci.contains(1) { coverage += 1 }
        }
        #expect(coverage >= 78 && coverage <= 98, "bootstrap coverage \(coverage)/\(datasets)")
    }

    @Test func bootstrapIsDeterministicForASeed() {
        let values = (1...30).map(Double.init)
        var a = RandomStream(seed: 26)
        var b = RandomStream(seed: 26)
        let median = { (xs: [Double]) in quantile(xs, 0.5) }
        #expect(bootstrapConfidenceInterval(values: values, statistic: median, resamples: 200, rng: &a)
                == bootstrapConfidenceInterval(values: values, statistic: median, resamples: 200, rng: &b))
    }
}
