import Numerics

/// Gaussian exploration in the normalised action box: per dimension, N(μ, σ²) truncated to
/// [−1, 1] (not clipped), so that every action has an exact, finite density for off-policy
/// evaluation. Clipping `μ + σε` to the box, as in the DDPG and TD3 papers, would put point masses
/// on the faces of the box, which no density describes; truncation puts that mass back inside
/// in proportion to the Gaussian and is identical to clipping whenever μ ± 4σ lies inside.
public enum TruncatedGaussian {
    /// Draws from N(μ, σ²) truncated to [−1, 1]; the log-density (normalised units) is returned
    /// and the draw written to `x`.
    @inlinable
    public static func sample(mean: UnsafePointer<Float>, sigma: Float, dimension: Int,
                              stream: inout RandomStream, into x: UnsafeMutablePointer<Float>) -> Double {
        var logDensity = 0.0
        for i in 0..<dimension {
            let m = Double(mean[i])
            let v = stream.truncatedNormal(mean: m, standardDeviation: Double(sigma), lower: -1, upper: 1)
            x[i] = Float(v)
            logDensity += TruncatedGaussian.logDensity(Double(x[i]), mean: m, sigma: Double(sigma))
        }
        return logDensity
    }

    /// log of the N(μ, σ²) density truncated to [−1, 1], at `x` (−∞ outside).
    public static func logDensity(_ x: Double, mean: Double, sigma: Double) -> Double {
        guard x >= -1 && x <= 1 else { return -.infinity }
        let z = (x - mean) / sigma
        let mass = StandardNormal.cdf((1 - mean) / sigma) - StandardNormal.cdf((-1 - mean) / sigma)
        return -0.5 * z * z - 0.5 * Elementary.log(2 * Double.pi) - Elementary.log(sigma) - Elementary.log(max(mass, 1e-300))
    }
}
