import Numerics

/// SAC's hyper-parameters (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and
/// Applications", Appendix D): the shared ones plus the entropy temperature, learned by default
/// towards the target entropy H̄ = −dim(A), and the clamp of the policy's log standard deviation.
///
/// CQL, which is SAC with a conservative critic, holds one of these (`CQLConfiguration.sac`) and decodes and encodes
/// its fields flat through `init(from:defaults:)` and `encodeOwnFields(to:)`.
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

    /// Every key a SAC configuration reads: the shared ones and SAC's own.
    static let keys = actorCriticKeys.union(CodingKeys.allCases.map(\.rawValue))

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(SACConfiguration.keys)
        try self.init(from: decoder, defaults: SACConfiguration())
    }

    /// Decodes the shared and SAC keys over `defaults` (an absent key keeps its value there, except `targetEntropy`,
    /// whose absence means −dim(A)). Unknown keys are the caller's to refuse, so that a configuration embedding SAC's
    /// can read its own keys from the same flat container.
    init(from decoder: any Decoder, defaults: SACConfiguration) throws {
        self = defaults
        actorCritic = try ActorCriticConfiguration(from: decoder, defaults: defaults.actorCritic)
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
        try encodeOwnFields(to: encoder)
    }

    /// Encodes SAC's own fields (not the shared ones) flat into `encoder`.
    func encodeOwnFields(to encoder: any Encoder) throws {
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
        try validateOwnFields()
    }

    /// Throws naming the first of SAC's own fields (not the shared ones) out of range.
    func validateOwnFields() throws(AgentConfigurationError) {
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

    /// H̄ for `actionDimension` actions: `targetEntropy`, by default −dim(A).
    ///
    /// - Throws: when a given H̄ is not below dim(A)·log 2, the entropy of the uniform distribution on the normalised
    ///   box `[−1, 1]^A`, which no squashed Gaussian can reach.
    func resolvedTargetEntropy(actionDimension: Int) throws(AgentConfigurationError) -> Float {
        let uniformEntropy = Float(actionDimension) * Float(Elementary.log(2.0))
        if let h = targetEntropy, !(h < uniformEntropy) {
            throw AgentConfigurationError(field: "targetEntropy", message: "must be below dim(A)·log 2 = \(uniformEntropy), "
                                          + "the entropy of the uniform distribution on the normalised box; got \(h)")
        }
        return targetEntropy ?? -Float(actionDimension)
    }
}
