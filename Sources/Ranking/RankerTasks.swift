import Simulator

/// The output columns of a ranker for an environment: one per environment task, in the environment's order
/// (so that column `k` is the simulator's task `k`), then the watch-time regression.
public enum RankerTasks {
    /// Name of the regression column: `log(1 + watch seconds)` of played items.
    public static let watchTask = "watchLogSeconds"

    /// Task specs for `config`'s tasks plus the watch-time regression.
    ///
    /// With `cascade` (ESMM, Ma et al. SIGIR 2018), a task realised only after a binary parent task (`given:
    /// click`) is trained as `p(parent) · p(task | parent)` over every impression; a task whose parent is itself
    /// conditional stays a plain binary task (the head is one level deep, as in ESMM's CTR → CVR).
    public static func specs(for config: EnvironmentConfig, cascade: Bool) -> [TaskSpec] {
        let names = config.taskNames
        var specs = names.map { TaskSpec(name: $0) }
        if cascade {
            for (j, task) in config.tasks.enumerated() {
                guard let given = task.given, let parent = names.firstIndex(of: given), parent != j,
                      config.tasks[parent].given == nil else { continue }
                specs[j].kind = .cascade(parent: parent)
            }
        }
        specs.append(TaskSpec(name: watchTask, kind: .regression))
        return specs
    }

    /// Checks that a ranker's tasks start with the environment's tasks, in order; returns the first mismatch.
    public static func mismatch(_ tasks: [TaskSpec], config: EnvironmentConfig) -> String? {
        let names = config.taskNames
        guard tasks.count >= names.count else {
            return "the ranker predicts \(tasks.count) tasks, the environment has \(names.count) (\(names.joined(separator: ", ")))"
        }
        for (k, name) in names.enumerated() where tasks[k].name != name || tasks[k].kind == .regression {
            return "ranker column \(k) is \"\(tasks[k].name)\", the environment's task \(k) is \"\(name)\""
        }
        return nil
    }
}
