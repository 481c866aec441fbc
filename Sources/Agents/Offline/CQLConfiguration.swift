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
public struct CQLConfiguration: AgentConfiguration {
    public var actorCritic: ActorCriticConfiguration = {
        var c = ActorCriticConfiguration()
        c.actorLearningRate = 1e-4
        c.criticLearningRate = 3e-4
        return c
    }()
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
    /// SAC's entropy temperature at the start (the whole run when `learnTemperature` is false).
    public var initialTemperature: Float = 1
    /// Automatic temperature adjustment (Haarnoja et al. 2018, eq. 18).
    public var learnTemperature: Bool = true
    public var temperatureLearningRate: Float = 1e-4
    /// H̄; `nil` means −dim(A).
    public var targetEntropy: Float? = nil
    /// The policy's log σ is clamped to [minimumLogStd, maximumLogStd].
    public var minimumLogStd: Float = -20
    public var maximumLogStd: Float = 2

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case conservativeWeight, sampledActions, logSumExpTemperature, lagrange, lagrangeThreshold, lagrangeLearningRate
        case entropyBackup, initialTemperature, learnTemperature, temperatureLearningRate, targetEntropy
        case minimumLogStd, maximumLogStd
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(actorCriticKeys.union(CodingKeys.allCases.map(\.rawValue)))
        let defaults = CQLConfiguration()
        // Shared fields that are absent keep CQL's defaults, not the generic actor-critic ones.
        let shared = try decoder.container(keyedBy: ActorCriticConfiguration.CodingKeys.self)
        actorCritic = try ActorCriticConfiguration(from: decoder)
        if !shared.contains(.actorLearningRate) { actorCritic.actorLearningRate = defaults.actorCritic.actorLearningRate }
        if !shared.contains(.criticLearningRate) { actorCritic.criticLearningRate = defaults.actorCritic.criticLearningRate }
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
        initialTemperature = try value(.initialTemperature, initialTemperature)
        learnTemperature = try value(.learnTemperature, learnTemperature)
        temperatureLearningRate = try value(.temperatureLearningRate, temperatureLearningRate)
        targetEntropy = try c.decodeIfPresent(Float.self, forKey: .targetEntropy)
        minimumLogStd = try value(.minimumLogStd, minimumLogStd)
        maximumLogStd = try value(.maximumLogStd, maximumLogStd)
    }

    public func encode(to encoder: any Encoder) throws {
        try actorCritic.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(conservativeWeight, forKey: .conservativeWeight)
        try c.encode(sampledActions, forKey: .sampledActions)
        try c.encode(logSumExpTemperature, forKey: .logSumExpTemperature)
        try c.encode(lagrange, forKey: .lagrange)
        try c.encode(lagrangeThreshold, forKey: .lagrangeThreshold)
        try c.encode(lagrangeLearningRate, forKey: .lagrangeLearningRate)
        try c.encode(entropyBackup, forKey: .entropyBackup)
        try c.encode(initialTemperature, forKey: .initialTemperature)
        try c.encode(learnTemperature, forKey: .learnTemperature)
        try c.encode(temperatureLearningRate, forKey: .temperatureLearningRate)
        try c.encodeIfPresent(targetEntropy, forKey: .targetEntropy)
        try c.encode(minimumLogStd, forKey: .minimumLogStd)
        try c.encode(maximumLogStd, forKey: .maximumLogStd)
    }

    public func validate() throws(AgentConfigurationError) {
        try actorCritic.validate()
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
        try check(initialTemperature > 0 && initialTemperature.isFinite, .initialTemperature,
                  "must be positive, got \(initialTemperature)")
        try check(temperatureLearningRate > 0, .temperatureLearningRate, "must be positive, got \(temperatureLearningRate)")
        if let h = targetEntropy { try check(h.isFinite, .targetEntropy, "must be finite, got \(h)") }
        try check(minimumLogStd < maximumLogStd, .minimumLogStd,
                  "must be below maximumLogStd (\(maximumLogStd)), got \(minimumLogStd)")
    }
}
