/// What a training run made and how well it does on held-out users (`mtfsim train --json` prints it).
public struct TrainingReport: Encodable, Sendable {
    public var agent: String
    public var environment: String
    public var seed: UInt64
    /// The policy checkpoint written.
    public var checkpoint: String
    /// Requests simulated for learning (for CEM: scoring every candidate).
    public var environmentSteps: Int
    public var updates: Int
    public var wallSeconds: Double
    /// The final policy on held-out users (the curve's last point).
    public var heldOut: HeldOutEvaluation.Result
    /// The environment's baseline weights on the same held-out episodes (the curve's reference line).
    public var baseline: HeldOutEvaluation.Result?
    public var curve: [LearningCurvePoint]
    /// CEM's weights in raw units.
    public var fixedWeights: [Float]?
    /// The actor-critic's configuration as it encodes itself, so that the report says how the checkpoint was made.
    public var configuration: Configuration?
    /// The box the actor-critic acted in, raw units (`AgentSettings.actionBox`, `around`).
    public var actionBox: Box?

    public init(agent: String, environment: String, seed: UInt64, checkpoint: String, environmentSteps: Int, updates: Int,
                wallSeconds: Double, heldOut: HeldOutEvaluation.Result, curve: [LearningCurvePoint], fixedWeights: [Float]?,
                configuration: Configuration? = nil, actionBox: Box? = nil) {
        self.agent = agent
        self.environment = environment
        self.seed = seed
        self.checkpoint = checkpoint
        self.environmentSteps = environmentSteps
        self.updates = updates
        self.wallSeconds = wallSeconds
        self.heldOut = heldOut
        self.curve = curve
        self.fixedWeights = fixedWeights
        self.configuration = configuration
        self.actionBox = actionBox
    }

    /// An agent's configuration, encoded as the agent's own type encodes it (flat, every field).
    public struct Configuration: Encodable, Sendable {
        public let value: any AgentConfiguration
        public init(_ value: any AgentConfiguration) { self.value = value }
        public func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
    }

    /// A box of raw fusion weights.
    public struct Box: Codable, Sendable, Equatable {
        public var low: [Float]
        public var high: [Float]
        public init(low: [Float], high: [Float]) {
            self.low = low
            self.high = high
        }
    }
}
