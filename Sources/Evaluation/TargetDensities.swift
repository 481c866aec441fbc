import Numerics
import Simulator

/// The target log-densities to give `LoggedDecisions` for a target policy on logged (state, action) rows.
public enum TargetDensities {
    /// log π_e(a_t | s_t) in raw units (`PolicyDensity`) for every row of raw `states` and `actions`: the policy's
    /// own density when it is stochastic; for a deterministic policy, which has none, the log-density of `smoothing`'s
    /// kernel around its action (`KernelSmoothing`, Kallus & Zhou 2018), which must then be given. Refused when the
    /// action dimensions differ from the policy's, or a deterministic target comes without a kernel.
    public static func logDensities(of policy: any PolicyDensity, states: Matrix, actions: Matrix,
                                    smoothing: KernelSmoothing?) throws -> [Double] {
        let space = policy.actionSpace
        guard actions.columns == space.dimension, actions.rows == states.rows else {
            throw EvaluationError.invalidParameter("target \(policy.spec): \(actions.rows) × \(actions.columns) logged actions for \(states.rows) states and \(space.dimension) action dimensions")
        }
        guard policy.isDeterministic else {
            var out = [Double]()
            policy.logDensities(states: states, actions: actions, into: &out)
            return out
        }
        guard let smoothing else {
            throw EvaluationError.invalidParameter("target \(policy.spec) is deterministic: it has no density, so its weights need a smoothing kernel")
        }
        var locations = Matrix(rows: states.rows, columns: space.dimension)
        policy.locations(states: states, into: &locations)
        return try smoothing.logDensities(actions: actions, locations: locations, actionSpace: space)
    }
}
