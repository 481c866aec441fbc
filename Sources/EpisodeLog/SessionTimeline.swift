/// One logged session with its states, actions, predictions and feedback keyed by name (`mtfsim replay --session
/// --json`).
public struct SessionTimeline: Codable, Sendable {
    public struct Impression: Codable, Sendable {
        public var position: Int
        public var item: Int32
        public var predictions: [String: Float]
        public var feedback: [String]
        public var examined: Bool
        public var watchSeconds: Float
    }
    public struct Step: Codable, Sendable {
        public var requestIndex: Int
        public var state: [String: Float]
        public var action: [String: Float]
        public var explorationGroup: UInt8
        public var logDensity: Double
        public var reward: Double
        public var impressions: [Impression]
        public var sessionEnd: Bool
    }
    public var episode: Int
    public var session: Int
    public var user: Int
    public var requests: Int
    public var reward: Double
    public var returnGapMinutes: Double?
    public var end: String
    public var steps: [Step]

    /// The session `s` of a run with metadata `m` (whose state, action and task names key the values).
    public init(session s: LoggedSession, metadata m: RunMetadata) {
        episode = s.episode
        session = s.sessionIndex
        user = s.user
        requests = s.requests
        reward = s.reward
        returnGapMinutes = s.returnGapMinutes
        end = String(describing: s.end)
        steps = s.steps.map { step in
            Step(requestIndex: step.requestIndex,
                 state: Dictionary(uniqueKeysWithValues: zip(m.stateNames, step.state).map { ($0, $1) }),
                 action: Dictionary(uniqueKeysWithValues: zip(m.actionNames, step.action).map { ($0, $1) }),
                 explorationGroup: step.explorationGroup, logDensity: step.logDensity, reward: step.reward,
                 impressions: step.impressions.map { imp in
                     Impression(position: imp.position, item: imp.item,
                                predictions: Dictionary(uniqueKeysWithValues: zip(m.taskNames, imp.predictions).map { ($0, $1) }),
                                feedback: imp.feedback(taskNames: m.taskNames),
                                examined: imp.examined, watchSeconds: imp.watchSeconds)
                 },
                 sessionEnd: step.sessionEnd)
        }
    }
}

extension LoggedImpression {
    /// The names of the realised tasks (bit `k` of `tasks` set: `taskNames[k]`), in task order.
    public func feedback(taskNames: [String]) -> [String] {
        taskNames.indices.filter { tasks & (1 << UInt32($0)) != 0 }.map { taskNames[$0] }
    }
}
