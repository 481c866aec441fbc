import EpisodeLog
/// Hyper-parameters of an actor-critic agent, decodable from JSON or YAML with every field
/// optional: a missing field keeps its published default, an unknown field is an error (so a typo
/// never silently falls back to a default).
///
/// Per-agent configurations (`DDPGConfiguration`, `TD3Configuration`, `SACConfiguration`) hold the
/// shared `ActorCriticConfiguration` and add their own fields, encoded flat at the same level.
public protocol AgentConfiguration: Codable, Sendable, Equatable {
    /// The hyper-parameters every actor-critic agent shares.
    var actorCritic: ActorCriticConfiguration { get set }
    /// Throws when a value is out of range, naming the field.
    func validate() throws(AgentConfigurationError)
}

/// A hyper-parameter out of its valid range.
public struct AgentConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "agent configuration: \(field): \(message)" }
}

/// Hyper-parameters shared by DDPG, TD3 and SAC.
///
/// Defaults follow Fujimoto et al. 2018 (TD3, §6.1) and Haarnoja et al. 2018 (SAC, Appendix D):
/// two hidden layers of 256 ReLU units, Adam at 3·10⁻⁴, τ = 0.005, mini-batches of 256; the
/// discount is the fusion MDP's default γ = 0.95 (docs/design.md, "Discounting").
public struct ActorCriticConfiguration: Codable, Sendable, Equatable {
    /// Hidden layer widths of the actor and of every critic.
    public var hiddenSizes: [Int] = [256, 256]
    public var actorLearningRate: Float = 3e-4
    public var criticLearningRate: Float = 3e-4
    /// Discount γ per decision.
    public var discount: Float = 0.95
    /// When positive, also discount by time: `γ_i = γ · 2^(−Δt_i / H)` with `H` this half-life in hours
    /// (`Discounting`); then γ may be 1.
    public var discountHalfLifeHours: Float = 0
    /// Polyak rate τ of the target networks, `θ' ← τθ + (1 − τ)θ'`.
    public var targetUpdateRate: Float = 0.005
    public var batchSize: Int = 256
    /// Replay buffer capacity in transitions (oldest overwritten first).
    public var replayCapacity: Int = 1_000_000
    /// No gradient step until the buffer holds this many transitions.
    public var learningStarts: Int = 1_000
    /// DDPG/TD3: standard deviation of the Gaussian exploration in normalised action units.
    public var explorationSigma: Float = 0.1
    /// Normalise observations by running mean and standard deviation (Welford).
    public var normalizeObservations: Bool = true
    /// Normalised observations are clipped to ±`observationClip` standard deviations.
    public var observationClip: Float = 5
    /// Rewards are multiplied by this constant before learning.
    public var rewardScale: Float = 1
    /// Also divide rewards by their running standard deviation.
    public var normalizeRewards: Bool = false
    /// Global-norm clipping of each network's gradient (0: off).
    public var gradientClipNorm: Float = 0
    /// Decoupled (AdamW) weight decay of the critics (DDPG's original used an L2 penalty of 10⁻²).
    public var criticWeightDecay: Float = 0
    /// DDPG/TD3: λ of an L2 penalty on the actor's normalised actions, `λ·mean(a²)` added to the actor loss, which
    /// keeps the tanh actor off the box's edges where its gradient vanishes (HER's DDPG, Andrychowicz et al. 2017,
    /// `action_l2`; 0: off).
    public var actionPenalty: Float = 0

    public init() {}

    /// The discounting these settings describe.
    public var discounting: Discounting {
        Discounting(perDecision: discount, halfLifeHours: discountHalfLifeHours > 0 ? discountHalfLifeHours : nil)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case hiddenSizes, actorLearningRate, criticLearningRate, discount, discountHalfLifeHours, targetUpdateRate, batchSize
        case replayCapacity, learningStarts, explorationSigma, normalizeObservations, observationClip
        case rewardScale, normalizeRewards, gradientClipNorm, criticWeightDecay, actionPenalty
    }

    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, defaults: ActorCriticConfiguration())
    }

    /// Decodes the shared keys over `defaults`: an absent key keeps the value in `defaults`, so a configuration whose
    /// paper departs from these defaults (CQL's learning rates) keeps its own. Unknown keys are the caller's to refuse.
    init(from decoder: any Decoder, defaults: ActorCriticConfiguration) throws {
        self = defaults
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        hiddenSizes = try value(.hiddenSizes, hiddenSizes)
        actorLearningRate = try value(.actorLearningRate, actorLearningRate)
        criticLearningRate = try value(.criticLearningRate, criticLearningRate)
        discount = try value(.discount, discount)
        discountHalfLifeHours = try value(.discountHalfLifeHours, discountHalfLifeHours)
        targetUpdateRate = try value(.targetUpdateRate, targetUpdateRate)
        batchSize = try value(.batchSize, batchSize)
        replayCapacity = try value(.replayCapacity, replayCapacity)
        learningStarts = try value(.learningStarts, learningStarts)
        explorationSigma = try value(.explorationSigma, explorationSigma)
        normalizeObservations = try value(.normalizeObservations, normalizeObservations)
        observationClip = try value(.observationClip, observationClip)
        rewardScale = try value(.rewardScale, rewardScale)
        normalizeRewards = try value(.normalizeRewards, normalizeRewards)
        gradientClipNorm = try value(.gradientClipNorm, gradientClipNorm)
        criticWeightDecay = try value(.criticWeightDecay, criticWeightDecay)
        actionPenalty = try value(.actionPenalty, actionPenalty)
    }

    /// Throws naming the first field out of range.
    public func validate() throws(AgentConfigurationError) {
        func check(_ ok: Bool, _ field: CodingKeys, _ message: String) throws(AgentConfigurationError) {
            if !ok { throw AgentConfigurationError(field: field.rawValue, message: message) }
        }
        try check(!hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 }, .hiddenSizes,
                  "expected one or more positive widths, got \(hiddenSizes)")
        try check(actorLearningRate > 0, .actorLearningRate, "must be positive, got \(actorLearningRate)")
        try check(criticLearningRate > 0, .criticLearningRate, "must be positive, got \(criticLearningRate)")
        try check(discountHalfLifeHours >= 0 && discountHalfLifeHours.isFinite, .discountHalfLifeHours,
                  "must be non-negative (0: discount per decision only), got \(discountHalfLifeHours)")
        if discountHalfLifeHours > 0 {
            try check(discount > 0 && discount <= 1, .discount, "must be in (0, 1] when discounting by time, got \(discount)")
        } else {
            try check(discount >= 0 && discount < 1, .discount, "must be in [0, 1), got \(discount)")
        }
        try check(targetUpdateRate > 0 && targetUpdateRate <= 1, .targetUpdateRate, "must be in (0, 1], got \(targetUpdateRate)")
        try check(batchSize > 0, .batchSize, "must be positive, got \(batchSize)")
        try check(replayCapacity >= batchSize, .replayCapacity, "must hold at least one batch (\(batchSize)), got \(replayCapacity)")
        try check(learningStarts >= 0, .learningStarts, "must be non-negative, got \(learningStarts)")
        try check(explorationSigma >= 0 && explorationSigma.isFinite, .explorationSigma, "must be non-negative, got \(explorationSigma)")
        try check(observationClip > 0, .observationClip, "must be positive, got \(observationClip)")
        try check(rewardScale > 0 && rewardScale.isFinite, .rewardScale, "must be positive, got \(rewardScale)")
        try check(gradientClipNorm >= 0, .gradientClipNorm, "must be non-negative (0: off), got \(gradientClipNorm)")
        try check(criticWeightDecay >= 0, .criticWeightDecay, "must be non-negative, got \(criticWeightDecay)")
        try check(actionPenalty >= 0 && actionPenalty.isFinite, .actionPenalty, "must be non-negative (0: off), got \(actionPenalty)")
    }
}

/// Any string key, for checking a container's keys against the known ones.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Throws `DecodingError.dataCorrupted` naming the first key not in `known`.
    func rejectUnknownKeys(_ known: Set<String>) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: codingPath + [key],
                debugDescription: "unknown agent hyper-parameter '\(key.stringValue)'; known: \(known.sorted().joined(separator: ", "))"))
        }
    }
}

/// The shared coding keys, for the per-agent configurations' unknown-key check.
let actorCriticKeys = Set(ActorCriticConfiguration.CodingKeys.allCases.map(\.rawValue))
