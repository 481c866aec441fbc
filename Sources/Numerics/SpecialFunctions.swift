/// Special functions behind confidence intervals and tests: the regularized incomplete beta function,
/// and the CDF and quantile of the standard normal and Student-t distributions.
public enum SpecialFunctions {
    /// The regularized incomplete beta function `I_x(a, b) = B(x; a, b) / B(a, b)` for `a, b > 0`,
    /// `x ∈ [0, 1]`.
    ///
    /// Evaluated by its continued fraction (Abramowitz & Stegun 26.5.8) with the modified Lentz
    /// algorithm (Lentz 1976; Thompson & Barnett 1986), on the side `x < (a + 1) / (a + b + 2)` where it
    /// converges fast, using `I_x(a, b) = 1 − I_{1−x}(b, a)` on the other. Relative accuracy ≈ 1e-14.
    public static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0, "regularizedIncompleteBeta: shapes must be positive, got \(a), \(b)")
        precondition(x >= 0 && x <= 1, "regularizedIncompleteBeta: x must lie in [0, 1], got \(x)")
        if x == 0 || x == 1 { return x }
        if x < (a + 1) / (a + b + 2) {
            return incompleteBetaFraction(x, a, b)
        }
        return 1 - incompleteBetaFraction(1 - x, b, a)
    }

    /// `x^a (1−x)^b / (a·B(a, b))` times the continued fraction of A&S 26.5.8.
    static func incompleteBetaFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let logFront = a * Elementary.log(x) + b * Elementary.log1p(-x)
            - (Elementary.lgamma(a) + Elementary.lgamma(b) - Elementary.lgamma(a + b))
        let tiny = 1e-300
        let epsilon = 1e-16
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var fraction = d
        /// One Lentz update with partial numerator `numerator`; returns the factor applied.
        func lentz(_ numerator: Double) -> Double {
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            fraction *= d * c
            return d * c
        }
        for m in 1...10_000 {
            let m = Double(m)
            _ = lentz(m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)))
            let factor = lentz(-(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)))
            if abs(factor - 1) < epsilon { break }
        }
        return Elementary.exp(logFront) * fraction / a
    }
}

/// The standard normal distribution N(0, 1).
public enum StandardNormal {
    /// The density `φ(x) = exp(−x²/2) / √(2π)`.
    public static func density(_ x: Double) -> Double {
        Elementary.exp(-0.5 * x * x) * 0.398_942_280_401_432_7
    }

    /// The CDF `Φ(x) = erfc(−x/√2) / 2`, accurate in both tails.
    public static func cdf(_ x: Double) -> Double {
        0.5 * Elementary.erfc(-x * 0.707_106_781_186_547_5)
    }

    /// The quantile `Φ⁻¹(p)` for `p ∈ (0, 1)` (±∞ at 0 and 1), to about 1e-15 relative.
    ///
    /// Starts from the rational approximation of Abramowitz & Stegun 26.2.23 (error < 4.5e-4) in the
    /// nearer tail and applies three Halley steps on `erfc`, each of which triples the correct digits.
    public static func quantile(_ p: Double) -> Double {
        precondition(p >= 0 && p <= 1, "StandardNormal.quantile: p must lie in [0, 1], got \(p)")
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        let q = min(p, 1 - p)
        let t = (-2 * Elementary.log(q)).squareRoot()
        var x = t - (2.515_517 + t * (0.802_853 + t * 0.010_328))
            / (1 + t * (1.432_788 + t * (0.189_269 + t * 0.001_308)))
        for _ in 0..<3 {
            let upperTail = 0.5 * Elementary.erfc(x * 0.707_106_781_186_547_5)
            let u = (upperTail - q) / density(x)
            x += u / (1 - 0.5 * x * u)
        }
        return p < 0.5 ? -x : x
    }
}

/// Student's t distribution with `ν` degrees of freedom (ν > 0, not necessarily an integer).
public enum StudentT {
    /// The CDF, through the incomplete beta function:
    /// `P(|T| ≤ t) = I_{t²/(ν+t²)}(1/2, ν/2)` and `P(T > t) = I_{ν/(ν+t²)}(ν/2, 1/2) / 2`, each used where
    /// its argument is small, so both tails stay accurate.
    public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "StudentT.cdf: degrees of freedom must be positive, got \(nu)")
        if t.isNaN { return .nan }
        let upper = upperTail(abs(t), nu)
        return t >= 0 ? 1 - upper : upper
    }

    /// `P(T > t)` for `t ≥ 0`.
    static func upperTail(_ t: Double, _ nu: Double) -> Double {
        if t.isInfinite { return 0 }
        let t2 = t * t
        if t2 < nu {
            return 0.5 - 0.5 * SpecialFunctions.regularizedIncompleteBeta(t2 / (nu + t2), a: 0.5, b: nu / 2)
        }
        return 0.5 * SpecialFunctions.regularizedIncompleteBeta(nu / (nu + t2), a: nu / 2, b: 0.5)
    }

    /// The density `Γ((ν+1)/2) / (√(νπ) Γ(ν/2)) · (1 + t²/ν)^{−(ν+1)/2}`.
    public static func density(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        let logNorm = Elementary.lgamma((nu + 1) / 2) - Elementary.lgamma(nu / 2) - 0.5 * Elementary.log(nu * Double.pi)
        return Elementary.exp(logNorm - (nu + 1) / 2 * Elementary.log1p(t * t / nu))
    }

    /// The quantile `t_{p, ν}`: the `t` with `P(T ≤ t) = p`, to about 1e-13 relative.
    ///
    /// Closed forms for ν = 1 (Cauchy) and ν = 2; otherwise the Cornish–Fisher expansion around the
    /// normal quantile (Abramowitz & Stegun 26.7.5; Hill, "Algorithm 396: Student's t-quantiles",
    /// CACM 1970) as a start, refined by Newton steps on the exact upper tail, safeguarded by bisection
    /// inside a bracket so heavy tails (small ν, extreme p) converge too.
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "StudentT.quantile: degrees of freedom must be positive, got \(nu)")
        precondition(p >= 0 && p <= 1, "StudentT.quantile: p must lie in [0, 1], got \(p)")
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        if p == 0.5 { return 0 }
        let q = min(p, 1 - p)  // upper-tail probability of |t|
        let magnitude: Double
        if nu == 1 {
            magnitude = Elementary.tan(Double.pi * (0.5 - q))
        } else if nu == 2 {
            magnitude = (1 - 2 * q) / (2 * q * (1 - q)).squareRoot()
        } else {
            magnitude = solveUpperTail(q, nu)
        }
        return p < 0.5 ? -magnitude : magnitude
    }

    /// The `t > 0` with `P(T > t) = q`, for `q ∈ (0, 1/2)`.
    static func solveUpperTail(_ q: Double, _ nu: Double) -> Double {
        let z = -StandardNormal.quantile(q)
        let z2 = z * z
        let g1 = (z2 + 1) * z / 4
        let g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
        let g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
        let g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
        var t = z + (g1 + (g2 + (g3 + g4 / nu) / nu) / nu) / nu
        if !(t > 0) || !t.isFinite { t = z }
        var lower = 0.0
        var upper = t
        while upperTail(upper, nu) > q {
            lower = upper
            upper *= 2
            if !upper.isFinite { return upper }
        }
        for _ in 0..<200 {
            let residual = upperTail(t, nu) - q
            if residual > 0 { lower = max(lower, t) } else { upper = min(upper, t) }
            var next = t + residual / density(t, degreesOfFreedom: nu)
            if !(next > lower && next < upper) { next = 0.5 * (lower + upper) }
            if abs(next - t) <= 1e-15 * t { return next }
            t = next
        }
        return t
    }
}
