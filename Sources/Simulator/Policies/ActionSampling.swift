import Numerics

/// A stochastic policy that can draw its actions alone: the same draws from the same streams as `act`, without the
/// log-densities, means and groups that `act` records. Off-policy evaluation averages a target's reward model over
/// 16 of its actions per logged step (10⁶ steps: 16·10⁶ rows), where only the actions are read.
public protocol ActionSampling: FusionPolicy {
    /// The actions `act` would choose for `states` with these `streams` (each advanced as `act` advances it), into
    /// `actions` (`batch × dimension`, raw units; resized).
    func sampleActions(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into actions: inout Matrix)
}

extension GaussianPolicy: ActionSampling {
    public func sampleActions(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into actions: inout Matrix) {
        let a = actionSpace.dimension
        actions.resize(rows: states.rows, columns: a)
        let normalizedMean = actionSpace.normalize(mean).map(Double.init)
        let (low, high) = (actionSpace.low, actionSpace.high)
        let sd = Double(sigma)
        actions.withUnsafeMutableBufferPointer { out in
            for r in 0..<states.rows {
                for i in 0..<a {
                    let x = Float(streams[r].truncatedNormal(mean: normalizedMean[i], standardDeviation: sd, lower: -1, upper: 1))
                    out[r * a + i] = low[i] + (x + 1) * 0.5 * (high[i] - low[i])
                }
            }
        }
    }
}
