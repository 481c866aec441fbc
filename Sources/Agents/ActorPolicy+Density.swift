import Numerics
import Simulator

/// π(a|s) of an actor in each mode, with the conventions of what `act` logs (see `ActorPolicy`):
/// - `.deterministic`: a point mass at the actor's mean action (raw units, clamped to the box);
/// - `.gaussian(sigma:)`: Σⱼ log N_[−1,1](xⱼ; mⱼ, σ²) − log|J|, with m the actor's mean action and x the normalised
///   action (`TruncatedGaussian.logDensity`);
/// - `.squashedGaussian`: Σⱼ [log N(atanh xⱼ; μⱼ, σⱼ) − log(1 − xⱼ²)] − log|J| (`SquashedGaussian`), except that a
///   dimension within `ActionSpace.roundingSlack` w of a face, where `act`'s `tanh` has rounded `u` away, takes the
///   mean density of that cell, P(|u| ≥ atanh(1 − w) on that side)/w (`SquashedGaussian.faceLogDensity`).
///   The logged value is computed from `u` itself; from the raw action, `u` is known only to the action's rounding
///   divided by 1 − x², so where the distribution's width in the box, σ(1 − x²), falls to that rounding (tiny σ near
///   a face) the two part by as much as the density varies over the rounding.
///
/// The actor runs row by row (`ActorNetwork.predictRowIndependent`), as in `act`, so means are bit-identical to the
/// logged ones and a row's density does not depend on the batch.
extension ActorPolicy: PolicyDensity {
    public var isDeterministic: Bool { mode == .deterministic }

    /// The actor's mean action in raw units (`tanh(μ)`, the median, for a SAC actor), as `act` records it in `means`.
    public func locations(states: Matrix, into locations: inout Matrix) {
        let (b, a) = (states.rows, actor.actionDimension)
        locations.resize(rows: b, columns: a)
        guard b > 0 else { return }
        let outputs = actor.predictRowIndependent(normalizer.applied(to: states))
        let squashed = actor.head != .deterministic
        outputs.withUnsafeBufferPointer { out in
            for r in 0..<b {
                let row = out.baseAddress! + r * outputs.columns
                for j in 0..<a { locations[r, j] = rawAction(normalizedMean(row, j, squashed: squashed), dimension: j) }
            }
        }
    }

    public func logDensities(states: Matrix, actions: Matrix, into logDensities: inout [Double]) {
        let (b, a) = (states.rows, actor.actionDimension)
        preparePolicyDensityOutput(&logDensities, states: states, actions: actions, dimension: a)
        guard b > 0 else { return }
        let outputs = actor.predictRowIndependent(normalizer.applied(to: states))
        let space = environment.actionSpace
        let logJacobian = space.logJacobian
        let squashed = actor.head != .deterministic
        outputs.withUnsafeBufferPointer { out in
            for r in 0..<b {
                let row = out.baseAddress! + r * outputs.columns
                switch mode {
                case .deterministic:
                    var equal = true
                    for j in 0..<a where actions[r, j] != rawAction(normalizedMean(row, j, squashed: squashed), dimension: j) {
                        equal = false
                    }
                    logDensities[r] = equal ? 0 : -.infinity
                case .gaussian(let sigma):
                    var logDensity = -logJacobian
                    for j in 0..<a {
                        guard let x = space.normalizedForDensity(actions[r, j], dimension: j) else {
                            logDensity = -.infinity
                            break
                        }
                        logDensity += TruncatedGaussian.logDensity(x, mean: Double(normalizedMean(row, j, squashed: squashed)),
                                                                   sigma: Double(sigma))
                    }
                    logDensities[r] = logDensity
                case .squashedGaussian:
                    guard case .squashedGaussian(let lo, let hi) = actor.head else { return }
                    var logDensity = -logJacobian
                    for j in 0..<a {
                        guard let x = space.normalizedForDensity(actions[r, j], dimension: j) else {
                            logDensity = -.infinity
                            break
                        }
                        let mu = Double(row[j]), logStd = Double(min(max(row[a + j], lo), hi))
                        let w = space.roundingSlack(dimension: j)
                        if abs(x) >= 1 - w {
                            logDensity += SquashedGaussian.faceLogDensity(side: x > 0 ? 1 : -1, cellWidth: w,
                                                                          mean: mu, logStd: logStd)
                        } else {
                            logDensity += SquashedGaussian.logDensity(normalizedAction: x, mean: mu, logStd: logStd)
                        }
                    }
                    logDensities[r] = logDensity
                }
            }
        }
    }

    /// The actor's mean action of dimension `j` in the normalised box, from its output row (as `act` computes it).
    @inline(__always)
    func normalizedMean(_ row: UnsafePointer<Float>, _ j: Int, squashed: Bool) -> Float {
        squashed ? Elementary.tanh(row[j]) : row[j]
    }

    /// The raw action of the normalised `x`, clamped to the box (as `act` records it).
    @inline(__always)
    func rawAction(_ x: Float, dimension j: Int) -> Float {
        let space = environment.actionSpace
        return min(max(space.denormalize(x, dimension: j), space.low[j]), space.high[j])
    }
}
