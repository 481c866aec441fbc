import Simulator

/// A learner's kind: one of the actor-critic agents, or the fixed-weight search.
public enum AgentKind: String, Codable, Sendable, CaseIterable {
    case ddpg, td3, sac
    /// The cross-entropy search over one fixed weight vector (`FixedWeightSearch`): no networks, no agent.
    case cem

    /// Whether the kind is an actor-critic agent (DDPG, TD3 or SAC).
    public var isActorCritic: Bool { self != .cem }
}

/// Settings refused before anything runs; `message` names the command-line options involved, as `train` takes them.
public struct SettingsError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What defines a learner, as `mtfsim train` takes it: the kind, the networks' hidden sizes, the learning rate,
/// exploration, the DDPG/TD3 action penalty, SAC's target entropy, the discounting, and the residual action box.
///
/// Everything else keeps the agents' published defaults (`ActorCriticConfiguration`, `TD3Configuration`,
/// `SACConfiguration`). `makeAgent(world:seed:)` builds the agent these settings describe.
public struct AgentSettings: Codable, Sendable, Equatable {
    public var kind: AgentKind
    /// Hidden layer widths of the actor and of every critic.
    public var hiddenSizes = [128, 128]
    /// Learning rate of the actor and of the critics.
    public var learningRate: Float = 3e-4
    /// DDPG/TD3: σ of the Gaussian exploration, normalised action units.
    public var explorationSigma: Float = 0.1
    /// DDPG/TD3: λ of the L2 penalty λ·mean(a²) on the actor's normalised actions (HER's DDPG, Andrychowicz et al.
    /// 2017; 0: off).
    public var actionPenalty: Float = 0
    /// SAC: the entropy the temperature is tuned to, nats in normalised action units (`nil`: −dim(A)).
    public var targetEntropy: Float?
    /// Discount γ per request (`nil`: 0.95, or 1 when discounting by time).
    public var discount: Float?
    /// Also discount by time with this half-life in hours (`Discounting`; 0: per request only).
    public var discountHalfLifeHours: Float = 0
    /// Half-width of the residual action box in normalised units (`ActionSpace.restricted`; 1: the whole box).
    public var actionBox: Float = 1
    /// The box's centre: a policy spec with fixed weights (a `fixed:` spec or a cem checkpoint; `nil`: the
    /// environment's baseline weights).
    public var around: String?

    public init(kind: AgentKind) {
        self.kind = kind
    }

    /// γ per request: as given, else 0.95 (1 when discounting by time, where the half-life does the discounting).
    public var resolvedDiscount: Float {
        discount ?? (discountHalfLifeHours > 0 ? 1 : 0.95)
    }

    /// Throws the first rule broken, with `train`'s message. Further limits of the agent's own configuration (e.g.
    /// SAC's target entropy below dim(A)·log 2) are checked when the agent is built.
    public func validate() throws(SettingsError) {
        try validateRanges()
        try validateAgentSpecificOptions()
    }

    /// The rules every kind shares.
    func validateRanges() throws(SettingsError) {
        guard learningRate > 0, explorationSigma > 0, actionBox > 0, actionBox <= 1 else {
            throw SettingsError("--learning-rate and --exploration-sigma must be positive, and --action-box in (0, 1]")
        }
        guard discountHalfLifeHours >= 0, discountHalfLifeHours.isFinite else {
            throw SettingsError("--discount-half-life-hours must be a non-negative number of hours (0: per request only)")
        }
        if let discount, !(discount > 0 && (discount < 1 || discount == 1 && discountHalfLifeHours > 0)) {
            throw SettingsError("--discount must be in (0, 1), or (0, 1] with --discount-half-life-hours; got \(discount)")
        }
        guard !hiddenSizes.isEmpty, hiddenSizes.allSatisfy({ $0 > 0 }) else {
            throw SettingsError("--hidden must be comma-separated positive sizes such as 64 or 128,64, got "
                                + "\"\(hiddenSizes.map(String.init).joined(separator: ","))\"")
        }
    }

    /// The options that only some kinds take, and the centre that needs a box.
    func validateAgentSpecificOptions() throws(SettingsError) {
        guard actionPenalty >= 0, actionPenalty.isFinite else { throw SettingsError("--action-penalty must be a non-negative number") }
        if actionPenalty > 0 && !(kind == .ddpg || kind == .td3) {
            throw SettingsError("--action-penalty acts on DDPG's and TD3's deterministic actor; \(kind.rawValue) has none")
        }
        if let targetEntropy {
            guard kind == .sac else { throw SettingsError("--target-entropy sets SAC's temperature target; \(kind.rawValue) has none") }
            guard targetEntropy.isFinite else { throw SettingsError("--target-entropy must be a finite number of nats") }
        }
        if around != nil && actionBox >= 1 { throw SettingsError("--around centres the residual box: give --action-box below 1") }
    }

    // MARK: The factory

    /// What the agent sees of `world`: its state features, and its action box restricted to half-width `actionBox`
    /// around `around`'s weights (or the baseline) when `actionBox` < 1.
    ///
    /// - Throws: the errors of `PolicyResolver.fixedWeights` when `around` does not name fixed weights.
    public func environment(in world: World) throws -> AgentEnvironment {
        try AgentEnvironment(world: world, actionBox: actionBox, around: around)
    }

    /// The shared hyper-parameters these settings give, the rest at their defaults.
    func apply(to c: inout ActorCriticConfiguration) {
        c.hiddenSizes = hiddenSizes
        c.actorLearningRate = learningRate
        c.criticLearningRate = learningRate
        c.explorationSigma = explorationSigma
        c.discount = resolvedDiscount
        c.discountHalfLifeHours = discountHalfLifeHours
        c.actionPenalty = actionPenalty
    }

    /// A fresh DDPG, TD3 or SAC agent for `world` (weights drawn from `seed`), acting in `environment(in:)`.
    ///
    /// - Throws: `SettingsError` for `cem` (a search, not an agent), `AgentConfigurationError` for a value out of the
    ///   agent's range, and the errors of `environment(in:)`.
    public func makeAgent(world: World, seed: UInt64) throws -> any OnlineAgent {
        let environment = try environment(in: world)
        switch kind {
        case .ddpg:
            var c = DDPGConfiguration()
            apply(to: &c.actorCritic)
            return try DDPGAgent(environment: environment, configuration: c, seed: seed)
        case .td3:
            var c = TD3Configuration()
            apply(to: &c.actorCritic)
            return try TD3Agent(environment: environment, configuration: c, seed: seed)
        case .sac:
            var c = SACConfiguration()
            apply(to: &c.actorCritic)
            c.targetEntropy = targetEntropy
            return try SACAgent(environment: environment, configuration: c, seed: seed)
        case .cem:
            throw SettingsError("cem searches fixed weights; it has no agent to build")
        }
    }
}

/// Everything `mtfsim train` takes besides files and threads: the agent, the training budget, the held-out
/// evaluation, and the CEM search.
public struct TrainingSettings: Codable, Sendable, Equatable {
    public var agent: AgentSettings
    /// Environment steps (requests) to learn from.
    public var steps = 300_000
    /// Gradient steps per collected transition.
    public var updatesPerStep = 0.125
    /// Evaluate on held-out users every this many steps.
    public var evaluationInterval = 50_000
    /// Held-out episodes per evaluation.
    public var evaluationEpisodes = 128
    /// CEM: candidates per iteration.
    public var cemPopulation = 16
    /// CEM: iterations.
    public var cemIterations = 8
    /// CEM: training-user episodes scoring each candidate.
    public var cemEpisodes = 64

    public init(agent: AgentSettings) {
        self.agent = agent
    }

    public init(kind: AgentKind) {
        self.init(agent: AgentSettings(kind: kind))
    }

    /// Throws the first rule broken, with `train`'s message; `logging` says whether an episode log was asked for.
    public func validate(logging: Bool = false) throws(SettingsError) {
        let a = agent
        guard steps > 0, updatesPerStep >= 0, evaluationInterval > 0, evaluationEpisodes > 0, a.learningRate > 0,
              a.explorationSigma > 0, a.actionBox > 0, a.actionBox <= 1,
              cemPopulation > 1, cemIterations > 0, cemEpisodes > 0 else {
            throw SettingsError("--steps, --eval-interval, --eval-episodes, --learning-rate and the --cem-* options must be positive")
        }
        try a.validateRanges()
        if a.kind == .cem && logging { throw SettingsError("--log stores actor-critic training episodes; cem has none") }
        try a.validateAgentSpecificOptions()
    }

    /// How `OnlineTraining` runs these settings.
    public func onlineOptions(seed: UInt64, threads: Int) -> OnlineTrainingOptions {
        var options = OnlineTrainingOptions()
        options.environmentSteps = steps
        options.updatesPerStep = updatesPerStep
        options.evaluationInterval = evaluationInterval
        options.evaluationEpisodes = evaluationEpisodes
        options.seed = seed
        options.threads = threads
        return options
    }
}
