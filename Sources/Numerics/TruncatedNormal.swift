/// N(μ, σ²) truncated to [lower, upper], prepared once for many draws: `RandomStream.truncatedNormal`'s sampler
/// (Robert 1995) with the interval's standardisation, the choice of method and the one-sided tail's constants
/// (α* and the uniform-proposal limit, a square root and an exponential) computed at `init` instead of at every
/// draw. `draw` consumes the stream exactly as `truncatedNormal` does and returns the same value, bit for bit.
///
/// For loops that draw millions of times from a few fixed intervals (a Gaussian policy's actions: one interval per
/// action dimension).
public struct TruncatedNormal: Sendable {
    @usableFromInline enum Method: Sendable {
        /// lower == upper.
        case point
        /// Robert's one-sided tail on [a, b] (0 ≤ a), mirrored (`negated`) for b ≤ 0; uniform proposals when the
        /// interval is at most `uniformLimit` wide, else translated exponentials of rate `alpha`.
        case tail(a: Double, b: Double, alpha: Double, uniformLimit: Double, negated: Bool)
        /// Normal draws until one lands in [a, b].
        case normalRejection(a: Double, b: Double)
        /// Uniform proposals on [a, b], accepted with probability exp(−z²/2).
        case uniformRejection(a: Double, b: Double)
    }

    @usableFromInline let mean: Double
    @usableFromInline let standardDeviation: Double
    @usableFromInline let lower: Double
    @usableFromInline let upper: Double
    @usableFromInline let method: Method

    public init(mean: Double, standardDeviation: Double, lower: Double, upper: Double) {
        precondition(standardDeviation > 0 && standardDeviation.isFinite,
                     "TruncatedNormal: standard deviation must be positive and finite, got \(standardDeviation)")
        precondition(lower <= upper, "TruncatedNormal: empty interval [\(lower), \(upper)]")
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.lower = lower
        self.upper = upper
        let a = (lower - mean) / standardDeviation
        let b = (upper - mean) / standardDeviation
        func tail(_ a: Double, _ b: Double, negated: Bool) -> Method {
            let root = (a * a + 4).squareRoot()
            return .tail(a: a, b: b, alpha: (a + root) / 2,
                         uniformLimit: 2 / (a + root) * Elementary.exp((a * a - a * root) / 4 + 0.5), negated: negated)
        }
        if lower == upper {
            method = .point
        } else if a >= 0 {
            method = tail(a, b, negated: false)
        } else if b <= 0 {
            method = tail(-b, -a, negated: true)
        } else if b - a >= 2.5066282746310002 {
            method = .normalRejection(a: a, b: b)
        } else {
            method = .uniformRejection(a: a, b: b)
        }
    }

    /// One draw; the same as `stream.truncatedNormal(mean:standardDeviation:lower:upper:)` with this interval.
    @inlinable
    public func draw(_ stream: inout RandomStream) -> Double {
        let z: Double
        switch method {
        case .point:
            return lower
        case .tail(let a, let b, let alpha, let uniformLimit, let negated):
            var t: Double
            if b - a <= uniformLimit {
                repeat {
                    t = a + (b - a) * stream.nextUniform()
                } while stream.nextUniform() > Elementary.exp(0.5 * (a * a - t * t))
            } else {
                while true {
                    t = a - Elementary.log(stream.nextOpenUniform()) / alpha
                    let d = t - alpha
                    if t <= b && stream.nextUniform() <= Elementary.exp(-0.5 * d * d) { break }
                }
            }
            z = negated ? -t : t
        case .normalRejection(let a, let b):
            var candidate = stream.normal()
            while candidate < a || candidate > b { candidate = stream.normal() }
            z = candidate
        case .uniformRejection(let a, let b):
            var candidate: Double
            repeat {
                candidate = a + (b - a) * stream.nextUniform()
            } while stream.nextUniform() > Elementary.exp(-0.5 * candidate * candidate)
            z = candidate
        }
        return min(max(mean + standardDeviation * z, lower), upper)
    }
}
