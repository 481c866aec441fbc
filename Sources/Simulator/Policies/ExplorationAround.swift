import Foundation
import Numerics

/// The exploration kernels of batch RL, on the normalised box [−1, 1]ⁿ around a centre m (each truncated or clipped
/// to the box per dimension, so every density is exact and finite inside it):
/// - `.gaussian(sigma:)`: N(m, σ²) truncated to [−1, 1] (the Gaussian exploration of DDPG/TD3 and of `GaussianPolicy`);
/// - `.box(halfWidth:)`: uniform on Πᵢ [max(−1, mᵢ − b), min(1, mᵢ + b)], UnifiedRL / IntegratedRL-MTF's uniform
///   exploration of ±b around the deployed weights (Tencent 2024), density Πᵢ 1 / (widthᵢ);
/// - `.mixture(sigma:boxHalfWidth:)`: BatchRL-MTF's ½·box + ½·Gaussian (Zhang et al., KDD 2022, §4.1; `MixturePolicy`).
public enum ExplorationKernel: Sendable, Equatable {
    case gaussian(sigma: Float)
    case box(halfWidth: Float)
    case mixture(sigma: Float, boxHalfWidth: Float)

    /// The kernel's width in normalised units (σ, or the box's half-width): `FusionPolicy.explorationScale`.
    public var scale: Float {
        switch self {
        case .gaussian(let sigma), .mixture(let sigma, _): sigma
        case .box(let halfWidth): halfWidth
        }
    }

    /// The spec prefix that names it: `gaussian:SIGMA`, `box:B`, `mixture:SIGMA,BOX`.
    public var spec: String {
        switch self {
        case .gaussian(let sigma): "gaussian:\(sigma)"
        case .box(let halfWidth): "box:\(halfWidth)"
        case .mixture(let sigma, let box): "mixture:\(sigma),\(box)"
        }
    }

    /// The kernel's parameters as JSON members (no braces).
    var jsonMembers: String {
        switch self {
        case .gaussian(let sigma): "\"kernel\": \"gaussian\", \"sigma\": \(sigma)"
        case .box(let halfWidth): "\"kernel\": \"box\", \"halfWidth\": \(halfWidth)"
        case .mixture(let sigma, let box): "\"kernel\": \"mixture\", \"sigma\": \(sigma), \"boxHalfWidth\": \(box)"
        }
    }

    /// Draws `x` around the normalised `mean` from `stream`; returns the normalised log-density of the recorded
    /// (`Float`) draw and the group that drew it. The draws are those of `GaussianPolicy` and `MixturePolicy` for the
    /// same stream, so a kernel around fixed weights reproduces those policies bit for bit.
    public func sample(mean: UnsafePointer<Float>, dimension a: Int, stream: inout RandomStream,
                       into x: UnsafeMutablePointer<Float>) -> (logDensity: Double, group: ExplorationGroup) {
        switch self {
        case .gaussian(let sigma):
            let logDensity = Exploration.truncatedGaussian(mean: mean, sigma: sigma, dimension: a, stream: &stream, into: x)
            return (logDensity, .gaussian)
        case .box(let h):
            var logDensity = 0.0
            for i in 0..<a {
                let b = Exploration.box(mean[i], halfWidth: h)
                x[i] = b.low + Float(stream.nextUniform()) * (b.high - b.low)
                logDensity -= Elementary.log(Double(b.high - b.low))
            }
            return (logDensity, .uniformBox)
        case .mixture(let sigma, let h):
            let useBox = stream.nextUniform() < 0.5
            if useBox {
                for i in 0..<a {
                    let b = Exploration.box(mean[i], halfWidth: h)
                    x[i] = b.low + Float(stream.nextUniform()) * (b.high - b.low)
                }
            } else {
                _ = Exploration.truncatedGaussian(mean: mean, sigma: sigma, dimension: a, stream: &stream, into: x)
            }
            var gauss = 0.0
            for i in 0..<a {
                gauss += Exploration.truncatedGaussianLogDensity(Double(x[i]), mean: Double(mean[i]), sigma: Double(sigma))
            }
            let box = Exploration.boxLogDensity(x, mean: mean, halfWidth: h, dimension: a)
            return (logAddExp(box, gauss) - Elementary.log(2.0), useBox ? .uniformBox : .gaussian)
        }
    }

    /// The normalised log-density at the raw action `actions[r]` around the normalised `mean`, with the conventions of
    /// `PolicyDensity` (−∞ outside the box; within `ActionSpace.roundingSlack` of a face counts as on it, for the box
    /// kernel's faces as for the box's). The raw-unit Jacobian is the caller's.
    func logDensity(actions: Matrix, row r: Int, mean: UnsafePointer<Float>, space: ActionSpace) -> Double {
        var gauss = 0.0, box = 0.0
        for i in 0..<space.dimension {
            guard let x = space.normalizedForDensity(actions[r, i], dimension: i) else { return -.infinity }
            switch self {
            case .gaussian(let sigma), .mixture(let sigma, _):
                gauss += Exploration.truncatedGaussianLogDensity(x, mean: Double(mean[i]), sigma: Double(sigma))
            case .box:
                break
            }
            switch self {
            case .box(let h), .mixture(_, let h):
                let b = Exploration.box(mean[i], halfWidth: h)
                let slack = space.roundingSlack(dimension: i)
                if x >= Double(b.low) - slack && x <= Double(b.high) + slack {
                    box -= Elementary.log(Double(b.high - b.low))
                } else {
                    box = -.infinity
                }
            case .gaussian:
                break
            }
        }
        switch self {
        case .gaussian: return gauss
        case .box: return box
        case .mixture: return logAddExp(box, gauss) - Elementary.log(2.0)
        }
    }
}

/// An exploration kernel around any deterministic policy: fixed weights (`box:B@w1,…`), another spec
/// (`gaussian:SIGMA@ramp:…`) or a checkpoint whose action depends on the state (`box:B@models/x.ckpt`), as batch RL
/// deploys a learned policy with exploration around it between rounds (BatchRL-MTF §4.1; UnifiedRL's ±b box).
///
/// At each state the centre gives its action c(s) (raw units, recorded as the behaviour mean), and the action is drawn
/// from the kernel around the normalised c(s), so π(a|s) = k(normalise(a); normalise(c(s))) − log|J|: the log-density
/// `act` records, and that `logDensities` gives for any action.
///
/// The centre must be a function of the state. A `PolicyDensity` centre is asked for its `locations` (no random
/// numbers); any other centre acts with a stream of its own, the same fixed key for every row, so it never draws from
/// the row's stream (which the kernel alone uses: rows stay independent) and `logDensities` sees the same centre as
/// `act`. A centre that states exploration (a stochastic `PolicyDensity`, or a positive `explorationScale`) is refused.
public struct ExplorationAround: PolicyDensity {
    /// The deterministic policy the kernel explores around.
    public let centre: any FusionPolicy
    public let kernel: ExplorationKernel
    /// The action box the kernel lives in (the world's; a checkpoint's own box may be smaller).
    public let actionSpace: ActionSpace
    /// The spec as given (`box:0.15@models/x.ckpt`), which `PolicyResolver` resolves back to this policy.
    public let spec: String
    /// The centre's parameters as a JSON value (a checkpoint's path, checksum and updates; a spec's parameters).
    public let centreParameters: String

    /// The key of the centre's own random stream (see the type's documentation).
    static let centreStreamKey = streamKey("exploration-around.centre")

    /// Why `centre` cannot be explored around, or nil when it can.
    public static func refusal(centre: any FusionPolicy) -> String? {
        let stochastic = (centre as? any PolicyDensity).map { !$0.isDeterministic } ?? (centre.explorationScale > 0)
        guard stochastic else { return nil }
        return "the centre '\(centre.spec)' is stochastic (its action is not a function of the state); "
            + "explore around a deterministic policy"
    }

    /// - Precondition: `refusal(centre:)` is nil and the centre has `actionSpace`'s dimension.
    public init(centre: any FusionPolicy, kernel: ExplorationKernel, actionSpace: ActionSpace, spec: String? = nil,
                centreParameters: String? = nil) {
        precondition(ExplorationAround.refusal(centre: centre) == nil, "ExplorationAround: stochastic centre \(centre.spec)")
        precondition(centre.actionSpace.dimension == actionSpace.dimension,
                     "ExplorationAround: centre has \(centre.actionSpace.dimension) action dimensions, box \(actionSpace.dimension)")
        precondition(kernel.scale > 0 && kernel.scale.isFinite, "ExplorationAround: kernel width must be positive")
        if case .mixture(let sigma, let box) = kernel { precondition(sigma > 0 && box > 0, "ExplorationAround: bad mixture") }
        self.centre = centre
        self.kernel = kernel
        self.actionSpace = actionSpace
        if let spec {
            self.spec = spec
        } else if let fixed = centre as? FixedPolicy {
            self.spec = kernel.spec + "@" + fixed.action.map { "\($0)" }.joined(separator: ",")
        } else {
            self.spec = kernel.spec + "@" + centre.spec
        }
        self.centreParameters = centreParameters ?? centre.parametersJSON
    }

    public var explorationScale: Float { kernel.scale }
    public var isDeterministic: Bool { false }

    /// `{"spec": …, "kernel": …, its widths, "centre": {…}}`.
    public var parametersJSON: String {
        "{\"spec\": \(jsonString(spec)), \(kernel.jsonMembers), \"explorationScale\": \(explorationScale), "
            + "\"centre\": \(centreParameters)}"
    }

    /// The centre's action for every state, raw units: the recorded behaviour mean.
    public func locations(states: Matrix, into locations: inout Matrix) {
        if let density = centre as? any PolicyDensity {
            density.locations(states: states, into: &locations)
            return
        }
        var output = PolicyOutput(batch: states.rows, actionDimension: actionSpace.dimension)
        var streams = [RandomStream](repeating: RandomStream(seed: ExplorationAround.centreStreamKey), count: states.rows)
        streams.withUnsafeMutableBufferPointer { centre.act(states: states, streams: $0.baseAddress!, into: &output) }
        locations = output.means
    }

    public func act(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into output: inout PolicyOutput) {
        let a = actionSpace.dimension
        output.prepare(batch: states.rows, actionDimension: a)
        var centres = Matrix(rows: 0, columns: 0)
        locations(states: states, into: &centres)
        var mean = [Float](repeating: 0, count: a), x = mean, rawMean = mean
        let logJacobian = actionSpace.logJacobian
        for r in 0..<states.rows {
            for i in 0..<a {
                rawMean[i] = centres[r, i]
                mean[i] = actionSpace.normalize(rawMean[i], dimension: i)
            }
            let (logDensity, group) = mean.withUnsafeBufferPointer { m in
                x.withUnsafeMutableBufferPointer { xp in
                    kernel.sample(mean: m.baseAddress!, dimension: a, stream: &streams[r], into: xp.baseAddress!)
                }
            }
            for i in 0..<a { x[i] = actionSpace.denormalize(x[i], dimension: i) }
            output.record(row: r, action: x, mean: rawMean, logDensity: logDensity - logJacobian, group: group)
        }
    }

    /// k(normalise(a); normalise(c(s))) − log|J| for every row (see the type's documentation).
    public func logDensities(states: Matrix, actions: Matrix, into logDensities: inout [Double]) {
        let a = actionSpace.dimension
        preparePolicyDensityOutput(&logDensities, states: states, actions: actions, dimension: a)
        var centres = Matrix(rows: 0, columns: 0)
        locations(states: states, into: &centres)
        var mean = [Float](repeating: 0, count: a)
        let logJacobian = actionSpace.logJacobian
        for r in 0..<states.rows {
            for i in 0..<a { mean[i] = actionSpace.normalize(centres[r, i], dimension: i) }
            logDensities[r] = mean.withUnsafeBufferPointer {
                kernel.logDensity(actions: actions, row: r, mean: $0.baseAddress!, space: actionSpace)
            } - logJacobian
        }
    }
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    guard let data = try? encoder.encode(text) else { preconditionFailure("cannot encode a string as JSON") }
    return String(decoding: data, as: UTF8.self)
}
