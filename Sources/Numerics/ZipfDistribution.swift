/// The Zipf distribution over ranks `1...count`: `P(k) ∝ k^{−s}`, the heavy-tailed popularity law of
/// items in feeds.
///
/// Sampling is Hörmann & Derflinger's rejection-inversion ("Rejection-inversion to generate variates
/// from monotone discrete distributions", ACM TOMACS 1996): invert the integral of the hat
/// `h(x) = x^{−s}` on `[1/2, count + 1/2]`, round to the nearest rank, and accept with a test that is
/// almost always decided by a squeeze. O(1) memory and expected O(1) time (under 1.1 trials) for every
/// `count` and exponent, exact, and valid also for `s ≤ 1`.
public struct ZipfDistribution: Sendable {
    /// Number of ranks.
    public let count: Int
    /// The exponent `s ≥ 0` (`0` is uniform).
    public let exponent: Double

    @usableFromInline let hIntegralOfFirst: Double
    @usableFromInline let hIntegralOfEnd: Double
    @usableFromInline let squeeze: Double

    /// Zipf over `1...count` with `P(k) ∝ k^{−exponent}`.
    public init(count: Int, exponent: Double) {
        precondition(count >= 1, "ZipfDistribution: count must be at least 1, got \(count)")
        precondition(exponent >= 0 && exponent.isFinite, "ZipfDistribution: exponent must be finite and ≥ 0, got \(exponent)")
        self.count = count
        self.exponent = exponent
        hIntegralOfFirst = ZipfDistribution.hIntegral(1.5, exponent) - 1
        hIntegralOfEnd = ZipfDistribution.hIntegral(Double(count) + 0.5, exponent)
        squeeze = 2 - ZipfDistribution.hIntegralInverse(
            ZipfDistribution.hIntegral(2.5, exponent) - ZipfDistribution.h(2, exponent), exponent)
    }

    /// A rank in `1...count`.
    public func sample(_ rng: inout RandomStream) -> Int {
        if exponent == 0 { return 1 + rng.nextIndex(below: count) }
        while true {
            let u = hIntegralOfEnd + rng.nextUniform() * (hIntegralOfFirst - hIntegralOfEnd)
            let x = ZipfDistribution.hIntegralInverse(u, exponent)
            let k = min(max((x + 0.5).rounded(.down), 1), Double(count))
            if k - x <= squeeze || u >= ZipfDistribution.hIntegral(k + 0.5, exponent) - ZipfDistribution.h(k, exponent) {
                return Int(k)
            }
        }
    }

    /// The unnormalised probability `P(k) ∝ k^{−s}` over ranks; divide by the generalised harmonic
    /// number `H(count, s)` to normalise.
    public func unnormalizedProbability(of rank: Int) -> Double {
        ZipfDistribution.h(Double(rank), exponent)
    }

    /// The hat `h(x) = x^{−s}`.
    static func h(_ x: Double, _ s: Double) -> Double {
        Elementary.exp(-s * Elementary.log(x))
    }

    /// `H(x) = (x^{1−s} − 1) / (1 − s)`, continuous through `s = 1` where it is `log x`.
    static func hIntegral(_ x: Double, _ s: Double) -> Double {
        let logX = Elementary.log(x)
        return expm1OverX((1 - s) * logX) * logX
    }

    /// The inverse of `hIntegral`.
    static func hIntegralInverse(_ x: Double, _ s: Double) -> Double {
        let t = max(x * (1 - s), -1)
        return Elementary.exp(log1pOverX(t) * x)
    }

    /// `log(1 + x) / x`, accurate near 0.
    static func log1pOverX(_ x: Double) -> Double {
        abs(x) > 1e-8 ? Elementary.log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }

    /// `(eˣ − 1) / x`, accurate near 0.
    static func expm1OverX(_ x: Double) -> Double {
        abs(x) > 1e-8 ? Elementary.expm1(x) / x : 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x))
    }
}
