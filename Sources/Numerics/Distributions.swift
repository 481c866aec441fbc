/// Random variates from the distributions the simulator and the agents draw from.
///
/// Every sampler consumes a deterministic number of stream draws for a given stream state, so a
/// seeded stream reproduces the same variates on every machine and thread count.
extension RandomStream {
    // MARK: Normal family

    /// A standard normal variate: the 256-layer ziggurat of Marsaglia & Tsang ("The Ziggurat Method
    /// for Generating Random Variables", J. Stat. Software 2000) with Doornik's fix ("An Improved
    /// Ziggurat Method to Generate Normal Random Samples", 2005): the layer index and the abscissa come
    /// from disjoint bits of one 64-bit draw, so they are independent.
    ///
    /// About 98.8 % of calls cost one draw, one multiply and one comparison; the rest fall into a
    /// wedge test or Marsaglia's exact tail beyond `r = 3.654…`. Measured here at roughly twice the
    /// speed of the Marsaglia polar method, which needs 2.55 draws, a logarithm and a square root per pair.
    @inlinable
    public mutating func normal() -> Double {
        let table = NormalZiggurat.shared
        while true {
            let bits = next()
            let layer = Int(truncatingIfNeeded: bits & 0xFF)
            // 52 high bits → a uniform in [1, 2) → a uniform in [−1, 1).
            let u = 2 * Double(bitPattern: (bits >> 12) | 0x3FF0_0000_0000_0000) - 3
            let x = u * table.x[layer]
            if abs(x) < table.x[layer + 1] { return x }
            if layer == 0 { return normalTail(negative: u < 0) }
            let fOuter = table.f[layer]
            let y = table.f[layer + 1] + (fOuter - table.f[layer + 1]) * nextUniform()
            if y < Elementary.exp(-0.5 * x * x) { return x }
        }
    }

    /// A normal variate beyond the ziggurat's base radius `r` (Marsaglia, "Generating a variable from
    /// the tail of the normal distribution", Technometrics 1964).
    @usableFromInline
    mutating func normalTail(negative: Bool) -> Double {
        let r = NormalZiggurat.radius
        var x: Double
        var y: Double
        repeat {
            x = Elementary.log(nextOpenUniform()) / r
            y = Elementary.log(nextOpenUniform())
        } while -2 * y < x * x
        return negative ? x - r : r - x
    }

    /// A normal variate with the given mean and standard deviation.
    @inlinable
    public mutating func normal(mean: Double, standardDeviation: Double) -> Double {
        mean + standardDeviation * normal()
    }

    /// A standard normal variate as `Float` (one ziggurat draw, rounded), for noise added to `Float` tensors.
    @inlinable
    public mutating func normalFloat() -> Float {
        Float(normal())
    }

    /// A log-normal variate `exp(μ + σ·Z)`: `mu` and `sigma` are the mean and standard deviation of the logarithm.
    @inlinable
    public mutating func logNormal(mu: Double, sigma: Double) -> Double {
        Elementary.exp(mu + sigma * normal())
    }

    /// A normal variate conditioned on `lower ≤ X ≤ upper`, exact also far in the tails
    /// (Robert, "Simulation of truncated normal variables", Statistics and Computing 1995).
    ///
    /// Robert's accept–reject choice per interval: plain normal rejection when the interval holds 0
    /// and is wider than √(2π); uniform proposals for narrow intervals; a translated exponential with
    /// the optimal rate `α* = (a + √(a² + 4)) / 2` for one-sided tails. Either bound may be infinite.
    public mutating func truncatedNormal(mean: Double, standardDeviation: Double, lower: Double, upper: Double) -> Double {
        precondition(standardDeviation > 0 && standardDeviation.isFinite,
                     "truncatedNormal: standard deviation must be positive and finite, got \(standardDeviation)")
        precondition(lower <= upper, "truncatedNormal: empty interval [\(lower), \(upper)]")
        if lower == upper { return lower }
        let a = (lower - mean) / standardDeviation
        let b = (upper - mean) / standardDeviation
        let z: Double
        if a >= 0 {
            z = standardNormalRightTail(a, b)
        } else if b <= 0 {
            z = -standardNormalRightTail(-b, -a)
        } else if b - a >= 2.5066282746310002 {
            var candidate = normal()
            while candidate < a || candidate > b { candidate = normal() }
            z = candidate
        } else {
            var candidate: Double
            repeat {
                candidate = a + (b - a) * nextUniform()
            } while nextUniform() > Elementary.exp(-0.5 * candidate * candidate)
            z = candidate
        }
        return min(max(mean + standardDeviation * z, lower), upper)
    }

    /// A standard normal variate restricted to `[a, b]` with `0 ≤ a < b ≤ ∞` (Robert 1995, §2).
    mutating func standardNormalRightTail(_ a: Double, _ b: Double) -> Double {
        let root = (a * a + 4).squareRoot()
        let alpha = (a + root) / 2
        // Robert's Proposition 2.3: uniform proposals beat the exponential when the interval is this narrow.
        let uniformLimit = 2 / (a + root) * Elementary.exp((a * a - a * root) / 4 + 0.5)
        if b - a <= uniformLimit {
            var z: Double
            repeat {
                z = a + (b - a) * nextUniform()
            } while nextUniform() > Elementary.exp(0.5 * (a * a - z * z))
            return z
        }
        while true {
            let z = a - Elementary.log(nextOpenUniform()) / alpha
            let d = z - alpha
            if z <= b && nextUniform() <= Elementary.exp(-0.5 * d * d) { return z }
        }
    }

    // MARK: Other continuous distributions

    /// An exponential variate with the given rate (mean `1 / rate`), by inversion `−log U / rate`.
    @inlinable
    public mutating func exponential(rate: Double) -> Double {
        -Elementary.log(nextOpenUniform()) / rate
    }

    /// A standard logistic variate by inversion of its CDF: `log(U / (1 − U))`.
    @inlinable
    public mutating func logistic() -> Double {
        let u = nextOpenUniform()
        return Elementary.log(u) - Elementary.log1p(-u)
    }

    /// A gamma variate with density `x^{k−1} e^{−x/θ} / (Γ(k) θ^k)` (`shape` k, `scale` θ, mean kθ).
    ///
    /// Marsaglia & Tsang, "A Simple Method for Generating Gamma Variables" (ACM TOMS 2000): a cubed,
    /// shifted normal with a squeeze and a logarithmic acceptance test, ≈ 1.02 normals per variate for
    /// k ≥ 1. For k < 1 their boost `Gamma(k) = Gamma(k + 1)·U^{1/k}` is applied in log space, so tiny
    /// shapes give tiny positive values instead of underflowing to 0 too early.
    public mutating func gamma(shape: Double, scale: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "gamma: shape must be positive and finite, got \(shape)")
        precondition(scale > 0 && scale.isFinite, "gamma: scale must be positive and finite, got \(scale)")
        if shape >= 1 { return scale * standardGammaAtLeastOne(shape) }
        return scale * Elementary.exp(logStandardGamma(shape))
    }

    /// Marsaglia–Tsang for shape ≥ 1 (unit scale).
    mutating func standardGammaAtLeastOne(_ shape: Double) -> Double {
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextOpenUniform()
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 { return d * v }
            if Elementary.log(u) < 0.5 * x2 + d * (1 - v + Elementary.log(v)) { return d * v }
        }
    }

    /// The logarithm of a unit-scale gamma variate, finite for every positive shape.
    mutating func logStandardGamma(_ shape: Double) -> Double {
        if shape >= 1 { return Elementary.log(standardGammaAtLeastOne(shape)) }
        let boosted = Elementary.log(standardGammaAtLeastOne(shape + 1))
        return boosted + Elementary.log(nextOpenUniform()) / shape
    }

    /// A beta variate `X / (X + Y)` with `X ~ Gamma(a)`, `Y ~ Gamma(b)`.
    ///
    /// When a shape is below 1 the ratio is formed from log-gamma variates as `σ(log X − log Y)`,
    /// which stays accurate when both gammas would underflow.
    public mutating func beta(_ a: Double, _ b: Double) -> Double {
        precondition(a > 0 && b > 0 && a.isFinite && b.isFinite, "beta: shapes must be positive and finite, got \(a), \(b)")
        if a >= 1 && b >= 1 {
            let x = standardGammaAtLeastOne(a)
            let y = standardGammaAtLeastOne(b)
            return x / (x + y)
        }
        let logX = logStandardGamma(a)
        let logY = logStandardGamma(b)
        return Elementary.sigmoid(logX - logY)
    }

    // MARK: Discrete distributions

    /// `true` with probability `p` (one uniform draw).
    @inlinable
    public mutating func bernoulli(_ p: Double) -> Bool {
        nextUniform() < p
    }

    /// A Poisson variate with the given mean.
    ///
    /// Mean below 10: inversion by sequential search from 0 (one uniform, O(mean) steps). Otherwise
    /// Hörmann's transformed rejection with squeeze, PTRS ("The transformed rejection method for
    /// generating Poisson random variables", Insurance: Mathematics and Economics 1993), O(1) expected.
    public mutating func poisson(mean: Double) -> Int {
        precondition(mean >= 0 && mean.isFinite, "poisson: mean must be non-negative and finite, got \(mean)")
        if mean == 0 { return 0 }
        if mean < 10 {
            var u = nextUniform()
            var k = 0
            var p = Elementary.exp(-mean)
            while u > p && p > 0 {
                u -= p
                k += 1
                p *= mean / Double(k)
            }
            return k
        }
        let sqrtMean = mean.squareRoot()
        let logMean = Elementary.log(mean)
        let b = 0.931 + 2.53 * sqrtMean
        let a = -0.059 + 0.02483 * b
        let inverseAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = nextUniform() - 0.5
            let v = nextUniform()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + mean + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            let lhs = Elementary.log(v) + Elementary.log(inverseAlpha) - Elementary.log(a / (us * us) + b)
            let rhs = -mean + k * logMean - Elementary.lgamma(k + 1)
            if lhs <= rhs { return Int(k) }
        }
    }
}

/// The layer table of the 256-layer normal ziggurat (Marsaglia & Tsang 2000), built once.
///
/// `x[0] = V / f(r)` is the width of the base strip (rectangle plus tail), `x[1] = r`, and
/// `x[i+1] = f⁻¹(f(x[i]) + V / x[i])` so every layer has area `V`; `x[256] = 0`. `f[i] = exp(−x[i]²/2)`.
/// `V = r·f(r) + √(π/2)·erfc(r/√2)` is computed from `r` rather than copied, so the table is self-consistent.
@usableFromInline
struct NormalZiggurat: @unchecked Sendable {
    /// Abscissae of the 257 layer edges (never freed: the table lives for the process).
    @usableFromInline let x: UnsafePointer<Double>
    /// Unnormalised density `exp(−x²/2)` at each edge.
    @usableFromInline let f: UnsafePointer<Double>

    /// The start of the tail for 256 layers.
    @usableFromInline static let radius = 3.6541528853610088

    @usableFromInline static let shared = NormalZiggurat()

    init() {
        let layers = 256
        let r = NormalZiggurat.radius
        let density = { (t: Double) in Elementary.exp(-0.5 * t * t) }
        let area = r * density(r) + (Double.pi / 2).squareRoot() * Elementary.erfc(r / 2.0.squareRoot())
        let xs = UnsafeMutablePointer<Double>.allocate(capacity: layers + 1)
        let fs = UnsafeMutablePointer<Double>.allocate(capacity: layers + 1)
        xs[0] = area / density(r)
        xs[1] = r
        for i in 1..<(layers - 1) {
            xs[i + 1] = (-2 * Elementary.log(area / xs[i] + density(xs[i]))).squareRoot()
        }
        xs[layers] = 0
        for i in 0...layers { fs[i] = density(xs[i]) }
        x = UnsafePointer(xs)
        f = UnsafePointer(fs)
    }
}
