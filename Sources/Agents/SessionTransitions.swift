import EpisodeLog
import Numerics
import Rollout
import Simulator

extension TransitionBatch {
    /// The transitions of traced sessions (`SessionRecord.steps`), in (episode, session, request) order.
    ///
    /// An episode is one user's run of sessions, so a session's last step leads to the first state of the user's
    /// next session (its reward includes any return bonus); a churn ends the MDP (terminal). The last step of an
    /// episode cut by the horizon has no next state and is left out (no bootstrap target exists for it).
    ///
    /// `elapsedHours` holds each transition's duration on the simulator's clock: the request's browsing and watching
    /// (`requestMinutes`), plus the return gap when the session ended there.
    public init(sessions: [SessionRecord], actionSpace: ActionSpace, stateDimension: Int, browseSecondsPerImpression: Double) {
        var order = sessions.indices.filter { !sessions[$0].steps.isEmpty }
        order.sort { (sessions[$0].episode, sessions[$0].sessionIndex) < (sessions[$1].episode, sessions[$1].sessionIndex) }
        var states: [Float] = [], nextStates: [Float] = [], actions: [Float] = [], rewards: [Float] = []
        var terminals: [Bool] = [], elapsed: [Float] = []
        var previous: (episode: Int, state: [Float], action: [Float], reward: Double, minutes: Double)? = nil
        func emit(next: [Float], terminal: Bool, gapMinutes: Double) {
            guard let p = previous else { return }
            states += p.state
            actions += p.action
            rewards.append(Float(p.reward))
            nextStates += next
            terminals.append(terminal)
            elapsed.append(Float((p.minutes + gapMinutes) / 60))
        }
        var gapMinutes = 0.0
        for index in order {
            let session = sessions[index]
            for step in session.steps {
                if let p = previous, p.episode == session.episode { emit(next: step.state, terminal: false, gapMinutes: gapMinutes) }
                gapMinutes = 0
                previous = (session.episode, step.state, step.action, step.reward,
                            Self.requestMinutes(step, browseSecondsPerImpression: browseSecondsPerImpression))
            }
            let last = session.steps[session.steps.count - 1]
            if session.end == .churned {
                emit(next: last.state, terminal: true, gapMinutes: 0)
                previous = nil
            } else if session.end == .horizon {
                previous = nil
            } else {
                gapMinutes = session.returnGapMinutes ?? 0
            }
        }
        let n = rewards.count
        self.init(states: Matrix(rows: n, columns: stateDimension, elements: states),
                  rawActions: Matrix(rows: n, columns: actionSpace.dimension, elements: actions), actionSpace: actionSpace,
                  rewards: rewards, nextStates: Matrix(rows: n, columns: stateDimension, elements: nextStates),
                  terminals: terminals, elapsedHours: elapsed)
    }

    /// Minutes a request took on the simulator's clock: `browseSecondsPerImpression` for every examined impression
    /// plus the watch time of every play (the same sum, in the same order, as the simulator's session duration).
    public static func requestMinutes(_ step: LoggedStep, browseSecondsPerImpression: Double) -> Double {
        var minutes = 0.0
        for impression in step.impressions where impression.examined {
            minutes += browseSecondsPerImpression / 60
            if impression.tasks & 1 != 0 { minutes += Double(impression.watchSeconds) / 60 }
        }
        return minutes
    }
}
