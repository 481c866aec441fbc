/// CQL's hyper-parameters (Kumar, Zhou, Tucker & Levine 2020, "Conservative Q-Learning for Offline Reinforcement
/// Learning", §3.2 eq. 4 and Appendix F; defaults of the authors' SAC-based code): SAC's (twin critics, a
/// squashed-Gaussian actor, automatic temperature towards H̄ = −dim(A)) plus the conservative regulariser.
///
/// Defaults: policy learning rate 10⁻⁴, critic 3·10⁻⁴, 256-256, batch 256 (Appendix F); conservative weight α = 5
/// (the value; the paper's Gym setting without the Lagrange form), N = 10 sampled actions per group, the
/// log-sum-exp temperature 1; the Lagrange form off, with threshold τ = 10 (the authors' `lagrange_thresh`) and the
/// dual variable's learning rate equal to the critics' (as in their code). The soft TD target omits the entropy
/// term (the authors' `deterministic_backup`), and the temperature learns at the policy's rate (as in their code).
///
/// Departures from the authors' code: no behaviour-cloning warm start (their policy loss is α·log π − log π(a|s) on
/// the logged actions for the first `policy_eval_start` = 40,000 steps; here the SAC policy loss from the first
/// step); the actor updates after the critics within a step (before them in their code; the two orders differ
/// only by one step's lag); their MuJoCo networks have three hidden layers of 256, the default here two.
/// `OfflineAgentSettings` sets α = 1 when the Lagrange form is chosen, as their `min_q_weight` is with it.
///
/// SAC's fields live in `sac` (with CQL's defaults) and read and write as this configuration's own
/// (`configuration.targetEntropy`) through dynamic member lookup; all are encoded flat, at one level.
@dynamicMemberLookup
public struct CQLConfiguration: AgentConfiguration {
    /// SAC's hyper-parameters, the shared ones included, with CQL's defaults: actor 10⁻⁴, critics 3·10⁻⁴, the
    /// temperature at the policy's rate 10⁻⁴.
    public var sac = CQLConfiguration.sacDefaults
    /// α of CQL(H): the weight of `E_s[log Σ_a exp Q(s, a) − E_{a∼D} Q(s, a)]` in each critic's loss (eq. 4). With
    /// `lagrange` it multiplies the gap before the dual variable does, as in the authors' code.
    public var conservativeWeight: Float = 5
    /// N: actions drawn per group (uniform on the box; the policy at s; the policy at s′) for the log-sum-exp.
    public var sampledActions: Int = 10
    /// T of `T·log Σ exp(Q/T)` (the authors' `temp`).
    public var logSumExpTemperature: Float = 1
    /// The Lagrange form (eq. 30 / Appendix F): a dual variable α′ ≥ 0 scales the regulariser and is trained so the
    /// weighted gap `α·E[log Σ exp Q − Q_data]` tracks `lagrangeThreshold`.
    public var lagrange: Bool = false
    /// τ of the Lagrange form.
    public var lagrangeThreshold: Float = 10
    /// Adam's rate for `log α′`.
    public var lagrangeLearningRate: Float = 3e-4
    /// Whether the TD target keeps SAC's `−α log π(a′|s′)` (false: the authors' deterministic backup).
    public var entropyBackup: Bool = false

    public init() {}

    static let sacDefaults: SACConfiguration = {
        var c = SACConfiguration()
        c.actorCritic.actorLearningRate = 1e-4
        c.actorCritic.criticLearningRate = 3e-4
        c.temperatureLearningRate = 1e-4
        return c
    }()

    /// The shared hyper-parameters, held in `sac`.
    public var actorCritic: ActorCriticConfiguration {
        get { sac.actorCritic }
        set { sac.actorCritic = newValue }
    }

    /// SAC's fields (`initialTemperature`, `learnTemperature`, `temperatureLearningRate`, `targetEntropy`,
    /// `minimumLogStd`, `maximumLogStd`) as this configuration's own.
    public subscript<T>(dynamicMember keyPath: WritableKeyPath<SACConfiguration, T>) -> T {
        get { sac[keyPath: keyPath] }
        set { sac[keyPath: keyPath] = newValue }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case conservativeWeight, sampledActions, logSumExpTemperature, lagrange, lagrangeThreshold, lagrangeLearningRate
        case entropyBackup
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(SACConfiguration.keys.union(CodingKeys.allCases.map(\.rawValue)))
        // SAC's fields that are absent keep CQL's defaults, not SAC's.
        sac = try SACConfiguration(from: decoder, defaults: CQLConfiguration.sacDefaults)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        conservativeWeight = try value(.conservativeWeight, conservativeWeight)
        sampledActions = try value(.sampledActions, sampledActions)
        logSumExpTemperature = try value(.logSumExpTemperature, logSumExpTemperature)
        lagrange = try value(.lagrange, lagrange)
        lagrangeThreshold = try value(.lagrangeThreshold, lagrangeThreshold)
        lagrangeLearningRate = try value(.lagrangeLearningRate, lagrangeLearningRate)
        entropyBackup = try value(.entropyBackup, entropyBackup)
    }

    /// The shared fields, CQL's, then SAC's own, all at one level.
    public func encode(to encoder: any Encoder) throws {
        try sac.actorCritic.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(conservativeWeight, forKey: .conservativeWeight)
        try c.encode(sampledActions, forKey: .sampledActions)
        try c.encode(logSumExpTemperature, forKey: .logSumExpTemperature)
        try c.encode(lagrange, forKey: .lagrange)
        try c.encode(lagrangeThreshold, forKey: .lagrangeThreshold)
        try c.encode(lagrangeLearningRate, forKey: .lagrangeLearningRate)
        try c.encode(entropyBackup, forKey: .entropyBackup)
        try sac.encodeOwnFields(to: encoder)
    }

    /// The shared fields, CQL's, then SAC's own; throws naming the first out of range.
    public func validate() throws(AgentConfigurationError) {
        try sac.actorCritic.validate()
        func check(_ ok: Bool, _ field: CodingKeys, _ message: String) throws(AgentConfigurationError) {
            if !ok { throw AgentConfigurationError(field: field.rawValue, message: message) }
        }
        try check(conservativeWeight >= 0 && conservativeWeight.isFinite, .conservativeWeight,
                  "must be non-negative (0: offline SAC), got \(conservativeWeight)")
        try check(sampledActions >= 1, .sampledActions, "must be at least 1, got \(sampledActions)")
        try check(logSumExpTemperature > 0 && logSumExpTemperature.isFinite, .logSumExpTemperature,
                  "must be positive, got \(logSumExpTemperature)")
        try check(lagrangeThreshold.isFinite, .lagrangeThreshold, "must be finite, got \(lagrangeThreshold)")
        try check(lagrangeLearningRate > 0 && lagrangeLearningRate.isFinite, .lagrangeLearningRate,
                  "must be positive, got \(lagrangeLearningRate)")
        try sac.validateOwnFields()
    }
}
