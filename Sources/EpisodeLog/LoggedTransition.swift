/// One RL transition `(s, a, r, s', done)` with the behaviour policy's fields, built from two consecutive steps
/// of the same episode (`s'` may be the first step of the episode's next session: the return is part of the
/// long-term objective).
public struct LoggedTransition: Sendable, Equatable {
    public var episode: Int
    public var sessionIndex: Int
    public var requestIndex: Int
    /// `s`
    public var state: [Float]
    /// `a`
    public var action: [Float]
    /// `r`
    public var reward: Double
    public var rewardComponents: [Float]
    /// `s'`: the next logged step's state in the same episode; equal to `state` when there is none (`done` or
    /// `truncated`), so that it can be masked rather than missing.
    public var nextState: [Float]
    /// The episode ended by churn after this step (true terminal: do not bootstrap from `s'`).
    public var done: Bool
    /// The logged `truncated` flag (horizon or request cap): when no later step of the episode exists, `s'`
    /// is a placeholder and the return must be bootstrapped from `s`, not treated as zero.
    public var truncated: Bool
    /// The session ended after this step (`s'` begins the user's next session).
    public var sessionEnd: Bool
    public var behaviourMean: [Float]
    public var explorationScale: Float
    public var explorationGroup: UInt8
    /// Log-density of `a` under the behaviour policy (for importance weights).
    public var logDensity: Double
    public var policyVersion: Int

    public init(step: KeyedStep, nextState: [Float]) {
        episode = step.episode
        sessionIndex = step.sessionIndex
        requestIndex = step.step.requestIndex
        state = step.step.state
        action = step.step.action
        reward = step.step.reward
        rewardComponents = step.step.rewardComponents
        self.nextState = nextState
        done = step.step.terminal
        truncated = step.step.truncated
        sessionEnd = step.step.sessionEnd
        behaviourMean = step.step.behaviourMean
        explorationScale = step.step.explorationScale
        explorationGroup = step.step.explorationGroup
        logDensity = step.step.logDensity
        policyVersion = step.step.policyVersion
    }
}
