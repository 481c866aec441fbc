import Numerics

/// A point mass at `location(r)`: log-density 0 where the action equals it exactly (what `act` logs), −∞ elsewhere.
@inline(__always)
func pointMassLogDensities(states: Matrix, actions: Matrix, dimension a: Int, into logDensities: inout [Double],
                           location: (_ row: Int, _ dimension: Int) -> Float) {
    preparePolicyDensityOutput(&logDensities, states: states, actions: actions, dimension: a)
    for r in 0..<states.rows {
        var equal = true
        for i in 0..<a where actions[r, i] != location(r, i) { equal = false }
        logDensities[r] = equal ? 0 : -.infinity
    }
}

extension FixedPolicy: PolicyDensity {
    public var isDeterministic: Bool { true }

    public func locations(states: Matrix, into locations: inout Matrix) {
        locations.resize(rows: states.rows, columns: action.count)
        for r in 0..<states.rows { locations.setRow(r, to: action) }
    }

    public func logDensities(states: Matrix, actions: Matrix, into logDensities: inout [Double]) {
        pointMassLogDensities(states: states, actions: actions, dimension: action.count, into: &logDensities) { _, i in action[i] }
    }
}

extension RampPolicy: PolicyDensity {
    public var isDeterministic: Bool { true }

    /// The ramp's action at row `r`, dimension `i`, computed as `act` computes it.
    @inline(__always)
    func rampAction(states: Matrix, row r: Int, dimension i: Int) -> Float {
        let t = min(max((states[r, featureIndex] - low) / (high - low), 0), 1)
        return from[i] + t * (to[i] - from[i])
    }

    public func locations(states: Matrix, into locations: inout Matrix) {
        locations.resize(rows: states.rows, columns: actionSpace.dimension)
        for r in 0..<states.rows {
            for i in 0..<actionSpace.dimension { locations[r, i] = rampAction(states: states, row: r, dimension: i) }
        }
    }

    public func logDensities(states: Matrix, actions: Matrix, into logDensities: inout [Double]) {
        pointMassLogDensities(states: states, actions: actions, dimension: actionSpace.dimension, into: &logDensities) {
            rampAction(states: states, row: $0, dimension: $1)
        }
    }
}

extension UniformRandomPolicy: PolicyDensity {
    public var isDeterministic: Bool { false }

    /// The centre of the box, as `act` records it.
    public func locations(states: Matrix, into locations: inout Matrix) {
        let a = actionSpace.dimension
        locations.resize(rows: states.rows, columns: a)
        for r in 0..<states.rows {
            for i in 0..<a { locations[r, i] = actionSpace.denormalize(0, dimension: i) }
        }
    }

    /// 1/vol(box) inside the box: −log|J| − n·log 2 (the normalised box has volume 2ⁿ); −∞ outside.
    public func logDensities(states: Matrix, actions: Matrix, into logDensities: inout [Double]) {
        let a = actionSpace.dimension
        preparePolicyDensityOutput(&logDensities, states: states, actions: actions, dimension: a)
        let inside = -actionSpace.logJacobian - Double(a) * Elementary.log(2.0)
        for r in 0..<states.rows {
            var logDensity = inside
            for i in 0..<a where actionSpace.normalizedForDensity(actions[r, i], dimension: i) == nil { logDensity = -.infinity }
            logDensities[r] = logDensity
        }
    }
}

extension GaussianPolicy: PolicyDensity {
    public var isDeterministic: Bool { false }

    /// The mean, as `act` records it.
    public func locations(states: Matrix, into locations: inout Matrix) {
        locations.resize(rows: states.rows, columns: mean.count)
        for r in 0..<states.rows { locations.setRow(r, to: mean) }
    }

    /// Σᵢ log N_[−1,1](xᵢ; μᵢ, σ²) − log|J| with x the normalised action (`Exploration.truncatedGaussianLogDensity`).
    public func logDensities(states: Matrix, actions: Matrix, into logDensities: inout [Double]) {
        let a = actionSpace.dimension
        preparePolicyDensityOutput(&logDensities, states: states, actions: actions, dimension: a)
        let logJacobian = actionSpace.logJacobian
        let means = (0..<a).map { Double(actionSpace.normalize(mean[$0], dimension: $0)) }
        let terms = means.map { Exploration.TruncatedGaussianTerms(mean: $0, sigma: Double(sigma)) }
        for r in 0..<states.rows {
            var logDensity = -logJacobian
            for i in 0..<a {
                guard let x = actionSpace.normalizedForDensity(actions[r, i], dimension: i) else {
                    logDensity = -.infinity
                    break
                }
                logDensity += Exploration.truncatedGaussianLogDensity(x, mean: means[i], sigma: Double(sigma), terms: terms[i])
            }
            logDensities[r] = logDensity
        }
    }
}

extension MixturePolicy: PolicyDensity {
    public var isDeterministic: Bool { false }

    /// The baseline both components centre on, as `act` records it.
    public func locations(states: Matrix, into locations: inout Matrix) {
        locations.resize(rows: states.rows, columns: mean.count)
        for r in 0..<states.rows { locations.setRow(r, to: mean) }
    }

    /// log(½·p_box(x) + ½·p_gauss(x)) − log|J|, both components evaluated at the normalised action x whichever drew
    /// it: p_box uniform on Πᵢ [max(−1, μᵢ − h), min(1, μᵢ + h)] (its faces widened by `roundingSlack`, as the box's),
    /// p_gauss the truncated Gaussian of `GaussianPolicy`.
    public func logDensities(states: Matrix, actions: Matrix, into logDensities: inout [Double]) {
        let a = actionSpace.dimension
        preparePolicyDensityOutput(&logDensities, states: states, actions: actions, dimension: a)
        let logJacobian = actionSpace.logJacobian, logTwo = Elementary.log(2.0)
        for r in 0..<states.rows {
            var gauss = 0.0, box = 0.0
            for i in 0..<a {
                guard let x = actionSpace.normalizedForDensity(actions[r, i], dimension: i) else {
                    gauss = -.infinity
                    box = -.infinity
                    break
                }
                let m = actionSpace.normalize(mean[i], dimension: i)
                gauss += Exploration.truncatedGaussianLogDensity(x, mean: Double(m), sigma: Double(sigma))
                let b = Exploration.box(m, halfWidth: boxHalfWidth)
                let slack = actionSpace.roundingSlack(dimension: i)
                if x >= Double(b.low) - slack && x <= Double(b.high) + slack {
                    box -= Elementary.log(Double(b.high - b.low))
                } else {
                    box = -.infinity
                }
            }
            logDensities[r] = logAddExp(box, gauss) - logTwo - logJacobian
        }
    }
}
