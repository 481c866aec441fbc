/// SAC's hyper-parameters (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and
/// Applications", Appendix D): the shared ones plus the entropy temperature, learned by default
/// towards the target entropy H̄ = −dim(A), and the clamp of the policy's log standard deviation.
public struct SACConfiguration: AgentConfiguration {
    public var actorCritic = ActorCriticConfiguration()
    /// α at the start (the whole run when `learnTemperature` is false).
    public var initialTemperature: Float = 1
    /// Automatic temperature adjustment (eq. 18).
    public var learnTemperature: Bool = true
    public var temperatureLearningRate: Float = 3e-4
    /// H̄; `nil` means −dim(A).
    public var targetEntropy: Float? = nil
    /// The policy's log σ is clamped to [minimumLogStd, maximumLogStd] (the reference code's −20, 2).
    public var minimumLogStd: Float = -20
    public var maximumLogStd: Float = 2

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case initialTemperature, learnTemperature, temperatureLearningRate, targetEntropy, minimumLogStd, maximumLogStd
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(actorCriticKeys.union(CodingKeys.allCases.map(\.rawValue)))
        actorCritic = try ActorCriticConfiguration(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        initialTemperature = try c.decodeIfPresent(Float.self, forKey: .initialTemperature) ?? initialTemperature
        learnTemperature = try c.decodeIfPresent(Bool.self, forKey: .learnTemperature) ?? learnTemperature
        temperatureLearningRate = try c.decodeIfPresent(Float.self, forKey: .temperatureLearningRate) ?? temperatureLearningRate
        targetEntropy = try c.decodeIfPresent(Float.self, forKey: .targetEntropy)
        minimumLogStd = try c.decodeIfPresent(Float.self, forKey: .minimumLogStd) ?? minimumLogStd
        maximumLogStd = try c.decodeIfPresent(Float.self, forKey: .maximumLogStd) ?? maximumLogStd
    }

    public func encode(to encoder: any Encoder) throws {
        try actorCritic.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(initialTemperature, forKey: .initialTemperature)
        try c.encode(learnTemperature, forKey: .learnTemperature)
        try c.encode(temperatureLearningRate, forKey: .temperatureLearningRate)
        try c.encodeIfPresent(targetEntropy, forKey: .targetEntropy)
        try c.encode(minimumLogStd, forKey: .minimumLogStd)
        try c.encode(maximumLogStd, forKey: .maximumLogStd)
    }

    public func validate() throws(AgentConfigurationError) {
        try actorCritic.validate()
        if !(initialTemperature > 0 && initialTemperature.isFinite) {
            throw AgentConfigurationError(field: "initialTemperature", message: "must be positive, got \(initialTemperature)")
        }
        if !(temperatureLearningRate > 0) {
            throw AgentConfigurationError(field: "temperatureLearningRate", message: "must be positive, got \(temperatureLearningRate)")
        }
        if let h = targetEntropy, !h.isFinite {
            throw AgentConfigurationError(field: "targetEntropy", message: "must be finite, got \(h)")
        }
        if !(minimumLogStd < maximumLogStd) {
            throw AgentConfigurationError(field: "minimumLogStd", message: "must be below maximumLogStd (\(maximumLogStd)), got \(minimumLogStd)")
        }
    }
}
