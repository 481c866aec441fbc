/// DDPG's hyper-parameters: only the shared ones (`ActorCriticConfiguration`).
///
/// Departures from Lillicrap et al. 2016 (§7) kept on purpose, as in Fujimoto et al.'s re-tuned
/// "OurDDPG" baseline: Gaussian instead of Ornstein–Uhlenbeck exploration, the same learning rate
/// and architecture for actor and critic, τ = 0.005, no critic weight decay by default.
public struct DDPGConfiguration: AgentConfiguration {
    public var actorCritic = ActorCriticConfiguration()

    public init() {}

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(actorCriticKeys)
        actorCritic = try ActorCriticConfiguration(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try actorCritic.encode(to: encoder)
    }

    public func validate() throws(AgentConfigurationError) {
        try actorCritic.validate()
    }
}
