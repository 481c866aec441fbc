/// Streams the RL transitions of a logged run by `TransitionRule`, the rule online training uses: each step paired
/// with the state of the next logged step of the same episode, which may lie in the episode's next session.
///
/// Keeps one step of look-ahead between batches; memory is O(batch).
public final class TransitionBatches {
    private let steps: LogBatches<TransitionStep>
    private let batchSize: Int
    private var rule = TransitionRule()
    private var exhausted = false

    /// A step with the ending of its session (when it is the session's last step), as the transition stream reads it.
    struct TransitionStep {
        var keyed: KeyedStep
        var ending: TransitionRule.SessionEnding?
    }

    init(steps: LogBatches<TransitionStep>, batchSize: Int) {
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
                rule.finish { output.append($0) }
                break
            }
            for step in batch {
                rule.add(step.keyed, ending: step.ending) { output.append($0) }
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
}
