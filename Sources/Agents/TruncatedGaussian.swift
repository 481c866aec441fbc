import Numerics
import Simulator

/// Gaussian exploration in the normalised action box: per dimension, N(μ, σ²) truncated to [−1, 1] — the
/// simulator's `Exploration` kernel, under the name the agents use.
public enum TruncatedGaussian {
    /// Draws from N(μ, σ²) truncated to [−1, 1] into `x`; returns the log-density (normalised units).
    @inlinable
    public static func sample(mean: UnsafePointer<Float>, sigma: Float, dimension: Int,
                              stream: inout RandomStream, into x: UnsafeMutablePointer<Float>) -> Double {
        Exploration.truncatedGaussian(mean: mean, sigma: sigma, dimension: dimension, stream: &stream, into: x)
    }

    /// log of the N(μ, σ²) density truncated to [−1, 1], at `x` (−∞ outside).
    @inlinable
    public static func logDensity(_ x: Double, mean: Double, sigma: Double) -> Double {
        Exploration.truncatedGaussianLogDensity(x, mean: mean, sigma: sigma)
    }
}
