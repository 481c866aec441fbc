/// One session of one user: its totals (a row of `sessions`) and, when read back whole, its steps.
///
/// A session is the unit of atomicity: the writer commits a session with all its steps, impressions and
/// candidate sets, or nothing of it.
public struct LoggedSession: Sendable, Equatable {
    /// How a session ended (`sessions.end_reason`).
    public enum End: UInt8, Sendable {
        /// The user left and will come back (the episode goes on).
        case returned = 0
        /// The user left for good (the episode ended by churn).
        case churned = 1
        /// The simulation horizon was reached (the episode was cut, not ended).
        case horizon = 2
    }

    /// The episode (one user's sequence of sessions) within the run.
    public var episode: Int
    /// The simulated user's identifier.
    public var user: Int
    /// Index of this session within the episode, from 0.
    public var sessionIndex: Int
    /// Session start on the simulation clock, in minutes since the run's start.
    public var startMinutes: Double
    /// Session length in minutes.
    public var durationMinutes: Double
    /// Number of requests (= steps) in the session.
    public var requests: Int
    /// Number of impressions (items shown) in the session.
    public var impressions: Int
    /// Positive feedback events per task over the session (one count per task name).
    public var taskCounts: [Int]
    /// Total watch time in seconds.
    public var watchSeconds: Double
    /// Total reward.
    public var reward: Double
    /// Mean satisfaction over the session's requests.
    public var meanSatisfaction: Double
    /// Minutes until the user's next session; `nil` when the user did not return.
    public var returnGapMinutes: Double?
    /// How the session ended, as a raw `End` value (0 returned, 1 churned, 2 horizon).
    public var end: End
    /// Whether the session hit its request cap.
    public var truncated: Bool
    /// The steps in request order. Empty for the session headers yielded by `EpisodeLogReader.sessions`.
    public var steps: [LoggedStep]

    public init(
        episode: Int, user: Int, sessionIndex: Int, startMinutes: Double, durationMinutes: Double,
        requests: Int, impressions: Int, taskCounts: [Int], watchSeconds: Double, reward: Double,
        meanSatisfaction: Double, returnGapMinutes: Double?, end: End, truncated: Bool, steps: [LoggedStep] = []
    ) {
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
        self.steps = steps
    }

    /// The session's primary key within its run.
    public var key: SessionKey { SessionKey(episode: episode, sessionIndex: sessionIndex) }
}

/// `(episode, sessionIndex)`: a session's key within a run.
public struct SessionKey: Hashable, Sendable, Comparable {
    public var episode: Int
    public var sessionIndex: Int

    public init(episode: Int, sessionIndex: Int) {
        self.episode = episode
        self.sessionIndex = sessionIndex
    }

    public static func < (a: SessionKey, b: SessionKey) -> Bool {
        (a.episode, a.sessionIndex) < (b.episode, b.sessionIndex)
    }
}
