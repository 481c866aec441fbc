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

    /// log π_e(a_t | s_t) (raw units) on every logged step, `batchSize` rows at a time on up to `threads` threads: the
    /// policy's own density, or for a deterministic target the kernel's (`smoothing`, required then). Nil for an
    /// implicit target.
    public func logDensities(states: Matrix, actions: Matrix, smoothing: KernelSmoothing?,
                             batchSize: Int = 4096, threads: Int = 1) throws -> [Double]? {
        guard kind != .implicit, let density = policy as? any PolicyDensity else { return nil }
        let batches = stride(from: 0, to: states.rows, by: batchSize).map { $0..<min($0 + batchSize, states.rows) }
        let parts = ParallelSlots<Result<[Double], any Error>>(count: batches.count, initial: .success([]))
        ParallelWork.run(tasks: batches.count, threads: threads) { b in
            let rows = batches[b]
            parts[b] = Result {
                try TargetDensities.logDensities(of: density, states: states.rows(rows), actions: actions.rows(rows),
                                                 smoothing: smoothing)
            }
        }
        var out = [Double]()
        out.reserveCapacity(states.rows)
        for part in parts.values { out += try part.get() }
        return out
    }

    /// E[x] and E[x²] per step and action dimension of the target's action x, in the normalised units of the run's box
    /// `runSpace` (what the reward model's features use), from `samples` draws per step: the policy's own draws for a
    /// stochastic or implicit target (`ActionSampling`'s when it has them; each step with its own stream, keyed by
    /// `seed`, the target's spec and the step,
    /// so results do not depend on batching or on `threads`), and for a deterministic target draws of `smoothing`'s
    /// kernel around its action (the smoothed target that its weights describe). Rows are steps; `steps × dimension`
    /// each. Batches of `batchSize` steps run on up to `threads` threads.
    public func actionMoments(states: Matrix, runSpace: ActionSpace, smoothing: KernelSmoothing?, samples: Int,
                              seed: UInt64, batchSize: Int = 4096, threads: Int = 1) -> (mean: [Double], meanSquare: [Double]) {
        let d = runSpace.dimension, n = states.rows
        let mean = ParallelSlots<Double>(count: n * d, initial: 0), meanSquare = ParallelSlots<Double>(count: n * d, initial: 0)
        let key = streamKey("off-policy evaluation target actions"), specKey = streamKey(policy.spec)
        let batches = stride(from: 0, to: n, by: batchSize).map { $0..<min($0 + batchSize, n) }
        // ActionSpace.normalize/denormalize written out (the same Float arithmetic) for the inner loops; the run box's
        // bounds repeated per element of a batch, so that the accumulation runs along one flat array.
        let (ownLow, ownHigh) = (policy.actionSpace.low, policy.actionSpace.high)
        let width = min(batchSize, n) * d
        let runLow = (0..<width).map { runSpace.low[$0 % d] }
        let runSpan = (0..<width).map { runSpace.high[$0 % d] - runSpace.low[$0 % d] }
        ParallelWork.run(tasks: batches.count, threads: threads) { b in
            let rows = batches[b], count = rows.count * d
            var output = PolicyOutput(batch: 1, actionDimension: d)
            var locations = Matrix(rows: 0, columns: d)
            let batch = states.rows(rows)
            var streams = rows.map { RandomStream(seed: seed, keys: key, specKey, UInt64($0)) }
            if kind == .deterministic, let density = policy as? any PolicyDensity {
                density.locations(states: batch, into: &locations)
            }
            var sums = [Double](repeating: 0, count: count), squares = sums
            var draws = [Float](repeating: 0, count: count)
            for _ in 0..<samples {
                if kind == .deterministic, let smoothing {
                    locations.elements.withUnsafeBufferPointer { mu in
                        draws.withUnsafeMutableBufferPointer { out in
                            streams.withUnsafeMutableBufferPointer { stream in
                                for i in 0..<rows.count {
                                    for j in 0..<d {
                                        let centre = Double(2 * (mu[i * d + j] - ownLow[j]) / (ownHigh[j] - ownLow[j]) - 1)
                                        let x = Self.kernelDraw(smoothing.kernel, location: min(max(centre, -1), 1),
                                                                bandwidth: smoothing.bandwidths[j], &stream[i])
                                        out[i * d + j] = ownLow[j] + (Float(x) + 1) * 0.5 * (ownHigh[j] - ownLow[j])
                                    }
                                }
                            }
                        }
                    }
                    Self.accumulate(draws, count, runLow, runSpan, &sums, &squares)
                } else if kind == .deterministic {
                    Self.accumulate(locations.elements, count, runLow, runSpan, &sums, &squares)
                } else if let sampler = policy as? any ActionSampling {
                    streams.withUnsafeMutableBufferPointer {
                        sampler.sampleActions(states: batch, streams: $0.baseAddress!, into: &locations)
                    }
                    Self.accumulate(locations.elements, count, runLow, runSpan, &sums, &squares)
                } else {
                    output.prepare(batch: rows.count, actionDimension: d)
                    streams.withUnsafeMutableBufferPointer { policy.act(states: batch, streams: $0.baseAddress!, into: &output) }
                    Self.accumulate(output.actions.elements, count, runLow, runSpan, &sums, &squares)
                }
            }
            let scale = 1 / Double(samples)
            let base = rows.lowerBound * d
            for i in 0..<count {
                mean[base + i] = sums[i] * scale
                meanSquare[base + i] = squares[i] * scale
            }
        }
        return (mean.values, meanSquare.values)
    }

    /// Adds the first `count` raw actions of `raw` (rows of the run's box), normalised as `ActionSpace.normalize`
    /// does, to `sums` and their squares to `squares`.
    private static func accumulate(_ raw: [Float], _ count: Int, _ low: [Float], _ span: [Float], _ sums: inout [Double],
                                   _ squares: inout [Double]) {
        raw.withUnsafeBufferPointer { raw in
        low.withUnsafeBufferPointer { low in
        span.withUnsafeBufferPointer { span in
        sums.withUnsafeMutableBufferPointer { sums in
        squares.withUnsafeMutableBufferPointer { squares in
            for i in 0..<count {
                let x = Double(2 * (raw[i] - low[i]) / span[i] - 1)
                sums[i] += x
                squares[i] += x * x
            }
        }
        }
        }
        }
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
