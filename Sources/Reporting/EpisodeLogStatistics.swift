import EpisodeLog
import Foundation

/// What an episode log's charts show, gathered in one forward pass over each of the run's tables (sessions, steps,
/// impressions), batch by batch: the log is never loaded whole.
///
/// Definitions follow `SimulationSummary` (what `simulate` and `calibrate` print): rates are realisations per shown
/// item; return gaps are the minutes from a session's end to the next session; sessions per user-day and reward per
/// user-day count complete episodes only (ended by churn or at the horizon).
public struct EpisodeLogStatistics: Sendable {
    public var run: RunInfo
    /// The episode horizon of the run's environment, in days.
    public var horizonDays: Double
    public var episodes = 0
    public var sessions = 0
    public var requests = 0
    public var impressions = 0
    /// Realisations per task over the run (index = `RunMetadata.taskNames`).
    public var taskCounts: [Int]
    /// Sessions by number of requests (index = requests).
    public var requestsPerSession: [Int] = []
    public var returnGapMinutes: [Double] = []
    /// Reward per user-day of each complete episode, in episode order.
    public var completeEpisodeRewardPerDay: [Double] = []
    public var completeEpisodeSessions = 0
    /// Per slate position: items shown, examined, and realisations per task.
    public var shownByPosition: [Int] = []
    public var examinedByPosition: [Int] = []
    public var taskCountsByPosition: [[Int]] = []
    /// The state feature the weights are plotted against, and per step its value and the action taken.
    public var featureName: String
    public var featureValues: [Float] = []
    /// Row-major, `actionNames.count` per step.
    public var actions: [Float] = []

    public var taskNames: [String] { run.metadata.taskNames }
    public var actionNames: [String] { run.metadata.actionNames }

    /// The name `--weights-by` uses for the request's index within its session (a step column, always present).
    public static let requestIndexFeature = "requestIndex"

    /// Reads `run` of `reader`, gathering the statistics; `feature` is a state name of the run or `requestIndex`.
    ///
    /// - Parameter horizonDays: the episode horizon (from the run's environment), for reward per user-day.
    public static func collect(reader: EpisodeLogReader, run: RunInfo, horizonDays: Double,
                               feature: String) throws(ReportError) -> EpisodeLogStatistics {
        let featureIndex: Int?
        if feature == requestIndexFeature {
            featureIndex = nil
        } else if let index = run.metadata.stateNames.firstIndex(of: feature) {
            featureIndex = index
        } else {
            throw ReportError(file: reader.path, "--weights-by \(feature): the run's state has no such feature (state: "
                              + "\(run.metadata.stateNames.joined(separator: ", ")); or \(requestIndexFeature))")
        }
        var stats = EpisodeLogStatistics(run: run, horizonDays: horizonDays, taskCounts: Array(repeating: 0, count: run.metadata.taskNames.count),
                                         featureName: feature)
        do {
            try stats.readSessions(reader.sessions(run: run.id)) 
            try stats.readSteps(reader.steps(run: run.id), featureIndex: featureIndex) 
            try stats.readImpressions(reader.impressions(run: run.id)) 
        } catch let error as ReportError {
            throw error
        } catch {
            throw ReportError(file: reader.path, "cannot read run \(run.id): \(error)")
        }
        return stats
    }

    private mutating func readSessions(_ batches: LogBatches<LoggedSession>) throws {
        var episode = -1, episodeReward = 0.0, episodeSessions = 0, episodeComplete = false
        func closeEpisode() {
            guard episode >= 0, episodeComplete else { return }
            completeEpisodeRewardPerDay.append(episodeReward / horizonDays)
            completeEpisodeSessions += episodeSessions
        }
        try batches.forEach { batch in
            for s in batch {
                if s.episode != episode {
                    closeEpisode()
                    episodes += 1
                    (episode, episodeReward, episodeSessions, episodeComplete) = (s.episode, 0, 0, false)
                }
                episodeReward += s.reward
                episodeSessions += 1
                if s.end != .returned { episodeComplete = true }
                sessions += 1
                requests += s.requests
                impressions += s.impressions
                for k in taskCounts.indices where k < s.taskCounts.count { taskCounts[k] += s.taskCounts[k] }
                if s.requests >= requestsPerSession.count {
                    requestsPerSession += Array(repeating: 0, count: s.requests + 1 - requestsPerSession.count)
                }
                requestsPerSession[s.requests] += 1
                if let gap = s.returnGapMinutes { returnGapMinutes.append(gap) }
            }
        }
        closeEpisode()
    }

    private mutating func readSteps(_ batches: LogBatches<KeyedStep>, featureIndex: Int?) throws {
        let width = actionNames.count
        actions.reserveCapacity(requests * width)
        featureValues.reserveCapacity(requests)
        try batches.forEach { batch in
            for keyed in batch {
                let step = keyed.step
                let value = featureIndex.map { $0 < step.state.count ? step.state[$0] : .nan } ?? Float(step.requestIndex)
                featureValues.append(value)
                for j in 0..<width { actions.append(j < step.action.count ? step.action[j] : .nan) }
            }
        }
    }

    private mutating func readImpressions(_ batches: LogBatches<KeyedImpression>) throws {
        let tasks = taskNames.count
        try batches.forEach { batch in
            for keyed in batch {
                let item = keyed.impression
                let p = item.position
                guard p >= 0 else { continue }
                if p >= shownByPosition.count {
                    let more = p + 1 - shownByPosition.count
                    shownByPosition += Array(repeating: 0, count: more)
                    examinedByPosition += Array(repeating: 0, count: more)
                    taskCountsByPosition += Array(repeating: Array(repeating: 0, count: tasks), count: more)
                }
                shownByPosition[p] += 1
                if item.examined { examinedByPosition[p] += 1 }
                var bits = item.tasks
                while bits != 0 {
                    let k = bits.trailingZeroBitCount
                    if k < tasks { taskCountsByPosition[p][k] += 1 }
                    bits &= bits - 1
                }
            }
        }
    }
}
