import EpisodeLog
import Numerics
import Rollout
import Simulator

extension TransitionBatch {
    /// The transitions learners bootstrap from, out of `TransitionRule`'s transitions: every one but those cut at
    /// the horizon, which have no next state (`LoggedTransition.hasOutcome`). Actions are normalised with
    /// `actionSpace`; elapsed hours are kept when every transition has its time (`Discounting.hours(minutes:)`).
    public init(transitions: [LoggedTransition], actionSpace: ActionSpace, stateDimension: Int) {
        let kept = transitions.filter(\.hasOutcome)
        let n = kept.count, a = actionSpace.dimension
        var states = Matrix(rows: n, columns: stateDimension), nextStates = Matrix(rows: n, columns: stateDimension)
        var actions = Matrix(rows: n, columns: a)
        var rewards = [Float](), terminals = [Bool](), elapsed = [Float]()
        rewards.reserveCapacity(n)
        terminals.reserveCapacity(n)
        elapsed.reserveCapacity(n)
        var timed = true
        for (r, t) in kept.enumerated() {
            precondition(t.state.count == stateDimension && t.nextState.count == stateDimension && t.action.count == a,
                         "TransitionBatch: a transition of another layout (\(t.state.count) state, \(t.action.count) action values)")
            states.setRow(r, to: t.state)
            nextStates.setRow(r, to: t.nextState)
            actions.setRow(r, to: t.action)
            rewards.append(Float(t.reward))
            terminals.append(t.terminal)
            if let minutes = t.elapsedMinutes { elapsed.append(Discounting.hours(minutes: minutes)) } else { timed = false }
        }
        self.init(states: states, rawActions: actions, actionSpace: actionSpace, rewards: rewards, nextStates: nextStates,
                  terminals: terminals, elapsedHours: timed ? elapsed : nil)
    }

    /// The learners' transitions of traced sessions (`SessionRecord.steps`), by `TransitionRule`: the rule the
    /// episode log's `transitions(run:)` applies to the same sessions read back.
    public init(sessions: [SessionRecord], actionSpace: ActionSpace, stateDimension: Int) {
        let ordered = sessions.filter { !$0.steps.isEmpty }.sorted { ($0.episode, $0.sessionIndex) < ($1.episode, $1.sessionIndex) }
        self.init(transitions: TransitionRule.transitions(of: ordered), actionSpace: actionSpace, stateDimension: stateDimension)
    }
}
