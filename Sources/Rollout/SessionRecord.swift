import EpisodeLog

/// Why a user's session was the last one of the episode, or that the user came back.
public enum SessionEnd: UInt8, Sendable, Equatable {
    /// The user came back within the episode's horizon.
    case returned = 0
    /// The user did not come back (churn).
    case churned = 1
    /// The user would come back, but after the episode's horizon (truncated episode).
    case horizon = 2
}

/// The totals of one simulated session.
public struct SessionRecord: Sendable, Equatable {
    /// Episode index (a user's run of sessions over the horizon).
    public var episode: Int
    public var user: Int
    /// Index of the session within its episode.
    public var sessionIndex: Int
    /// Minutes from the episode's start to the session's start.
    public var startMinutes: Double
    public var durationMinutes: Double
    public var requests: Int
    /// Items shown (slate size × requests).
    public var impressions: Int
    /// Realisations of each task.
    public var taskCounts: [Int]
    public var watchSeconds: Double
    /// Sum of the session's request rewards, including the return term at its end.
    public var reward: Double
    /// Mean in-session satisfaction (drives the return gap).
    public var meanSatisfaction: Double
    /// Minutes until the next session (nil when the user churned).
    public var returnGapMinutes: Double?
    public var end: SessionEnd
    /// Whether the session hit `maxRequestsPerSession` rather than a sampled leave.
    public var truncated: Bool

    public init(episode: Int, user: Int, sessionIndex: Int, startMinutes: Double, durationMinutes: Double, requests: Int,
                impressions: Int, taskCounts: [Int], watchSeconds: Double, reward: Double, meanSatisfaction: Double,
                returnGapMinutes: Double?, end: SessionEnd, truncated: Bool) {
        self.episode = episode
        self.user = user
        self.sessionIndex = sessionIndex
        self.startMinutes = startMinutes
        self.durationMinutes = durationMinutes
        self.requests = requests
        self.impressions = impressions
        self.taskCounts = taskCounts
        self.watchSeconds = watchSeconds
        self.reward = reward
        self.meanSatisfaction = meanSatisfaction
        self.returnGapMinutes = returnGapMinutes
        self.end = end
        self.truncated = truncated
    }
}

/// One shown item's ranker predictions and realised labels, kept to measure ranker AUCs.
public struct ImpressionSample: Sendable {
    public var predictions: [Float]
    public var truth: [Float]
    public var tasks: UInt32
}

/// Everything one block of episodes produced.
public struct BlockResult: Sendable {
    public var sessions: [SessionRecord]
    public var impressionSamples: [ImpressionSample]
    /// Full traces of the sessions (same order as `sessions`) when the run is logged.
    public var loggedSessions: [LoggedSession]
}
