import Numerics

/// A fusion policy that states its distribution π(·|s) at any action, not only at its own draws: what off-policy
/// evaluation and offline RL need of a target or behaviour policy (importance weights π_e(a|s)/π_b(a|s) on logged
/// steps, policy likelihoods in offline objectives; for a deterministic target, the point mass's location, which
/// kernel-smoothed estimators put a kernel on, Kallus & Zhou 2018).
///
/// A refinement of `FusionPolicy` rather than new requirements on it, so that code holding `any FusionPolicy` can ask
/// (`as? any PolicyDensity`) and new policies can act before they state a density.
///
/// Conventions are those of the logged `log_density` (`PolicyOutput.logDensities`), so that a value given here for a
/// logged step and that step's `logDensity` are the same number up to the rounding of the raw action:
/// - densities are in raw action units: the density on the normalised box [−1, 1]ⁿ minus `ActionSpace.logJacobian`;
/// - a deterministic policy is a point mass at `locations(states:into:)`: log-density 0 at that action (what the log
///   records for it) and −∞ at any other;
/// - a raw action is the `Float` image of a normalised draw, so one within `Float` rounding of the box's faces counts
///   as on them (`ActionSpace.normalizedForDensity`).
public protocol PolicyDensity: FusionPolicy {
    /// Whether π(·|s) is a point mass (the action is a function of the state): no density with respect to Lebesgue
    /// measure, so estimators must smooth around `locations` instead of weighting by densities.
    var isDeterministic: Bool { get }
    /// The action without exploration for each state, raw units, `batch × actionDimension`: the value `act` records
    /// in `PolicyOutput.means` (for a deterministic policy, its action). `locations` is reshaped only when its shape
    /// differs.
    func locations(states: Matrix, into locations: inout Matrix)
    /// log π(actions[r] | states[r]) for every row `r`, raw units; `logDensities` is resized only when its count
    /// differs from `states.rows`.
    func logDensities(states: Matrix, actions: Matrix, into logDensities: inout [Double])
}

extension PolicyDensity {
    /// log π(action | state) of one row (allocates; for batches, `logDensities(states:actions:into:)`).
    public func logDensity(state: [Float], action: [Float]) -> Double {
        var out = [Double]()
        logDensities(states: Matrix(rows: 1, columns: state.count, elements: state),
                     actions: Matrix(rows: 1, columns: action.count, elements: action), into: &out)
        return out[0]
    }

    /// The action without exploration for one state (allocates).
    public func location(state: [Float]) -> [Float] {
        var out = Matrix(rows: 1, columns: actionSpace.dimension)
        locations(states: Matrix(rows: 1, columns: state.count, elements: state), into: &out)
        return Array(out.row(0))
    }
}

/// Shapes the outputs of `PolicyDensity` methods, keeping storage when the shape already fits.
@inlinable
public func preparePolicyDensityOutput(_ logDensities: inout [Double], states: Matrix, actions: Matrix, dimension: Int) {
    precondition(actions.rows == states.rows && actions.columns == dimension,
                 "PolicyDensity: \(actions.rows)×\(actions.columns) actions for \(states.rows) states and \(dimension) dimensions")
    if logDensities.count != states.rows { logDensities = [Double](repeating: 0, count: states.rows) }
}

extension ActionSpace {
    /// How far outside [−1, 1] (normalised units) a raw action of dimension `i` may lie through `Float` rounding
    /// alone: `denormalize` rounds a few times at the scale of max(|low|, |high|), so 8 units in the last place of
    /// that scale, divided by the half-width.
    @inline(__always)
    public func roundingSlack(dimension i: Int) -> Double {
        let scale = Double(max(abs(low[i]), abs(high[i])))
        return 16 * Double(Float.ulpOfOne) * scale / Double(high[i] - low[i])
    }

    /// The normalised value of the raw `a` of dimension `i`, in `Double` (the exact inverse of the `Float` raw value),
    /// clamped to [−1, 1] when outside by no more than `roundingSlack`; nil when farther outside (density 0).
    @inline(__always)
    public func normalizedForDensity(_ a: Float, dimension i: Int) -> Double? {
        let (lo, hi) = (Double(low[i]), Double(high[i]))
        let x = 2 * (Double(a) - lo) / (hi - lo) - 1
        if x >= -1 && x <= 1 { return x }
        let slack = roundingSlack(dimension: i)
        guard x >= -1 - slack && x <= 1 + slack else { return nil }
        return min(max(x, -1), 1)
    }
}
