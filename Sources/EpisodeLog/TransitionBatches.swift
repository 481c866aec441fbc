/// Streams the RL transitions of a run: each step paired with the state of the next logged step of the same
/// episode, which may lie in the episode's next session.
///
/// Rules, for a step `s` of episode `e`:
/// - if the next step in key order belongs to `e` and directly follows `s` (next request of the session, or
///   request 0 of the next session after a `sessionEnd` step), it gives `s'`;
/// - otherwise `s` is the last logged step of `e`: if `terminal` (churn) the transition has `done = true`; if
///   `truncated` (horizon or request cap) it keeps `truncated = true`; both use `s' = s` as a placeholder;
/// - a last step that is neither has no successor yet (the run is still being written or was interrupted) and
///   is not yielded.
///
/// Keeps one step of look-ahead between batches; memory is O(batch).
public final class TransitionBatches {
    private let steps: LogBatches<KeyedStep>
    private let batchSize: Int
    private var pending: KeyedStep?
    private var exhausted = false

    init(steps: LogBatches<KeyedStep>, batchSize: Int) {
        self.steps = steps
        self.batchSize = max(1, batchSize)
    }

    /// The next batch of transitions (about `batchSize`), or `nil` at the end.
    public func next() throws -> [LoggedTransition]? {
        var output: [LoggedTransition] = []
        output.reserveCapacity(batchSize)
        while output.count < batchSize && !exhausted {
            guard let batch = try steps.next() else {
                exhausted = true
                if let last = pending.take(), let transition = Self.finalTransition(last) {
                    output.append(transition)
                }
                break
            }
            for step in batch {
                if let previous = pending {
                    if Self.follows(step, previous) {
                        output.append(LoggedTransition(step: previous, nextState: step.step.state))
                    } else if let transition = Self.finalTransition(previous) {
                        output.append(transition)
                    }
                }
                pending = step
            }
        }
        return output.isEmpty && exhausted ? nil : output
    }

    /// Calls `body` with every remaining batch.
    public func forEach(_ body: ([LoggedTransition]) throws -> Void) throws {
        while let batch = try next() {
            try body(batch)
        }
    }

    /// Whether `step` is the step right after `previous` in the same episode.
    static func follows(_ step: KeyedStep, _ previous: KeyedStep) -> Bool {
        guard step.episode == previous.episode else { return false }
        if step.sessionIndex == previous.sessionIndex {
            return step.step.requestIndex == previous.step.requestIndex + 1
        }
        return step.sessionIndex == previous.sessionIndex + 1 && step.step.requestIndex == 0
            && previous.step.sessionEnd
    }

    /// The transition of an episode's last logged step, or `nil` when the episode is not over.
    static func finalTransition(_ step: KeyedStep) -> LoggedTransition? {
        guard step.step.terminal || step.step.truncated else { return nil }
        return LoggedTransition(step: step, nextState: step.step.state)
    }
}
