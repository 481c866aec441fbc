import Numerics

/// The tanh-squashed diagonal Gaussian of SAC (Haarnoja et al. 2018, "Soft Actor-Critic
/// Algorithms and Applications", Appendix C): `u = μ + σ ⊙ ε` with `ε ~ N(0, I)`, action
/// `a = tanh(u)` in the normalised box, and, by the change of variables (eq. 26),
///
///     log π(a|s) = Σ_j [ log N(u_j; μ_j, σ_j) − log(1 − tanh²(u_j)) ].
///
/// `log(1 − tanh² u)` is evaluated as `2(log 2 − u − softplus(−2u))`, which is exact and stays
/// finite where `1 − tanh² u` rounds to zero (|u| ≳ 9 in `Float`).
public enum SquashedGaussian {
    static let halfLogTwoPi = 0.5 * Elementary.log(2 * Double.pi)
    static let logTwo = Elementary.log(2.0)

    /// `log(1 − tanh²(u))` in the overflow-free form `2(log 2 − u − softplus(−2u))`.
    @inlinable
    public static func logOneMinusTanhSquared(_ u: Double) -> Double {
        2 * (Elementary.log(2.0) - u - Elementary.softplus(-2 * u))
    }

    /// `log N(u; μ, σ)` with `u = μ + σε`, from `ε` and `log σ` (one dimension).
    @inlinable
    public static func gaussianLogDensity(noise epsilon: Double, logStd: Double) -> Double {
        -0.5 * epsilon * epsilon - logStd - 0.5 * Elementary.log(2 * Double.pi)
    }

    /// `log π(a|s)` in normalised units for the reparameterised draw `a = tanh(μ + σε)`,
    /// summed over the dimensions.
    public static func logDensity(mean: [Float], logStd: [Float], noise: [Float]) -> Double {
        precondition(mean.count == logStd.count && mean.count == noise.count, "SquashedGaussian: length mismatch")
        var total = 0.0
        for j in mean.indices {
            let (m, s, e) = (Double(mean[j]), Double(logStd[j]), Double(noise[j]))
            let u = m + Elementary.exp(s) * e
            total += gaussianLogDensity(noise: e, logStd: s) - logOneMinusTanhSquared(u)
        }
        return total
    }

    /// `log π(a|s)` in normalised units of a given action `a ∈ (−1, 1)^A` (through `u = atanh(a)`);
    /// `−∞` on or outside the boundary.
    public static func logDensity(action: [Float], mean: [Float], logStd: [Float]) -> Double {
        precondition(action.count == mean.count && mean.count == logStd.count, "SquashedGaussian: length mismatch")
        var total = 0.0
        for j in action.indices {
            let a = Double(action[j])
            guard a > -1 && a < 1 else { return -.infinity }
            let u = 0.5 * (Elementary.log1p(a) - Elementary.log1p(-a))
            let s = Double(logStd[j])
            let e = (u - Double(mean[j])) * Elementary.exp(-s)
            total += gaussianLogDensity(noise: e, logStd: s) - logOneMinusTanhSquared(u)
        }
        return total
    }

    /// Derivatives of `log π` of the reparameterised draw with respect to `μ` and `log σ` at fixed
    /// `ε` (one dimension; `a = tanh(u)`):
    ///
    ///     ∂ log π / ∂μ     = 2a                (from −log(1 − tanh² u); the Gaussian term is constant in μ at fixed ε)
    ///     ∂ log π / ∂log σ = −1 + 2a·σε
    @inlinable
    public static func logDensityGradient(action a: Double, std sigma: Double, noise epsilon: Double)
        -> (mean: Double, logStd: Double) {
        (2 * a, -1 + 2 * a * sigma * epsilon)
    }
}

extension SquashedGaussian {
    /// Reparameterised draws for a batch from SAC head outputs `[μ | log σ (unclamped)]`
    /// (`batch × 2A`) and standard normal `noise` (`batch × A`): writes `a = tanh(μ + σε)` into
    /// `actions` and `log π(a|s)` (normalised units) into `logProbabilities` (`batch × 1`).
    /// log σ is clamped to `logStdBounds` first.
    public static func sample(outputs: Matrix, noise: Matrix, logStdBounds: (lower: Float, upper: Float),
                              actions: inout Matrix, logProbabilities: inout Matrix) {
        let (n, a) = (noise.rows, noise.columns)
        precondition(outputs.rows == n && outputs.columns == 2 * a,
                     "SquashedGaussian.sample: outputs \(outputs.rows)×\(outputs.columns), noise \(n)×\(a)")
        actions.resize(rows: n, columns: a)
        logProbabilities.resize(rows: n, columns: 1)
        let (lo, hi) = logStdBounds
        outputs.withUnsafeBufferPointer { out in
            noise.withUnsafeBufferPointer { eps in
                actions.withUnsafeMutableBufferPointer { act in
                    logProbabilities.withUnsafeMutableBufferPointer { lp in
                        for r in 0..<n {
                            var total = 0.0
                            for j in 0..<a {
                                let mu = out[r * 2 * a + j]
                                let logStd = min(max(out[r * 2 * a + a + j], lo), hi)
                                let e = eps[r * a + j]
                                let u = mu + Elementary.exp(logStd) * e
                                act[r * a + j] = Elementary.tanh(u)
                                total += gaussianLogDensity(noise: Double(e), logStd: Double(logStd))
                                    - logOneMinusTanhSquared(Double(u))
                            }
                            lp[r] = Float(total)
                        }
                    }
                }
            }
        }
    }
}

extension SquashedGaussian {
    /// `log π` of one dimension in normalised units at a given action `x ∈ (−1, 1)`, through `u = atanh x`:
    /// `log N(u; μ, σ) − log(1 − tanh² u)`, the terms of `sample`'s sum written from `u` rather than from `ε`.
    @inlinable
    public static func logDensity(normalizedAction x: Double, mean: Double, logStd: Double) -> Double {
        let u = 0.5 * (Elementary.log1p(x) - Elementary.log1p(-x))
        return gaussianLogDensity(noise: (u - mean) * Elementary.exp(-logStd), logStd: logStd) - logOneMinusTanhSquared(u)
    }

    /// The mean density, log, of one dimension over the cell `[1 − w, 1)` (`side` +1) or `(−1, −1 + w]` (`side` −1):
    /// `log P(side·u ≥ atanh(1 − w)) − log w`. A draw whose `tanh` rounds onto a face has lost `u`, and the point
    /// density is unbounded or zero there; the cell's mean density is finite and integrates with the interior to 1.
    public static func faceLogDensity(side: Double, cellWidth w: Double, mean: Double, logStd: Double) -> Double {
        let threshold = 0.5 * (Elementary.log(2 - w) - Elementary.log(w))
        return logUpperTail((threshold - side * mean) * Elementary.exp(-logStd)) - Elementary.log(w)
    }

    /// `log(1 − Φ(z))` for the standard normal: through `erfc` where it does not underflow, beyond by the asymptotic
    /// series `−z²/2 − log(z√(2π)) + log(1 − z⁻² + 3z⁻⁴ − 15z⁻⁶)` (Abramowitz & Stegun 26.2.12), whose error there is
    /// below 10⁻⁹.
    public static func logUpperTail(_ z: Double) -> Double {
        if z < 30 { return Elementary.log(0.5 * Elementary.erfc(z / 2.0.squareRoot())) }
        let r = 1 / (z * z)
        return -0.5 * z * z - Elementary.log(z) - halfLogTwoPi + Elementary.log1p(-r + 3 * r * r - 15 * r * r * r)
    }
}
