import Numerics

/// Fixed fusion weights: the industry default, and the logging policy of a production feed.
public struct FixedPolicy: FusionPolicy {
    public let actionSpace: ActionSpace
    public let action: [Float]
    public var explorationScale: Float { 0 }
    public var spec: String { "fixed:" + action.map { "\($0)" }.joined(separator: ",") }

    public init(action: [Float], actionSpace: ActionSpace) {
        precondition(action.count == actionSpace.dimension, "FixedPolicy: \(action.count) values for \(actionSpace.dimension) dimensions")
        self.action = action
        self.actionSpace = actionSpace
    }

    public func act(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into output: inout PolicyOutput) {
        output.prepare(batch: states.rows, actionDimension: actionSpace.dimension)
        for r in 0..<states.rows {
            output.record(row: r, action: action, mean: action, logDensity: 0, group: .deterministic)
        }
    }
}

/// Uniformly random actions in the whole box (a policy-free baseline, like KuaiRand's random exposures).
public struct UniformRandomPolicy: FusionPolicy {
    public let actionSpace: ActionSpace
    public var explorationScale: Float { 1 }
    public var spec: String { "random" }

    public init(actionSpace: ActionSpace) { self.actionSpace = actionSpace }

    public func act(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into output: inout PolicyOutput) {
        let a = actionSpace.dimension
        output.prepare(batch: states.rows, actionDimension: a)
        let logDensity = -actionSpace.logJacobian - Double(a) * Elementary.log(2.0)
        let centre = actionSpace.denormalize([Float](repeating: 0, count: a))
        var action = centre
        for r in 0..<states.rows {
            for i in 0..<a { action[i] = actionSpace.denormalize(Float(2 * streams[r].nextUniform() - 1), dimension: i) }
            output.record(row: r, action: action, mean: centre, logDensity: logDensity, group: .uniform)
        }
    }
}

/// Exploration kernels on the normalised box [-1, 1]^n, shared by the stochastic policies (and the agents'
/// Gaussian exploration).
///
/// Truncated, not clipped: clipping μ + σε to the box would put point masses on its faces, which no density
/// describes; truncation keeps every action's density exact and finite for off-policy evaluation, and equals
/// clipping whenever μ ± 4σ lies inside.
public enum Exploration {
    /// Draws from N(μ, σ²) truncated to [-1, 1] per dimension into `x`; returns the log-density (normalised
    /// units) of the recorded (Float) draw.
    public static func truncatedGaussian(mean: UnsafePointer<Float>, sigma: Float, dimension: Int,
                                         stream: inout RandomStream, into x: UnsafeMutablePointer<Float>) -> Double {
        var logDensity = 0.0
        for i in 0..<dimension {
            let m = Double(mean[i])
            let v = stream.truncatedNormal(mean: m, standardDeviation: Double(sigma), lower: -1, upper: 1)
            x[i] = Float(v)
            logDensity += truncatedGaussianLogDensity(Double(x[i]), mean: m, sigma: Double(sigma))
        }
        return logDensity
    }

    /// `truncatedGaussian` with each dimension's `TruncatedGaussianTerms` given (the same draws and log-density).
    public static func truncatedGaussian(mean: UnsafePointer<Float>, sigma: Float, terms: UnsafePointer<TruncatedGaussianTerms>,
                                         dimension: Int, stream: inout RandomStream,
                                         into x: UnsafeMutablePointer<Float>) -> Double {
        var logDensity = 0.0
        for i in 0..<dimension {
            let m = Double(mean[i])
            let v = stream.truncatedNormal(mean: m, standardDeviation: Double(sigma), lower: -1, upper: 1)
            x[i] = Float(v)
            logDensity += truncatedGaussianLogDensity(Double(x[i]), mean: m, sigma: Double(sigma), terms: terms[i])
        }
        return logDensity
    }

    /// log of the N(μ, σ²) density truncated to [-1, 1] at `x` (−∞ outside).
    public static func truncatedGaussianLogDensity(_ x: Double, mean: Double, sigma: Double) -> Double {
        truncatedGaussianLogDensity(x, mean: mean, sigma: sigma, terms: TruncatedGaussianTerms(mean: mean, sigma: sigma))
    }

    /// `truncatedGaussianLogDensity` with its constant terms at (μ, σ) computed once (`TruncatedGaussianTerms`).
    @inline(__always)
    public static func truncatedGaussianLogDensity(_ x: Double, mean: Double, sigma: Double,
                                                   terms: TruncatedGaussianTerms) -> Double {
        guard x >= -1 && x <= 1 else { return -.infinity }
        let z = (x - mean) / sigma
        return -0.5 * z * z - terms.halfLogTwoPi - terms.logSigma - terms.logMass
    }

    /// The constant terms of log N_[−1,1](x; μ, σ²) = −z²/2 − ½ log 2π − log σ − log Z(μ, σ), with Z the mass of
    /// N(μ, σ²) on [−1, 1]: computed once per (μ, σ) by loops that evaluate many draws at one mean (two normal CDFs
    /// and three logarithms saved per draw; the same value, term by term).
    public struct TruncatedGaussianTerms: Sendable {
        public var halfLogTwoPi: Double
        public var logSigma: Double
        public var logMass: Double

        public init(mean: Double, sigma: Double) {
            let mass = StandardNormal.cdf((1 - mean) / sigma) - StandardNormal.cdf((-1 - mean) / sigma)
            halfLogTwoPi = 0.5 * Elementary.log(2 * Double.pi)
            logSigma = Elementary.log(sigma)
            logMass = Elementary.log(max(mass, 1e-300))
        }
    }

    /// The box [max(−1, μ−h), min(1, μ+h)] of dimension i.
    @inline(__always)
    static func box(_ mean: Float, halfWidth h: Float) -> (low: Float, high: Float) {
        (max(-1, mean - h), min(1, mean + h))
    }

    /// log of the uniform density on the box around `mean` at `x` (−∞ outside).
    static func boxLogDensity(_ x: UnsafePointer<Float>, mean: UnsafePointer<Float>, halfWidth h: Float, dimension: Int) -> Double {
        var logDensity = 0.0
        for i in 0..<dimension {
            let b = box(mean[i], halfWidth: h)
            guard x[i] >= b.low && x[i] <= b.high else { return -.infinity }
            logDensity -= Elementary.log(Double(b.high - b.low))
        }
        return logDensity
    }
}

/// Gaussian exploration around fixed weights: N(μ, σ²) per normalised dimension, truncated to the box,
/// so the recorded log-density is exact (no clipping point masses).
public struct GaussianPolicy: FusionPolicy {
    public let actionSpace: ActionSpace
    /// The mean in raw units.
    public let mean: [Float]
    /// Standard deviation in normalised units.
    public let sigma: Float
    public var explorationScale: Float { sigma }
    public var spec: String { "gaussian:\(sigma)@" + mean.map { "\($0)" }.joined(separator: ",") }

    public init(mean: [Float], sigma: Float, actionSpace: ActionSpace) {
        precondition(mean.count == actionSpace.dimension && sigma > 0, "GaussianPolicy: bad mean or sigma")
        self.mean = mean
        self.sigma = sigma
        self.actionSpace = actionSpace
    }

    public func act(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into output: inout PolicyOutput) {
        let a = actionSpace.dimension
        output.prepare(batch: states.rows, actionDimension: a)
        let normalizedMean = actionSpace.normalize(mean)
        let terms = normalizedMean.map { Exploration.TruncatedGaussianTerms(mean: Double($0), sigma: Double(sigma)) }
        var x = [Float](repeating: 0, count: a)
        for r in 0..<states.rows {
            let logDensity = normalizedMean.withUnsafeBufferPointer { m in
                x.withUnsafeMutableBufferPointer { xp in
                    Exploration.truncatedGaussian(mean: m.baseAddress!, sigma: sigma, terms: terms, dimension: a,
                                                  stream: &streams[r], into: xp.baseAddress!)
                }
            }
            for i in 0..<a { x[i] = actionSpace.denormalize(x[i], dimension: i) }
            output.record(row: r, action: x, mean: mean, logDensity: logDensity - actionSpace.logJacobian, group: .gaussian)
        }
    }
}

/// BatchRL-MTF's behaviour policy (Zhang et al., KDD 2022, §4.1): with probability ½ a uniform draw in
/// a box of half-width h around the baseline, otherwise a Gaussian around it. The log-density is
/// that of the mixture, log(½·p_box + ½·p_gauss), whichever component drew the action.
public struct MixturePolicy: FusionPolicy {
    public let actionSpace: ActionSpace
    public let mean: [Float]
    public let sigma: Float
    public let boxHalfWidth: Float
    public var explorationScale: Float { sigma }
    public var spec: String { "mixture:\(sigma),\(boxHalfWidth)@" + mean.map { "\($0)" }.joined(separator: ",") }

    public init(mean: [Float], sigma: Float, boxHalfWidth: Float, actionSpace: ActionSpace) {
        precondition(mean.count == actionSpace.dimension && sigma > 0 && boxHalfWidth > 0, "MixturePolicy: bad parameters")
        self.mean = mean
        self.sigma = sigma
        self.boxHalfWidth = boxHalfWidth
        self.actionSpace = actionSpace
    }

    public func act(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into output: inout PolicyOutput) {
        let a = actionSpace.dimension
        output.prepare(batch: states.rows, actionDimension: a)
        let m = actionSpace.normalize(mean)
        var x = [Float](repeating: 0, count: a)
        for r in 0..<states.rows {
            let useBox = streams[r].nextUniform() < 0.5
            let logDensity: Double = m.withUnsafeBufferPointer { mp in
                x.withUnsafeMutableBufferPointer { xp in
                    let mean = mp.baseAddress!, point = xp.baseAddress!
                    if useBox {
                        for i in 0..<a {
                            let b = Exploration.box(mean[i], halfWidth: boxHalfWidth)
                            point[i] = b.low + Float(streams[r].nextUniform()) * (b.high - b.low)
                        }
                    } else {
                        _ = Exploration.truncatedGaussian(mean: mean, sigma: sigma, dimension: a, stream: &streams[r], into: point)
                    }
                    var gauss = 0.0
                    for i in 0..<a {
                        gauss += Exploration.truncatedGaussianLogDensity(Double(point[i]), mean: Double(mean[i]), sigma: Double(sigma))
                    }
                    let box = Exploration.boxLogDensity(point, mean: mean, halfWidth: boxHalfWidth, dimension: a)
                    return logAddExp(box, gauss) - Elementary.log(2.0)
                }
            }
            for i in 0..<a { x[i] = actionSpace.denormalize(x[i], dimension: i) }
            output.record(row: r, action: x, mean: mean, logDensity: logDensity - actionSpace.logJacobian,
                          group: useBox ? .uniformBox : .gaussian)
        }
    }
}

/// log(eˣ + eʸ) without overflow.
@inline(__always)
func logAddExp(_ x: Double, _ y: Double) -> Double {
    if x == -.infinity { return y }
    if y == -.infinity { return x }
    let m = max(x, y)
    return m + Elementary.log1p(Elementary.exp(-abs(x - y)))
}

/// A state-dependent rule: the action moves linearly from `from` to `to` as one observed state feature
/// goes from `low` to `high` (clamped), e.g. shifting weight from click to long view as the session deepens.
public struct RampPolicy: FusionPolicy {
    public let actionSpace: ActionSpace
    public let featureName: String
    public let featureIndex: Int
    public let low: Float
    public let high: Float
    public let from: [Float]
    public let to: [Float]
    public var explorationScale: Float { 0 }
    public var spec: String {
        "ramp:\(featureName)=\(low)..\(high)@" + from.map { "\($0)" }.joined(separator: ",") + "@" + to.map { "\($0)" }.joined(separator: ",")
    }

    public init(featureName: String, featureIndex: Int, low: Float, high: Float, from: [Float], to: [Float], actionSpace: ActionSpace) {
        precondition(from.count == actionSpace.dimension && to.count == actionSpace.dimension && high > low, "RampPolicy: bad parameters")
        self.featureName = featureName
        self.featureIndex = featureIndex
        self.low = low
        self.high = high
        self.from = from
        self.to = to
        self.actionSpace = actionSpace
    }

    public func act(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into output: inout PolicyOutput) {
        let a = actionSpace.dimension
        output.prepare(batch: states.rows, actionDimension: a)
        var action = from
        for r in 0..<states.rows {
            let t = min(max((states[r, featureIndex] - low) / (high - low), 0), 1)
            for i in 0..<a { action[i] = from[i] + t * (to[i] - from[i]) }
            output.record(row: r, action: action, mean: action, logDensity: 0, group: .deterministic)
        }
    }
}
