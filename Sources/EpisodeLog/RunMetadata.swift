/// What a simulation run is, recorded once per run in the `runs` table: enough to reproduce it (environment file
/// as written, seed, code version, policy and its parameters) and to decode its vectors (the names of every
/// state, action, reward-component and task dimension).
public struct RunMetadata: Sendable, Equatable {
    /// Human-readable run name (`logs/<name>.sqlite` by default).
    public var name: String
    /// The environment's name (`tiny`, `short-video`, a file stem, ...).
    public var environmentName: String
    /// The environment configuration exactly as written (YAML text), so the run can be re-created from the log.
    public var environmentYAML: String
    /// Master seed of the run's random streams.
    public var seed: UInt64
    /// `MTFSimVersion.string` plus whatever revision information the caller has.
    public var codeVersion: String
    /// The fusion policy as given on the command line (e.g. `gaussian:sigma=0.1`).
    public var policySpec: String
    /// The policy's parameters as a JSON document (checked with `json_valid` by the schema).
    public var policyParameters: String
    /// The multi-task ranker's name.
    public var rankerName: String
    /// Names of the ranker's tasks; impression predictions and the `tasks` bitmask follow this order.
    public var taskNames: [String]
    /// Names of the state dimensions; every step's `state` has this length.
    public var stateNames: [String]
    /// Names of the action (fusion weight) dimensions; `action` and `behaviourMean` have this length.
    public var actionNames: [String]
    /// Names of the reward components; every step's `rewardComponents` has this length.
    public var rewardComponentNames: [String]
    /// Lower and upper bounds of the action box, one per action dimension.
    public var actionLow: [Float]
    public var actionHigh: [Float]
    /// Number of sessions the run was asked for (the target a resumed run continues to).
    public var requestedSessions: Int
    /// Number of simulation lanes (parallel users).
    public var lanes: Int
    /// Whether the full candidate sets are logged (`candidates` table).
    public var logsCandidates: Bool
    /// Items shown per request.
    public var slateSize: Int
    /// Candidates scored per request.
    public var candidatesPerRequest: Int
    /// Probability that a slate slot shows a uniformly random candidate instead of the ranked one (0: none).
    public var randomExposure: Double

    public init(
        name: String, environmentName: String, environmentYAML: String, seed: UInt64, codeVersion: String,
        policySpec: String, policyParameters: String, rankerName: String, taskNames: [String],
        stateNames: [String], actionNames: [String], rewardComponentNames: [String],
        actionLow: [Float], actionHigh: [Float], requestedSessions: Int, lanes: Int, logsCandidates: Bool,
        slateSize: Int, candidatesPerRequest: Int, randomExposure: Double = 0
    ) {
        self.name = name
        self.environmentName = environmentName
        self.environmentYAML = environmentYAML
        self.seed = seed
        self.codeVersion = codeVersion
        self.policySpec = policySpec
        self.policyParameters = policyParameters
        self.rankerName = rankerName
        self.taskNames = taskNames
        self.stateNames = stateNames
        self.actionNames = actionNames
        self.rewardComponentNames = rewardComponentNames
        self.actionLow = actionLow
        self.actionHigh = actionHigh
        self.requestedSessions = requestedSessions
        self.lanes = lanes
        self.logsCandidates = logsCandidates
        self.slateSize = slateSize
        self.candidatesPerRequest = candidatesPerRequest
        self.randomExposure = randomExposure
    }
}
