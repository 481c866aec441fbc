#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Numerics
import TestSupport
import Testing

/// Checks the sample mean within `z` standard errors and the sample variance within `varianceTolerance` (relative).
private func expectMoments(_ stats: RunningStatistics, mean: Double, variance: Double, varianceTolerance: Double,
                           z: Double = 5, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let standardError = (variance / Double(stats.count)).squareRoot()
    assertClose(stats.mean, mean, relative: 0, absolute: z * standardError, "\(name) mean", sourceLocation: sourceLocation)
    assertClose(stats.variance, variance, relative: varianceTolerance, "\(name) variance", sourceLocation: sourceLocation)
}

/// The Kolmogorov–Smirnov distance between the empirical CDF of `samples` and `cdf`.
private func ksDistance(_ samples: [Double], cdf: (Double) -> Double) -> Double {
    let sorted = samples.sorted()
    let n = Double(sorted.count)
    var distance = 0.0
    for (i, x) in sorted.enumerated() {
        let f = cdf(x)
        distance = max(distance, abs(f - Double(i) / n), abs(Double(i + 1) / n - f))
    }
    return distance
}

/// Critical KS distance at α = 0.001.
private func ksCritical(_ n: Int) -> Double { 1.949 / Double(n).squareRoot() }

private func sample(_ n: Int, seed: UInt64, _ draw: (inout RandomStream) -> Double) -> [Double] {
    var stream = RandomStream(seed: seed)
    return (0..<n).map { _ in draw(&stream) }
}

@Suite("Distributions")
struct DistributionTests {
    @Test func normalMatchesTheNormalCDF() {
        let n = 200_000
        let xs = sample(n, seed: 1) { $0.normal() }
        let stats = RunningStatistics(xs)
        expectMoments(stats, mean: 0, variance: 1, varianceTolerance: 0.02, "normal")
        #expect(ksDistance(xs, cdf: StandardNormal.cdf) < ksCritical(n))
        // The tail beyond the ziggurat radius r = 3.6541… (probability 2·Q(r) ≈ 2.58e-4) is reached and right.
        let tail = xs.filter { abs($0) > 3.6541528853610088 }.count
        let expected = Double(n) * 2 * (1 - StandardNormal.cdf(3.6541528853610088))
        #expect(abs(Double(tail) - expected) < 5 * expected.squareRoot(), "tail count \(tail), expected \(expected)")
        #expect(xs.contains { $0 > 3.6541528853610088 } && xs.contains { $0 < -3.6541528853610088 })
        let fourth = xs.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(n)
        assertClose(fourth, 3, relative: 0.05, "normal kurtosis")
    }

    @Test func normalWithParametersAndFloat() {
        expectMoments(RunningStatistics(sample(100_000, seed: 2) { $0.normal(mean: -3, standardDeviation: 2) }),
                      mean: -3, variance: 4, varianceTolerance: 0.03, "normal(-3, 2)")
        var stream = RandomStream(seed: 3)
        let floats = (0..<100_000).map { _ in Double(stream.normalFloat()) }
        expectMoments(RunningStatistics(floats), mean: 0, variance: 1, varianceTolerance: 0.03, "normalFloat")
    }

    @Test func logNormalExponentialLogistic() {
        let (mu, sigma) = (0.5, 0.4)
        let logNormalVariance = (Elementary.exp(sigma * sigma) - 1) * Elementary.exp(2 * mu + sigma * sigma)
        expectMoments(RunningStatistics(sample(100_000, seed: 4) { $0.logNormal(mu: mu, sigma: sigma) }),
                      mean: Elementary.exp(mu + sigma * sigma / 2), variance: logNormalVariance, varianceTolerance: 0.05,
                      "logNormal")
        let exponentials = sample(100_000, seed: 5) { $0.exponential(rate: 2.5) }
        expectMoments(RunningStatistics(exponentials), mean: 0.4, variance: 0.16, varianceTolerance: 0.04, "exponential")
        #expect(ksDistance(exponentials) { 1 - Elementary.exp(-2.5 * $0) } < ksCritical(100_000))
        let logistics = sample(100_000, seed: 6) { $0.logistic() }
        expectMoments(RunningStatistics(logistics), mean: 0, variance: Double.pi * Double.pi / 3, varianceTolerance: 0.04,
                      "logistic")
        #expect(ksDistance(logistics) { Elementary.sigmoid($0) } < ksCritical(100_000))
    }

    @Test(arguments: [0.05, 0.3, 1, 2.5, 10])
    func gammaMoments(shape: Double) {
        let scale = 1.5
        let xs = sample(100_000, seed: 7) { $0.gamma(shape: shape, scale: scale) }
        #expect(xs.allSatisfy { $0 >= 0 && $0.isFinite })
        let stats = RunningStatistics(xs)
        expectMoments(stats, mean: shape * scale, variance: shape * scale * scale,
                      varianceTolerance: shape < 0.5 ? 0.15 : 0.05, "gamma(\(shape))")
        // The mean of log X is ψ(k) + log θ; check through the exponential case where ψ(1) = −γ.
        if shape == 1 {
            let meanLog = xs.reduce(0) { $0 + Elementary.log($1) } / Double(xs.count)
            assertClose(meanLog, -0.5772156649015329 + Elementary.log(scale), absolute: 0.02, "E log X")
        }
    }

    @Test(arguments: [(0.5, 0.5), (2.0, 5.0), (0.1, 0.2), (30.0, 10.0)])
    func betaMoments(a: Double, b: Double) {
        let xs = sample(100_000, seed: 8) { $0.beta(a, b) }
        #expect(xs.allSatisfy { $0 >= 0 && $0 <= 1 })
        let s = a + b
        expectMoments(RunningStatistics(xs), mean: a / s, variance: a * b / (s * s * (s + 1)), varianceTolerance: 0.04,
                      "beta(\(a), \(b))")
        if a == 0.5 && b == 0.5 {
            // Beta(1/2, 1/2) is the arcsine law: F(x) = (2/π) asin(√x).
            let ks = ksDistance(xs) { 2 / Double.pi * asin($0.squareRoot()) }
            #expect(ks < ksCritical(100_000))
        }
    }

    @Test(arguments: [0.0, 0.03, 0.5, 0.97, 1.0])
    func bernoulliFrequency(p: Double) {
        var stream = RandomStream(seed: 9)
        let n = 100_000
        var hits = 0
        for _ in 0..<n where stream.bernoulli(p) { hits += 1 }
        let sd = (Double(n) * p * (1 - p)).squareRoot()
        #expect(abs(Double(hits) - Double(n) * p) <= 5 * sd, "p = \(p): \(hits) hits")
    }

    @Test(arguments: [0.2, 3.0, 9.9, 10.0, 25.0, 1000.0])
    func poissonMoments(mean: Double) {
        let xs = sample(100_000, seed: 10) { Double($0.poisson(mean: mean)) }
        #expect(xs.allSatisfy { $0 >= 0 && $0 == $0.rounded() })
        expectMoments(RunningStatistics(xs), mean: mean, variance: mean, varianceTolerance: 0.04, "poisson(\(mean))")
        let zeros = Double(xs.filter { $0 == 0 }.count) / Double(xs.count)
        assertClose(zeros, Elementary.exp(-mean), absolute: 0.005, "P(0)")
    }

    struct Truncation: CustomTestStringConvertible, Sendable {
        var lower: Double, upper: Double
        var testDescription: String { "[\(lower), \(upper)]" }
    }

    @Test(arguments: [Truncation(lower: -1, upper: 1), Truncation(lower: -3, upper: 3), Truncation(lower: -0.2, upper: 5),
                      Truncation(lower: 2, upper: 2.3), Truncation(lower: 5, upper: .infinity),
                      Truncation(lower: 0, upper: .infinity), Truncation(lower: -.infinity, upper: -4),
                      Truncation(lower: 8, upper: 9), Truncation(lower: -.infinity, upper: .infinity)])
    func truncatedNormalMatchesItsCDF(_ t: Truncation) {
        let (mean, sd) = (1.0, 2.0)
        let n = 50_000
        let xs = sample(n, seed: 11) { $0.truncatedNormal(mean: mean, standardDeviation: sd, lower: t.lower, upper: t.upper) }
        #expect(xs.allSatisfy { $0 >= t.lower && $0 <= t.upper }, "\(t.testDescription)")
        let a = (t.lower - mean) / sd
        let b = (t.upper - mean) / sd
        // Upper tails Q(z) = Φ(−z) keep the CDF accurate far to the right; lower tails to the left.
        let cdf: (Double) -> Double
        if a > 0 {
            let (qa, qb) = (StandardNormal.cdf(-a), StandardNormal.cdf(-b))
            cdf = { (qa - StandardNormal.cdf(-(($0 - mean) / sd))) / (qa - qb) }
        } else {
            let (pa, pb) = (StandardNormal.cdf(a), StandardNormal.cdf(b))
            cdf = { (StandardNormal.cdf(($0 - mean) / sd) - pa) / (pb - pa) }
        }
        let ks = ksDistance(xs, cdf: cdf)
        #expect(ks < ksCritical(n), "\(t.testDescription): KS distance \(ks)")
    }

    @Test func aliasTableFrequencies() {
        let weights = [1.0, 2, 3, 4, 0, 10, 0.01]
        let table = AliasTable(weights: weights)
        #expect(table.count == weights.count)
        let total = weights.reduce(0, +)
        for i in weights.indices { assertClose(table.probability(of: i), weights[i] / total) }
        var stream = RandomStream(seed: 12)
        let n = 200_000
        var counts = [Int](repeating: 0, count: weights.count)
        for _ in 0..<n { counts[table.sample(&stream)] += 1 }
        #expect(counts[4] == 0)
        let statistic = chiSquareStatistic(observed: counts, probabilities: table.probabilities)
        #expect(statistic < chiSquareCriticalValue(degreesOfFreedom: 5), "χ² = \(statistic), counts \(counts)")
    }

    @Test func aliasTableWithManyRandomWeightsAndDegenerateCases() {
        var stream = RandomStream(seed: 13)
        let weights = (0..<200).map { _ in stream.exponential(rate: 1) }
        let table = AliasTable(weights: weights)
        var counts = [Int](repeating: 0, count: weights.count)
        for _ in 0..<200_000 { counts[table.sample(&stream)] += 1 }
        let statistic = chiSquareStatistic(observed: counts, probabilities: table.probabilities)
        #expect(statistic < chiSquareCriticalValue(degreesOfFreedom: 199), "χ² = \(statistic)")
        let single = AliasTable(weights: [3])
        let point = AliasTable(weights: [0, 0, 5, 0])
        for _ in 0..<1000 {
            #expect(single.sample(&stream) == 0)
            #expect(point.sample(&stream) == 2)
        }
    }

    @Test(arguments: [0.0, 0.8, 1.0, 1.1, 2.5])
    func zipfFrequencies(exponent: Double) {
        let count = 60
        let zipf = ZipfDistribution(count: count, exponent: exponent)
        var stream = RandomStream(seed: 14)
        var counts = [Int](repeating: 0, count: count)
        for _ in 0..<200_000 {
            let rank = zipf.sample(&stream)
            #expect(rank >= 1 && rank <= count)
            counts[rank - 1] += 1
        }
        let weights = (1...count).map { Elementary.pow(Double($0), -exponent) }
        let total = weights.reduce(0, +)
        for rank in [1, 7, count] {
            assertClose(zipf.unnormalizedProbability(of: rank), weights[rank - 1], relative: 1e-12)
        }
        let statistic = chiSquareStatistic(observed: counts, probabilities: weights.map { $0 / total })
        #expect(statistic < chiSquareCriticalValue(degreesOfFreedom: count - 1), "s = \(exponent): χ² = \(statistic)")
    }

    @Test func zipfLargeCatalogAndSingleRank() {
        let zipf = ZipfDistribution(count: 10_000_000, exponent: 1.2)
        var stream = RandomStream(seed: 15)
        var ones = 0
        let n = 100_000
        for _ in 0..<n {
            let rank = zipf.sample(&stream)
            #expect(rank >= 1 && rank <= 10_000_000)
            if rank == 1 { ones += 1 }
        }
        // P(1) = 1 / H(10⁷, 1.2) = 1 / (ζ(1.2) − ζ(1.2, 10⁷ + 1)) = 1 / 5.392529 (SciPy).
        let p1 = 1 / 5.392529
        #expect(abs(Double(ones) / Double(n) - p1) < 0.005)
        let single = ZipfDistribution(count: 1, exponent: 1.5)
        #expect(single.sample(&stream) == 1)
    }
}
