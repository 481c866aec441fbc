/// TD3's hyper-parameters (Fujimoto et al. 2018, §6.1): the shared ones plus target policy
/// smoothing noise σ̃ = 0.2 clipped at c = 0.5, and one actor update per d = 2 critic updates.
public struct TD3Configuration: AgentConfiguration {
    public var actorCritic = ActorCriticConfiguration()
    /// σ̃: standard deviation of the target smoothing noise, normalised action units.
    public var policyNoise: Float = 0.2
    /// c: the smoothing noise is clipped to [−c, c].
    public var noiseClip: Float = 0.5
    /// d: critic updates per actor and target update.
    public var policyDelay: Int = 2

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case policyNoise, noiseClip, policyDelay
    }

    /// Every key a TD3 configuration reads: the shared ones and TD3's own.
    static let keys = actorCriticKeys.union(CodingKeys.allCases.map(\.rawValue))

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(TD3Configuration.keys)
        try self.init(fieldsFrom: decoder)
    }

    /// Decodes the shared and TD3 keys, an absent one keeping its default. Unknown keys are the caller's to refuse, so
    /// that a configuration embedding TD3's (`TD3PlusBCConfiguration`) can read its own keys from the same container.
    init(fieldsFrom decoder: any Decoder) throws {
        actorCritic = try ActorCriticConfiguration(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        policyNoise = try c.decodeIfPresent(Float.self, forKey: .policyNoise) ?? policyNoise
        noiseClip = try c.decodeIfPresent(Float.self, forKey: .noiseClip) ?? noiseClip
        policyDelay = try c.decodeIfPresent(Int.self, forKey: .policyDelay) ?? policyDelay
    }

    public func encode(to encoder: any Encoder) throws {
        try actorCritic.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(policyNoise, forKey: .policyNoise)
        try c.encode(noiseClip, forKey: .noiseClip)
        try c.encode(policyDelay, forKey: .policyDelay)
    }

    public func validate() throws(AgentConfigurationError) {
        try actorCritic.validate()
        if !(policyNoise >= 0) { throw AgentConfigurationError(field: "policyNoise", message: "must be non-negative, got \(policyNoise)") }
        if !(noiseClip >= 0) { throw AgentConfigurationError(field: "noiseClip", message: "must be non-negative, got \(noiseClip)") }
        if policyDelay < 1 { throw AgentConfigurationError(field: "policyDelay", message: "must be at least 1, got \(policyDelay)") }
    }
}
