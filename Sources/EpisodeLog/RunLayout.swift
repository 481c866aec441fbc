/// The vector dimensions of one run, checked against every record before it is written so that a log never
/// holds a vector its names do not describe.
struct RunLayout: Sendable {
    var runID: Int64
    var stateCount: Int
    var actionCount: Int
    var rewardComponentCount: Int
    var taskCount: Int

    init(runID: Int64, metadata: RunMetadata) {
        self.runID = runID
        stateCount = metadata.stateNames.count
        actionCount = metadata.actionNames.count
        rewardComponentCount = metadata.rewardComponentNames.count
        taskCount = metadata.taskNames.count
    }

    /// Throws `.invalidRecord` naming the session, step and field that does not fit the layout.
    func validate(_ session: LoggedSession, path: String) throws {
        // Messages are built only on failure (`@autoclosure`): this runs for every impression the writer stores.
        func fail(_ what: String) -> EpisodeLogError {
            EpisodeLogError(path: path, kind: .invalidRecord(
                "session (episode \(session.episode), index \(session.sessionIndex)): \(what)"))
        }
        func expect(_ actual: Int, _ expected: Int, _ what: @autoclosure () -> String) throws {
            if actual != expected { throw fail("\(what()) has \(actual) values, the run's layout has \(expected)") }
        }
        guard session.episode >= 0, session.sessionIndex >= 0 else { throw fail("negative key") }
        try expect(session.taskCounts.count, taskCount, "taskCounts")
        guard session.requests == session.steps.count else {
            throw fail("requests is \(session.requests) but \(session.steps.count) steps are given")
        }
        var impressionCount = 0
        for (index, step) in session.steps.enumerated() {
            var at: String { "step \(step.requestIndex)" }
            guard step.requestIndex == index else { throw fail("\(at) is at position \(index) of the steps") }
            try expect(step.state.count, stateCount, "\(at) state")
            try expect(step.action.count, actionCount, "\(at) action")
            try expect(step.behaviourMean.count, actionCount, "\(at) behaviourMean")
            try expect(step.rewardComponents.count, rewardComponentCount, "\(at) rewardComponents")
            for impression in step.impressions {
                try expect(impression.predictions.count, taskCount,
                           "\(at) impression \(impression.position) predictions")
                if taskCount < 32, impression.tasks >> UInt32(taskCount) != 0 {
                    throw fail("\(at) impression \(impression.position) sets task bits beyond \(taskCount) tasks")
                }
            }
            if let candidates = step.candidates {
                try expect(candidates.predictions.count, candidates.items.count * taskCount,
                           "\(at) candidate predictions (\(candidates.items.count) items × tasks)")
            }
            impressionCount += step.impressions.count
        }
        guard session.impressions == impressionCount else {
            throw fail("impressions is \(session.impressions) but the steps hold \(impressionCount)")
        }
    }
}
