/// One request of a session (a row of `steps`): the RL transition's state and action, the behaviour policy's
/// fields that off-policy evaluation needs, the reward and how the episode continues.
public struct LoggedStep: Sendable, Equatable {
    /// Index of the request within its session, from 0.
    public var requestIndex: Int
    /// State vector (length `RunMetadata.stateNames.count`).
    public var state: [Float]
    /// Action taken: the fusion weights (length `RunMetadata.actionNames.count`).
    public var action: [Float]
    /// Mean of the behaviour policy's action distribution (same length as `action`).
    public var behaviourMean: [Float]
    /// Exploration scale of the behaviour policy (Gaussian σ, or box half-width).
    public var explorationScale: Float
    /// Exploration group of the request (e.g. 0 exploit, 1 explore), policy-defined.
    public var explorationGroup: UInt8
    /// Natural log of the behaviour policy's density (or probability) of `action`.
    public var logDensity: Double
    /// Version of the policy that acted (incremented at each policy update).
    public var policyVersion: Int
    /// Scalar reward of the request.
    public var reward: Double
    /// Reward components (length `RunMetadata.rewardComponentNames.count`); `reward` combines them.
    public var rewardComponents: [Float]
    /// The session ended after this request.
    public var sessionEnd: Bool
    /// The episode ended by churn after this request (a true terminal state).
    public var terminal: Bool
    /// The episode was cut at the horizon after this request: the user would come back, but after the episode's
    /// last day, so no next state exists. (A session that hit its request cap says so in `LoggedSession.truncated`;
    /// the episode goes on.)
    public var truncated: Bool
    /// Minutes the request took on the simulator's clock: the browse time of every examined impression and the watch
    /// time of every play (schema 3; `nil` for steps of older logs opened read-only, whose time was not recorded).
    /// The return gap after a session's last request is the session's `returnGapMinutes`.
    public var elapsedMinutes: Double?
    /// The items shown, in slate order. Empty for steps yielded by `EpisodeLogReader.steps`.
    public var impressions: [LoggedImpression]
    /// The full candidate set, when the run logs candidates (and when read back whole).
    public var candidates: LoggedCandidates?

    public init(
        requestIndex: Int, state: [Float], action: [Float], behaviourMean: [Float], explorationScale: Float,
        explorationGroup: UInt8, logDensity: Double, policyVersion: Int, reward: Double, rewardComponents: [Float],
        sessionEnd: Bool, terminal: Bool, truncated: Bool, impressions: [LoggedImpression],
        candidates: LoggedCandidates?, elapsedMinutes: Double? = nil
    ) {
        self.elapsedMinutes = elapsedMinutes
        self.requestIndex = requestIndex
        self.state = state
        self.action = action
        self.behaviourMean = behaviourMean
        self.explorationScale = explorationScale
        self.explorationGroup = explorationGroup
        self.logDensity = logDensity
        self.policyVersion = policyVersion
        self.reward = reward
        self.rewardComponents = rewardComponents
        self.sessionEnd = sessionEnd
        self.terminal = terminal
        self.truncated = truncated
        self.impressions = impressions
        self.candidates = candidates
    }
}
