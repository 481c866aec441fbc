import Agents
import EpisodeLog
import Numerics
import Simulator

extension EpisodeLogDecisions {
    /// The decisions as the transitions FQE fits on: step for step the same steps, in the same order, with the same
    /// episodes, so that Q̂ and V̂ at slot t are the values of decision t.
    ///
    /// Step t's transition is (s_t, a_t, r_t, s_{t+1}) with s_{t+1} the next step of its episode (the log's next
    /// state: `TransitionRule` links a step to the following one), and the last step of each episode is terminal, whether the user
    /// churned or the episode reached the horizon: the estimands are returns over complete episodes, which end there.
    /// The learners' `OfflineDataset.load` differs on purpose: it leaves out the step cut at the horizon (it has no
    /// next state to bootstrap from, an infinite-horizon view) and keeps incomplete episodes. Each step keeps its
    /// hours to the next decision for discounting by time; actions are normalised into the run's box.
    ///
    /// Refused with one line when the features were released.
    public func offlineDataset(chunk: Int = 4096) throws(OffPolicyEvaluationError) -> OfflineDataset {
        let n = decisions.steps
        guard states.rows == n, actions.rows == n, elapsedHours.count == n else {
            throw .invalidSetting("FQE needs the run's states and actions, which were released before it was fitted")
        }
        let environment = AgentEnvironment(stateNames: run.metadata.stateNames, actionSpace: actionSpace)
        var dataset = OfflineDataset(environment: environment, capacity: n)
        let timed = !elapsedHours.contains { $0.isNaN }
        let offsets = decisions.episodeOffsets
        var episode = 0
        var start = 0
        while start < n {
            let rows = start..<min(start + chunk, n)
            var nextStates = Matrix(rows: rows.count, columns: states.columns)
            var terminals = [Bool](repeating: false, count: rows.count)
            var starts: [Int] = []
            for (r, t) in rows.enumerated() {
                while offsets[episode + 1] <= t { episode += 1 }
                if offsets[episode] == t { starts.append(r) }
                let last = offsets[episode + 1] == t + 1
                terminals[r] = last
                let source = last ? t : t + 1
                for c in 0..<states.columns { nextStates[r, c] = states[source, c] }
            }
            let batch = TransitionBatch(states: states.rows(rows), rawActions: actions.rows(rows), actionSpace: actionSpace,
                                        rewards: rows.map { Float(decisions.rewards[$0]) }, nextStates: nextStates,
                                        terminals: terminals, elapsedHours: timed ? Array(elapsedHours[rows]) : nil)
            dataset.append(batch, episodeStarts: starts)
            start = rows.upperBound
        }
        return dataset
    }
}
