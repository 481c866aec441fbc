/// One RL transition `(s, a, r, s')` of the fusion MDP with the behaviour policy's fields, built by
/// `TransitionRule` from two consecutive steps of the same episode (`s'` may be the first step of the episode's
/// next session: the return is part of the long-term objective).
///
/// The flags mean one thing everywhere (online training, logs, offline learners, off-policy evaluation):
/// - `terminal`: the user churned after this step; the MDP ended, nothing follows (do not bootstrap);
/// - `truncated`: the episode was cut at the horizon after this step; the MDP goes on but no next state exists,
///   so learners that bootstrap leave the transition out, while its reward still counts in the episode's return;
/// - neither: `nextState` is the state of the episode's next step;
/// - `sessionEnd`: the step was its session's last; `nextState` (if any) begins the user's next session.
public struct LoggedTransition: Sendable, Equatable {
    public var episode: Int
    public var sessionIndex: Int
    public var requestIndex: Int
    /// `s`
    public var state: [Float]
    /// `a`, raw units
    public var action: [Float]
    /// `r`
    public var reward: Double
    public var rewardComponents: [Float]
    /// `s'`: the next step's state in the same episode; equal to `state` (a placeholder) when `terminal` or
    /// `truncated`.
    public var nextState: [Float]
    /// The episode ended by churn after this step.
    public var terminal: Bool
    /// The episode was cut at the horizon after this step: no next state exists.
    public var truncated: Bool
    /// The session ended after this step.
    public var sessionEnd: Bool
    /// Minutes from this decision to the next on the simulator's clock: the request's browsing and watching, plus
    /// the return gap when the session ended here and the user did not churn; `nil` when the log did not record
    /// step times (schema < 3 read as it is).
    public var elapsedMinutes: Double?
    public var behaviourMean: [Float]
    public var explorationScale: Float
    public var explorationGroup: UInt8
    /// Log-density of `a` under the behaviour policy, raw units (for importance weights).
    public var logDensity: Double
    public var policyVersion: Int

    /// Whether learners can bootstrap from (or end at) this transition: every transition but a truncated one.
    public var hasOutcome: Bool { !truncated }

    public init(step: KeyedStep, nextState: [Float], terminal: Bool, truncated: Bool, elapsedMinutes: Double?) {
        episode = step.episode
        sessionIndex = step.sessionIndex
        requestIndex = step.step.requestIndex
        state = step.step.state
        action = step.step.action
        reward = step.step.reward
        rewardComponents = step.step.rewardComponents
        self.nextState = nextState
        self.terminal = terminal
        self.truncated = truncated
        sessionEnd = step.step.sessionEnd
        self.elapsedMinutes = elapsedMinutes
        behaviourMean = step.step.behaviourMean
        explorationScale = step.step.explorationScale
        explorationGroup = step.step.explorationGroup
        logDensity = step.step.logDensity
        policyVersion = step.step.policyVersion
    }
}
