/// BCQ's hyper-parameters (Fujimoto, Meger & Precup 2019, "Off-Policy Deep Reinforcement Learning without
/// Exploration", §4 and Appendix D; the authors' code, `github.com/sfujim/BCQ`, continuous version).
///
/// The shared settings default to the authors' values rather than TD3's: perturbation network and twin critics of
/// 400-300 ReLU units, Adam at 10⁻³ for all three networks, mini-batches of 100, τ = 0.005. The discount stays the
/// fusion MDP's γ = 0.95 (docs/design.md, "Discounting"; the authors use 0.99 on MuJoCo). A field missing from a
/// decoded configuration keeps these BCQ defaults; an unknown field is an error.
///
/// BCQ's own fields:
/// - `vaeHiddenSizes`: the conditional VAE's encoder and decoder widths (750-750);
/// - `vaeLearningRate`: Adam's rate for the VAE (10⁻³, PyTorch's default in the authors' code);
/// - `perturbationLimit` Φ: the perturbation ξ lies in [−Φ, Φ] per dimension, in normalised action units (half-widths
///   of the box). Default 0.15, BatchRL-MTF's bound (Zhang et al., KDD 2022), read as 0.15 of the half-width: the
///   authors' code scales Φ by `max_action`, the half-width of a symmetric box, so their "Φ = 0.05 of the action range"
///   is 0.05 normalised units, and this project's BatchRL-MTF exploration box (±0.15, `MixturePolicy`) is in the same
///   units. The paper's own value is 0.05;
/// - `targetMixing` λ: the weight of the minimum in the soft clipped double-Q target (0.75, eq. 13);
/// - `candidateCount` n: actions sampled from the VAE per state, in the target and when acting (10);
/// - `latentClip`: decision-time latents z ~ N(0, I) are clipped to [−c, c] (0.5, Appendix D);
/// - `klWeight`: the weight of KL(N(μ, σ) ‖ N(0, I)) in the VAE loss (0.5, the authors' code).
public struct BCQConfiguration: AgentConfiguration {
    public var actorCritic = BCQConfiguration.defaultActorCritic
    public var vaeHiddenSizes: [Int] = [750, 750]
    public var vaeLearningRate: Float = 1e-3
    public var perturbationLimit: Float = 0.15
    public var targetMixing: Float = 0.75
    public var candidateCount: Int = 10
    public var latentClip: Float = 0.5
    public var klWeight: Float = 0.5

    /// The shared settings with the authors' values (see the type's documentation).
    public static var defaultActorCritic: ActorCriticConfiguration {
        var c = ActorCriticConfiguration()
        c.hiddenSizes = [400, 300]
        c.actorLearningRate = 1e-3
        c.criticLearningRate = 1e-3
        c.batchSize = 100
        return c
    }

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case vaeHiddenSizes, vaeLearningRate, perturbationLimit, targetMixing, candidateCount, latentClip, klWeight
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(actorCriticKeys.union(CodingKeys.allCases.map(\.rawValue)))
        actorCritic = try ActorCriticConfiguration(from: decoder)
        let present = Set(try decoder.container(keyedBy: AnyCodingKey.self).allKeys.map(\.stringValue))
        let defaults = BCQConfiguration.defaultActorCritic
        if !present.contains("hiddenSizes") { actorCritic.hiddenSizes = defaults.hiddenSizes }
        if !present.contains("actorLearningRate") { actorCritic.actorLearningRate = defaults.actorLearningRate }
        if !present.contains("criticLearningRate") { actorCritic.criticLearningRate = defaults.criticLearningRate }
        if !present.contains("batchSize") { actorCritic.batchSize = defaults.batchSize }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vaeHiddenSizes = try c.decodeIfPresent([Int].self, forKey: .vaeHiddenSizes) ?? vaeHiddenSizes
        vaeLearningRate = try c.decodeIfPresent(Float.self, forKey: .vaeLearningRate) ?? vaeLearningRate
        perturbationLimit = try c.decodeIfPresent(Float.self, forKey: .perturbationLimit) ?? perturbationLimit
        targetMixing = try c.decodeIfPresent(Float.self, forKey: .targetMixing) ?? targetMixing
        candidateCount = try c.decodeIfPresent(Int.self, forKey: .candidateCount) ?? candidateCount
        latentClip = try c.decodeIfPresent(Float.self, forKey: .latentClip) ?? latentClip
        klWeight = try c.decodeIfPresent(Float.self, forKey: .klWeight) ?? klWeight
    }

    public func encode(to encoder: any Encoder) throws {
        try actorCritic.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vaeHiddenSizes, forKey: .vaeHiddenSizes)
        try c.encode(vaeLearningRate, forKey: .vaeLearningRate)
        try c.encode(perturbationLimit, forKey: .perturbationLimit)
        try c.encode(targetMixing, forKey: .targetMixing)
        try c.encode(candidateCount, forKey: .candidateCount)
        try c.encode(latentClip, forKey: .latentClip)
        try c.encode(klWeight, forKey: .klWeight)
    }

    public func validate() throws(AgentConfigurationError) {
        try actorCritic.validate()
        func check(_ ok: Bool, _ field: CodingKeys, _ message: String) throws(AgentConfigurationError) {
            if !ok { throw AgentConfigurationError(field: field.rawValue, message: message) }
        }
        try check(!vaeHiddenSizes.isEmpty && vaeHiddenSizes.allSatisfy { $0 > 0 }, .vaeHiddenSizes,
                  "expected one or more positive widths, got \(vaeHiddenSizes)")
        try check(vaeLearningRate > 0 && vaeLearningRate.isFinite, .vaeLearningRate, "must be positive, got \(vaeLearningRate)")
        try check(perturbationLimit >= 0 && perturbationLimit <= 2, .perturbationLimit,
                  "must be in [0, 2] normalised units (0: the VAE's samples unchanged), got \(perturbationLimit)")
        try check(targetMixing >= 0 && targetMixing <= 1, .targetMixing, "must be in [0, 1], got \(targetMixing)")
        try check(candidateCount >= 1, .candidateCount, "must be at least 1, got \(candidateCount)")
        try check(latentClip > 0 && latentClip.isFinite, .latentClip, "must be positive, got \(latentClip)")
        try check(klWeight >= 0 && klWeight.isFinite, .klWeight, "must be non-negative, got \(klWeight)")
    }
}
