import Numerics
import Simulator

/// Kernel-smoothed target densities for deterministic targets over continuous actions (Kallus & Zhou 2018,
/// "Policy evaluation and optimization with continuous treatments", AISTATS, eq. for the kernelised IPS weight):
/// a deterministic π_e(s) has no density, so the weight K_h(a − π_e(s)) / π_b(a|s) replaces π_e(a|s)/π_b(a|s).
///
/// The kernel is a d-dimensional product kernel in normalised action units (the box [−1, 1]^d), truncated to the box
/// and renormalised per location so that it integrates to 1 over the box:
///
///     K̃_h(x; μ) = Π_j k((x_j − μ_j)/h_j) / (h_j Z_j(μ_j)),   Z_j(μ_j) = F((1 − μ_j)/h_j) − F((−1 − μ_j)/h_j),
///
/// with k the kernel and F its CDF (a product kernel's truncation to a box factorises per dimension). Near a face
/// the untruncated kernel would lose mass outside the box, where no action is ever logged, and bias the weights
/// down. In raw units (the behaviour densities' units, `PolicyDensity`) the density is K̃ divided by the box's
/// Jacobian: log K̃ − `ActionSpace.logJacobian`. The estimate is biased by O(h²) (the smoothing), in exchange for
/// weights of bounded variance; h → 0 recovers the point mass.
///
/// The bandwidth is set by hand or by Scott's rule (`scottsRule`).
public struct KernelSmoothing: Sendable, Equatable {
    /// The one-dimensional kernel k.
    public enum Kernel: String, Sendable, CaseIterable, Codable {
        /// k(u) = φ(u) = exp(−u²/2)/√(2π).
        case gaussian
        /// k(u) = ¾(1 − u²) on |u| ≤ 1: compact support, the MSE-optimal kernel (Epanechnikov 1969).
        case epanechnikov

        /// log k(u).
        @inline(__always)
        public func logDensity(_ u: Double) -> Double {
            switch self {
            case .gaussian: return -0.5 * u * u - 0.918_938_533_204_672_8  // log √(2π)
            case .epanechnikov: return abs(u) < 1 ? Elementary.log(0.75 * (1 - u * u)) : -.infinity
            }
        }

        /// F(u) = ∫_{−∞}^u k.
        @inline(__always)
        public func cdf(_ u: Double) -> Double {
            switch self {
            case .gaussian: return StandardNormal.cdf(u)
            case .epanechnikov: return u <= -1 ? 0 : u >= 1 ? 1 : (2 + 3 * u - u * u * u) / 4
            }
        }

        /// The kernel's canonical bandwidth δ = (R(k)/μ₂(k)²)^{1/5} (Marron & Nolan 1988), R(k) = ∫k², μ₂ = ∫u²k:
        /// (1/(2√π))^{1/5} ≈ 0.7764 for the Gaussian, 15^{1/5} ≈ 1.7188 for Epanechnikov. Bandwidths scaled by
        /// δ_k/δ_gaussian smooth equally with either kernel.
        public var canonicalBandwidth: Double {
            switch self {
            case .gaussian: return 0.776_388_834_631_177_4
            case .epanechnikov: return 1.718_771_927_587_750_4
            }
        }
    }

    public var kernel: Kernel
    /// h_j per action dimension, in normalised units (the box is 2 wide).
    public var bandwidths: [Double]

    /// A kernel with bandwidths set by hand (normalised units).
    public init(kernel: Kernel, bandwidths: [Double]) throws {
        guard !bandwidths.isEmpty, bandwidths.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw EvaluationError.invalidParameter("kernel smoothing: bandwidths must be positive and finite, got \(bandwidths)")
        }
        self.kernel = kernel
        self.bandwidths = bandwidths
    }

    /// Scott's rule for a d-dimensional product kernel (Scott 1992, "Multivariate density estimation", §6.3):
    /// h_j = σ_j n^{−1/(d+4)} for the Gaussian kernel, with σ_j the standard deviation of the n logged actions'
    /// dimension j in normalised units (the normal reference rule without its constant (4/(d+2))^{1/(d+4)}, which
    /// lies in 0.93–1.06 for d ≤ 7); scaled by the canonical-bandwidth ratio (`Kernel.canonicalBandwidth`, ≈ 2.214)
    /// for Epanechnikov. A rule for density estimation, not tuned to OPE's bias–variance trade-off (Kallus & Zhou
    /// 2018 discuss choosing h by the estimate's error); set bandwidths by hand to override.
    /// Refused when a dimension does not vary (a deterministic behaviour in it gives no density to smooth against).
    public static func scottsRule(kernel: Kernel, loggedActions: Matrix, actionSpace: ActionSpace) throws -> KernelSmoothing {
        let n = loggedActions.rows, d = actionSpace.dimension
        guard n >= 2, loggedActions.columns == d else {
            throw EvaluationError.invalidParameter("Scott's rule: needs at least 2 logged actions of \(d) dimensions, got \(n) × \(loggedActions.columns)")
        }
        let factor = Elementary.pow(Double(n), -1 / Double(d + 4)) * kernel.canonicalBandwidth / Kernel.gaussian.canonicalBandwidth
        var bandwidths = [Double]()
        for j in 0..<d {
            var statistics = RunningStatistics()
            let (lo, hi) = (Double(actionSpace.low[j]), Double(actionSpace.high[j]))
            for r in 0..<n { statistics.add(2 * (Double(loggedActions[r, j]) - lo) / (hi - lo) - 1) }
            guard statistics.standardDeviation > 0 else {
                throw EvaluationError.invalidParameter("Scott's rule: the logged actions do not vary in dimension \(actionSpace.names[j])")
            }
            bandwidths.append(statistics.standardDeviation * factor)
        }
        return try KernelSmoothing(kernel: kernel, bandwidths: bandwidths)
    }

    /// log K̃_h(x; μ) on the normalised box: `action` x and `location` μ in [−1, 1]^d; −∞ outside the box or the
    /// kernel's support.
    public func logDensity(normalizedAction x: [Double], location mu: [Double]) -> Double {
        precondition(x.count == bandwidths.count && mu.count == bandwidths.count,
                     "KernelSmoothing: \(x.count)-dimensional action and \(mu.count)-dimensional location for \(bandwidths.count) bandwidths")
        var total = 0.0
        for j in 0..<bandwidths.count {
            guard x[j] >= -1 && x[j] <= 1 else { return -.infinity }
            total += logFactor(x[j], mu[j], bandwidths[j])
        }
        return total
    }

    /// log [k((x − μ)/h) / (h Z(μ))] of one dimension.
    @inline(__always)
    func logFactor(_ x: Double, _ mu: Double, _ h: Double) -> Double {
        let mass = kernel.cdf((1 - mu) / h) - kernel.cdf((-1 - mu) / h)
        return kernel.logDensity((x - mu) / h) - Elementary.log(h * mass)
    }

    /// log K̃ in raw action units for each row: the logged raw `actions` and the target's raw `locations`
    /// (`PolicyDensity.locations`), both `batch × dimension`: the target log-densities to give `LoggedDecisions`
    /// for a deterministic target. An action outside the box (beyond `Float` rounding) gets −∞; a location outside
    /// it is refused.
    public func logDensities(actions: Matrix, locations: Matrix, actionSpace: ActionSpace) throws -> [Double] {
        let d = actionSpace.dimension
        guard bandwidths.count == d, actions.columns == d, locations.columns == d, actions.rows == locations.rows else {
            throw EvaluationError.invalidParameter("kernel smoothing: \(actions.rows) × \(actions.columns) actions, \(locations.rows) × \(locations.columns) locations, \(bandwidths.count) bandwidths, \(d) action dimensions")
        }
        let jacobian = actionSpace.logJacobian
        var out = [Double](repeating: 0, count: actions.rows)
        for r in 0..<actions.rows {
            var total = -jacobian
            for j in 0..<d {
                guard let mu = actionSpace.normalizedForDensity(locations[r, j], dimension: j) else {
                    throw EvaluationError.invalidParameter("kernel smoothing: row \(r)'s location \(locations[r, j]) lies outside the box in dimension \(actionSpace.names[j])")
                }
                guard let x = actionSpace.normalizedForDensity(actions[r, j], dimension: j) else {
                    total = -.infinity
                    break
                }
                total += logFactor(x, mu, bandwidths[j])
            }
            out[r] = total
        }
        return out
    }
}
