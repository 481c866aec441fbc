import Agents
import Numerics
import Simulator

/// A policy to evaluate on a log: a spec or checkpoint resolved in the logged world (as `compare` and `simulate`
/// resolve it), with what the estimators need of it on the logged steps: its log-densities (the weights' numerators)
/// and the moments of its actions (for v̂ of the reward model).
public struct TargetPolicy: Sendable {
    /// How the target states its distribution.
    public enum Kind: String, Sendable, Codable {
        /// A density in closed form (`PolicyDensity`, not deterministic): weights are π_e(a|s)/π_b(a|s).
        case stochastic
        /// A point mass at its action: weights are kernel-smoothed (`KernelSmoothing`, Kallus & Zhou 2018).
        case deterministic
        /// Stochastic without a closed-form density (BCQ): no weights, only model-based estimators.
        case implicit
    }

    /// The spec as given (`--policy`).
    public let given: String
    public let policy: any FusionPolicy
    public let kind: Kind

    /// Resolves `spec` in `world` (the logged world, `EpisodeLogDecisions.world()`). Refused with one line when the
    /// spec is malformed or its checkpoint unreadable, or trained for another environment (state features or action
    /// box), or when its action dimensions differ from the run's.
    public static func resolve(_ spec: String, world: World, runActionNames: [String]) throws(OffPolicyEvaluationError) -> TargetPolicy {
        let policy: any FusionPolicy
        do {
            policy = try PolicyResolver.resolve(spec, world: world)
        } catch {
            throw .target(spec: spec, reason: "\(error)".split(whereSeparator: \.isNewline).joined(separator: " "))
        }
        guard policy.actionSpace.names == runActionNames else {
            throw .target(spec: spec, reason: "acts on \(policy.actionSpace.names), the run logged \(runActionNames)")
        }
        let kind: Kind
        if let density = policy as? any PolicyDensity {
            kind = density.isDeterministic ? .deterministic : .stochastic
        } else {
            kind = .implicit
        }
        return TargetPolicy(given: spec, policy: policy, kind: kind)
    }

    /// The name to show: the policy's own spec (a checkpoint's path as given).
    public var name: String { policy.spec }

    /// log π_e(a_t | s_t) (raw units) on every logged step, `batchSize` rows at a time: the policy's own density, or
    /// for a deterministic target the kernel's (`smoothing`, required then). Nil for an implicit target.
    public func logDensities(states: Matrix, actions: Matrix, smoothing: KernelSmoothing?,
                             batchSize: Int = 4096) throws -> [Double]? {
        guard kind != .implicit, let density = policy as? any PolicyDensity else { return nil }
        var out = [Double]()
        out.reserveCapacity(states.rows)
        var start = 0
        while start < states.rows {
            let rows = start..<min(start + batchSize, states.rows)
            out += try TargetDensities.logDensities(of: density, states: states.rows(rows), actions: actions.rows(rows),
                                                    smoothing: smoothing)
            start = rows.upperBound
        }
        return out
    }

    /// E[x] and E[x²] per step and action dimension of the target's action x, in the normalised units of the run's box
    /// `runSpace` (what the reward model's features use), from `samples` draws per step: the policy's own draws for a
    /// stochastic or implicit target (each step with its own stream, keyed by `seed`, the target's spec and the step,
    /// so results do not depend on batching), and for a deterministic target draws of `smoothing`'s kernel around its
    /// action (the smoothed target that its weights describe). Rows are steps; `steps × dimension` each.
    public func actionMoments(states: Matrix, runSpace: ActionSpace, smoothing: KernelSmoothing?, samples: Int,
                              seed: UInt64, batchSize: Int = 4096) -> (mean: [Double], meanSquare: [Double]) {
        let d = runSpace.dimension, n = states.rows
        var mean = [Double](repeating: 0, count: n * d), meanSquare = [Double](repeating: 0, count: n * d)
        let own = policy.actionSpace
        var output = PolicyOutput(batch: 1, actionDimension: d)
        var locations = Matrix(rows: 0, columns: d)
        let key = streamKey("off-policy evaluation target actions"), specKey = streamKey(policy.spec)
        var start = 0
        while start < n {
            let rows = start..<min(start + batchSize, n)
            let batch = states.rows(rows)
            var streams = rows.map { RandomStream(seed: seed, keys: key, specKey, UInt64($0)) }
            if kind == .deterministic, let density = policy as? any PolicyDensity {
                density.locations(states: batch, into: &locations)
            }
            for _ in 0..<samples {
                if kind == .deterministic, let smoothing {
                    for (i, r) in rows.enumerated() {
                        for j in 0..<d {
                            let mu = Double(own.normalize(locations[i, j], dimension: j))
                            let x = Self.kernelDraw(smoothing.kernel, location: min(max(mu, -1), 1),
                                                    bandwidth: smoothing.bandwidths[j], &streams[i])
                            let raw = own.denormalize(Float(x), dimension: j)
                            accumulate(r, j, Double(runSpace.normalize(raw, dimension: j)))
                        }
                    }
                } else if kind == .deterministic {
                    for (i, r) in rows.enumerated() {
                        for j in 0..<d { accumulate(r, j, Double(runSpace.normalize(locations[i, j], dimension: j))) }
                    }
                } else {
                    output.prepare(batch: rows.count, actionDimension: d)
                    streams.withUnsafeMutableBufferPointer { policy.act(states: batch, streams: $0.baseAddress!, into: &output) }
                    for (i, r) in rows.enumerated() {
                        for j in 0..<d { accumulate(r, j, Double(runSpace.normalize(output.actions[i, j], dimension: j))) }
                    }
                }
            }
            start = rows.upperBound
        }
        let scale = 1 / Double(samples)
        for i in 0..<(n * d) {
            mean[i] *= scale
            meanSquare[i] *= scale
        }
        return (mean, meanSquare)

        func accumulate(_ r: Int, _ j: Int, _ x: Double) {
            mean[r * d + j] += x
            meanSquare[r * d + j] += x * x
        }
    }

    /// One draw of the truncated kernel k((x − μ)/h)/(h Z) on [−1, 1] (`KernelSmoothing`), by rejection: Gaussian
    /// draws, or Epanechnikov draws by the median-of-three-uniforms construction (Devroye 1986, §II.3.4 ex.), kept
    /// when inside the box.
    static func kernelDraw(_ kernel: KernelSmoothing.Kernel, location mu: Double, bandwidth h: Double,
                           _ stream: inout RandomStream) -> Double {
        while true {
            let u: Double
            switch kernel {
            case .gaussian:
                u = stream.normal()
            case .epanechnikov:
                let (a, b, c) = (2 * stream.nextUniform() - 1, 2 * stream.nextUniform() - 1, 2 * stream.nextUniform() - 1)
                u = abs(c) >= abs(b) && abs(c) >= abs(a) ? b : c
            }
            let x = mu + h * u
            if x >= -1 && x <= 1 { return x }
        }
    }
}
