/// What one output column of a multi-task network predicts, and how it is trained.
public struct TaskSpec: Codable, Equatable, Hashable, Sendable {
    public enum Kind: Codable, Equatable, Hashable, Sendable {
        /// A Bernoulli label; the column is a logit, `p = σ(z)`, trained with BCE on logits.
        case binary
        /// A real target (e.g. watch time, log-seconds or fraction of duration); the column is the
        /// prediction itself, trained with squared error.
        case regression
        /// The conditional stage of an ESMM cascade (Ma et al. SIGIR 2018): the column is the logit
        /// of `p(self | parent)`, the reported probability is `p(parent) · p(self | parent)`, and
        /// the label is "parent and self" over every impression (see `ESMMHead`).
        case cascade(parent: Int)
    }

    /// A stable name (`"click"`, `"long_view"`, `"watch_time"`).
    public var name: String
    public var kind: Kind

    public init(name: String, kind: Kind = .binary) {
        self.name = name
        self.kind = kind
    }

    /// Checks a task list: names unique, cascade parents earlier binary tasks.
    public static func validate(_ tasks: [TaskSpec]) {
        precondition(Set(tasks.map(\.name)).count == tasks.count, "TaskSpec: duplicate task names in \(tasks.map(\.name))")
        for (j, task) in tasks.enumerated() {
            if case .cascade(let parent) = task.kind {
                precondition(parent >= 0 && parent < tasks.count && parent != j && tasks[parent].kind == .binary,
                             "TaskSpec: cascade task \(task.name) needs a binary parent task, got index \(parent)")
            }
        }
    }
}
