import Numerics
import Simulator
import Testing

/// What `expectLoggedDensities` found: the largest |protocol − logged| and how many rows it checked.
public struct LoggedDensityCheck {
    public var worst: Double
    public var rows: Int
}

/// Records an issue for every row whose `PolicyDensity` value for the logged `(state, action)` differs from the
/// `logged` log-density by more than the density's own variation over the action's `Float` rounding.
///
/// A stochastic policy computes its logged log-density at the normalised draw x; the log keeps the raw action, the
/// `Float` image of x, whose exact preimage differs from x by a few units in the last place at the box's scale. So
/// the two agree up to |∂ log π/∂a| times that rounding: per dimension, the larger change of log π from a to a ± ε,
/// ε = 4 units in the last place of max(|low|, |high|), summed over dimensions. A deterministic policy must give
/// exactly the logged 0.
@discardableResult
public func expectLoggedDensities(_ policy: any PolicyDensity, states: Matrix, actions: Matrix, logged: [Double],
                                  _ label: String, sourceLocation: SourceLocation = #_sourceLocation) -> LoggedDensityCheck {
    var values = [Double]()
    policy.logDensities(states: states, actions: actions, into: &values)
    var worst = 0.0
    if policy.isDeterministic {
        for r in 0..<states.rows where values[r] != logged[r] {
            Issue.record(Comment(rawValue: "\(label) row \(r): \(values[r]), logged \(logged[r])"), sourceLocation: sourceLocation)
        }
        return LoggedDensityCheck(worst: zip(values, logged).map { abs($0 - $1) }.max() ?? 0, rows: states.rows)
    }
    let space = policy.actionSpace
    var bounds = [Double](repeating: 0, count: states.rows)
    var plus = [Double](), minus = [Double]()
    for j in 0..<space.dimension {
        let epsilon = 4 * Float.ulpOfOne * max(abs(space.low[j]), abs(space.high[j]))
        var up = actions, down = actions
        for r in 0..<actions.rows {
            up[r, j] += epsilon
            down[r, j] -= epsilon
        }
        policy.logDensities(states: states, actions: up, into: &plus)
        policy.logDensities(states: states, actions: down, into: &minus)
        for r in 0..<states.rows { bounds[r] += max(abs(plus[r] - values[r]), abs(minus[r] - values[r])) }
    }
    for r in 0..<states.rows {
        let difference = abs(values[r] - logged[r])
        worst = max(worst, difference)
        if !(values[r].isFinite && difference <= bounds[r] + 1e-12 * max(1, abs(logged[r]))) {
            Issue.record(Comment(rawValue: "\(label) row \(r): \(values[r]), logged \(logged[r]), allowed \(bounds[r])"),
                         sourceLocation: sourceLocation)
        }
    }
    return LoggedDensityCheck(worst: worst, rows: states.rows)
}
