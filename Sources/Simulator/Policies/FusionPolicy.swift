import Numerics

/// How an action was chosen, recorded with every logged step so that off-policy estimators can
/// recompute propensities (docs/design.md, "Exploration and behaviour densities").
public enum ExplorationGroup: UInt8, Sendable, CaseIterable {
    /// No exploration: the action is a function of the state.
    case deterministic = 0
    /// Truncated Gaussian around the behaviour mean.
    case gaussian = 1
    /// Uniform in a box around the behaviour mean (BatchRL-MTF's ±0.15).
    case uniformBox = 2
    /// Uniform in the whole action box.
    case uniform = 3
    /// Stochastic with no closed-form density (BCQ's best of sampled generative-model proposals): the recorded
    /// log-density is 0 only because the log's column cannot hold NaN, and no estimator may read it as a density.
    case implicit = 4

    public var name: String {
        switch self {
        case .deterministic: "deterministic"
        case .gaussian: "gaussian"
        case .uniformBox: "uniform-box"
        case .uniform: "uniform"
        case .implicit: "implicit"
        }
    }
}

/// The actions a policy chose for a batch of states, with the behaviour-policy fields OPE needs.
public struct PolicyOutput: Sendable {
    /// Raw fusion parameters, `batch × actionDimension`.
    public var actions: Matrix
    /// The behaviour mean (the action without exploration), raw units, `batch × actionDimension`.
    public var means: Matrix
    /// Log-density of each action under the behaviour policy, in raw action units
    /// (0 for deterministic actions, whose "density" is a point mass).
    public var logDensities: [Double]
    /// Which exploration component produced each action.
    public var groups: [ExplorationGroup]

    public init(batch: Int, actionDimension: Int) {
        actions = Matrix(rows: batch, columns: actionDimension)
        means = Matrix(rows: batch, columns: actionDimension)
        logDensities = [Double](repeating: 0, count: batch)
        groups = [ExplorationGroup](repeating: .deterministic, count: batch)
    }

    /// Writes row `row`: the action and behaviour mean (raw units), the log-density and the exploration group.
    @inlinable
    public mutating func record(row: Int, action: [Float], mean: [Float], logDensity: Double, group: ExplorationGroup) {
        actions.setRow(row, to: action)
        means.setRow(row, to: mean)
        logDensities[row] = logDensity
        groups[row] = group
    }

    /// Reshapes for a batch of `batch` states, keeping storage when possible.
    public mutating func prepare(batch: Int, actionDimension: Int) {
        actions.resize(rows: batch, columns: actionDimension)
        means.resize(rows: batch, columns: actionDimension)
        if logDensities.count != batch {
            logDensities = [Double](repeating: 0, count: batch)
            groups = [ExplorationGroup](repeating: .deterministic, count: batch)
        }
    }
}

/// A fusion policy: maps observed states to fusion parameters.
///
/// Stochastic policies draw from the per-row `streams` (one stream per session, keyed by
/// (seed, user, session)), so a session's actions do not depend on which other sessions share its batch.
public protocol FusionPolicy: Sendable {
    /// The policy as a `--policy` spec (readable, and parseable back where possible).
    var spec: String { get }
    var actionSpace: ActionSpace { get }
    /// Standard deviation (Gaussian) or half-width (box) of the exploration in normalised units; 0 if none.
    var explorationScale: Float { get }
    /// Chooses actions for `states` (`batch × stateDimension`), one stream per row.
    func act(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into output: inout PolicyOutput)
    /// The policy's parameters as a JSON object: what an episode log records of it (`RunMetadata.policyParameters`),
    /// enough with `spec` to re-create or evaluate the run.
    var parametersJSON: String { get }
}

extension FusionPolicy {
    /// `{"spec": …, "explorationScale": …}`.
    public var parametersJSON: String {
        "{\"spec\": \(jsonString(spec)), \"explorationScale\": \(explorationScale)}"
    }
}
