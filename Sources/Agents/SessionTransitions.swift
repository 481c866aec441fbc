import Numerics
import Rollout
import Simulator

extension TransitionBatch {
    /// The transitions of traced sessions (`SessionRecord.steps`), in (episode, session, request) order.
    ///
    /// An episode is one user's run of sessions, so a session's last step leads to the first state of the user's
    /// next session (its reward includes any return bonus); a churn ends the MDP (terminal). The last step of an
    /// episode cut by the horizon has no next state and is left out (no bootstrap target exists for it).
    public init(sessions: [SessionRecord], actionSpace: ActionSpace, stateDimension: Int) {
        var order = sessions.indices.filter { !sessions[$0].steps.isEmpty }
        order.sort { (sessions[$0].episode, sessions[$0].sessionIndex) < (sessions[$1].episode, sessions[$1].sessionIndex) }
        var states: [Float] = [], nextStates: [Float] = [], actions: [Float] = [], rewards: [Float] = []
        var terminals: [Bool] = []
        var previous: (episode: Int, state: [Float], action: [Float], reward: Double)? = nil
        func emit(next: [Float], terminal: Bool) {
            guard let p = previous else { return }
            states += p.state
            actions += p.action
            rewards.append(Float(p.reward))
            nextStates += next
            terminals.append(terminal)
        }
        for index in order {
            let session = sessions[index]
            for step in session.steps {
                if let p = previous, p.episode == session.episode { emit(next: step.state, terminal: false) }
                previous = (session.episode, step.state, step.action, step.reward)
            }
            let last = session.steps[session.steps.count - 1]
            if session.end == .churned {
                emit(next: last.state, terminal: true)
                previous = nil
            } else if session.end == .horizon {
                previous = nil
            }
        }
        let n = rewards.count
        self.init(states: Matrix(rows: n, columns: stateDimension, elements: states),
                  rawActions: Matrix(rows: n, columns: actionSpace.dimension, elements: actions), actionSpace: actionSpace,
                  rewards: rewards, nextStates: Matrix(rows: n, columns: stateDimension, elements: nextStates),
                  terminals: terminals)
    }
}
