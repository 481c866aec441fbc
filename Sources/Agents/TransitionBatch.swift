import EpisodeLog
import Numerics
import Simulator

/// A batch of environment transitions `(s, a, r, s', terminal, truncated)` handed to
/// `OnlineAgent.observe(_:)`, one row per transition.
///
/// `terminal` marks a true end of the MDP (the user left; no bootstrap from `s'`);
/// `truncated` marks an end imposed from outside (a time limit, the end of a collection block),
/// after which the value of `s'` still counts. A transition may be neither, not both.
public struct TransitionBatch: Sendable {
    /// Raw (unnormalised) observed states, `count × stateDimension`.
    public var states: Matrix
    /// Actions in the normalised box [-1, 1]^A, `count × actionDimension`.
    public var actions: Matrix
    /// Rewards, unscaled.
    public var rewards: [Float]
    /// Raw next states, `count × stateDimension` (ignored for terminal transitions, but stored).
    public var nextStates: Matrix
    public var terminals: [Bool]
    public var truncations: [Bool]
    /// Hours from each decision to the next (for discounting by time, `Discounting`); `nil` when the source has
    /// no clock.
    public var elapsedHours: [Float]?

    public var count: Int { rewards.count }

    public init(states: Matrix, actions: Matrix, rewards: [Float], nextStates: Matrix,
                terminals: [Bool], truncations: [Bool]? = nil, elapsedHours: [Float]? = nil) {
        let n = rewards.count
        precondition(states.rows == n && actions.rows == n && nextStates.rows == n && terminals.count == n,
                     "TransitionBatch: \(states.rows) states, \(actions.rows) actions, \(n) rewards, "
                     + "\(nextStates.rows) next states, \(terminals.count) terminal flags")
        precondition(states.columns == nextStates.columns, "TransitionBatch: states have \(states.columns) columns, next states \(nextStates.columns)")
        let truncations = truncations ?? [Bool](repeating: false, count: n)
        precondition(truncations.count == n, "TransitionBatch: \(truncations.count) truncation flags for \(n) transitions")
        precondition(!zip(terminals, truncations).contains { $0 && $1 }, "TransitionBatch: a transition cannot be both terminal and truncated")
        precondition(elapsedHours.map { $0.count == n && $0.allSatisfy { $0 >= 0 } } ?? true,
                     "TransitionBatch: need \(n) non-negative elapsed times")
        self.states = states
        self.actions = actions
        self.rewards = rewards
        self.nextStates = nextStates
        self.terminals = terminals
        self.truncations = truncations
        self.elapsedHours = elapsedHours
    }

    /// A batch whose actions are given in raw units (as a `FusionPolicy` returns them), normalised
    /// here with `actionSpace` and clamped to [-1, 1].
    public init(states: Matrix, rawActions: Matrix, actionSpace: ActionSpace, rewards: [Float], nextStates: Matrix,
                terminals: [Bool], truncations: [Bool]? = nil, elapsedHours: [Float]? = nil) {
        precondition(rawActions.columns == actionSpace.dimension,
                     "TransitionBatch: \(rawActions.columns) action columns for \(actionSpace.dimension) dimensions")
        var actions = rawActions
        let a = actionSpace.dimension
        actions.withUnsafeMutableBufferPointer { x in
            for k in 0..<x.count {
                x[k] = min(max(actionSpace.normalize(x[k], dimension: k % a), -1), 1)
            }
        }
        self.init(states: states, actions: actions, rewards: rewards, nextStates: nextStates,
                  terminals: terminals, truncations: truncations, elapsedHours: elapsedHours)
    }
}
