import EpisodeLog
import Numerics
import Simulator

/// A batch of transitions `(s, a, r, s', terminal)` that learners bootstrap from, handed to
/// `OnlineAgent.observe(_:)`, one row per transition.
///
/// `terminal` marks a true end of the MDP (the user churned; no bootstrap from `s'`); every other row's `s'` is the
/// next state. Transitions without a next state (`LoggedTransition.truncated`, cut at the horizon) are not in a batch:
/// `TransitionBatch(transitions:…)` leaves them out.
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
    /// Hours from each decision to the next (for discounting by time, `Discounting`); `nil` when the source has
    /// no clock.
    public var elapsedHours: [Float]?

    public var count: Int { rewards.count }

    public init(states: Matrix, actions: Matrix, rewards: [Float], nextStates: Matrix,
                terminals: [Bool], elapsedHours: [Float]? = nil) {
        let n = rewards.count
        precondition(states.rows == n && actions.rows == n && nextStates.rows == n && terminals.count == n,
                     "TransitionBatch: \(states.rows) states, \(actions.rows) actions, \(n) rewards, "
                     + "\(nextStates.rows) next states, \(terminals.count) terminal flags")
        precondition(states.columns == nextStates.columns, "TransitionBatch: states have \(states.columns) columns, next states \(nextStates.columns)")
        precondition(elapsedHours.map { $0.count == n && $0.allSatisfy { $0 >= 0 } } ?? true,
                     "TransitionBatch: need \(n) non-negative elapsed times")
        self.states = states
        self.actions = actions
        self.rewards = rewards
        self.nextStates = nextStates
        self.terminals = terminals
        self.elapsedHours = elapsedHours
    }

    /// A batch whose actions are given in raw units (as a `FusionPolicy` returns them), normalised
    /// here with `actionSpace` and clamped to [-1, 1].
    public init(states: Matrix, rawActions: Matrix, actionSpace: ActionSpace, rewards: [Float], nextStates: Matrix,
                terminals: [Bool], elapsedHours: [Float]? = nil) {
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
                  terminals: terminals, elapsedHours: elapsedHours)
    }
}
