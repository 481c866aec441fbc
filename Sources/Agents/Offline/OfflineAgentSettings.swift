import EpisodeLog
import Simulator

/// An offline (batch RL) learner's kind, as `mtfsim train-offline --agent` names it.
public enum OfflineAgentKind: String, Codable, Sendable, CaseIterable {
    /// Behaviour cloning: supervised imitation of the logged actions.
    case bc
    /// Batch-constrained Q-learning (Fujimoto et al. 2019): BatchRL-MTF's learner.
    case bcq
    /// TD3 with a behaviour-cloning term in the actor loss (Fujimoto & Gu 2021).
    case td3bc
    /// Implicit Q-learning (Kostrikov et al. 2022).
    case iql
    /// Conservative Q-learning (Kumar et al. 2020).
    case cql
    /// TD3 on the log with no constraint: the reference that the constraints exist for.
    case td3

    /// One line on what the learner is and where it comes from, for `--help` and reports.
    public var summary: String {
        switch self {
        case .bc: "behaviour cloning: imitates the logged actions (Gaussian likelihood or deterministic MSE); no Q-function"
        case .bcq: "BCQ (Fujimoto, Meger & Precup, ICML 2019): a VAE of the logged actions, a perturbation of at most Φ, "
            + "twin critics, the best of N sampled actions at decision time; BatchRL-MTF's learner (Zhang et al., KDD 2022)"
        case .td3bc: "TD3+BC (Fujimoto & Gu, NeurIPS 2021): TD3 whose actor also regresses onto the logged actions (α = 2.5)"
        case .iql: "IQL (Kostrikov, Nair & Levine, ICLR 2022): expectile value regression (τ = 0.7) and "
            + "advantage-weighted extraction (β = 3); never queries Q on unlogged actions"
        case .cql: "CQL (Kumar et al., NeurIPS 2020): SAC with a penalty that pushes Q down on sampled actions and up "
            + "on logged ones (α = 5)"
        case .td3: "offline TD3 (Fujimoto et al., ICML 2018) with no constraint: its Q overestimates unlogged actions "
            + "(extrapolation error), the reference the others improve on"
        }
    }
}

/// What defines an offline learner, as `mtfsim train-offline` and `mtfsim batch-rl` take it: the kind, hidden sizes,
/// learning rate, discounting, the action box the learner acts in, and the mini-batch size.
///
/// `nil` keeps the learner's published default (each configuration's own, with its paper). The options that the
/// online agents share keep their meaning (`AgentSettings`): `--discount` (0.95, or 1 when discounting by time),
/// `--discount-half-life-hours`, `--action-box` with `--around` (the residual box). The logged actions are
/// normalised into that box, and those outside it are clamped to its faces (`TransitionBatch`).
public struct OfflineAgentSettings: Codable, Sendable, Equatable {
    public var kind: OfflineAgentKind
    /// Hidden layer widths of every network (`nil`: the learner's default).
    public var hiddenSizes: [Int]?
    /// Learning rate of every network (`nil`: the learner's defaults).
    public var learningRate: Float?
    /// Discount γ per request (`nil`: 0.95, or 1 when discounting by time).
    public var discount: Float?
    /// Also discount by time with this half-life in hours (`Discounting`; 0: per request only). Needs a dataset
    /// whose transitions all carry their logged time.
    public var discountHalfLifeHours: Float = 0
    /// Half-width of the residual action box in normalised units of the logged box (1: the whole box).
    public var actionBox: Float = 1
    /// The box's centre: a policy spec with fixed weights (a `fixed:` spec or a cem checkpoint; `nil`: the
    /// environment's baseline weights).
    public var around: String?
    /// Mini-batch size (`nil`: the learner's default).
    public var batchSize: Int?
    /// The hyper-parameters that belong to one learner (`nil`: its paper's value); giving one to another learner
    /// is refused.
    public var learnerParameters = LearnerParameters()

    /// The hyper-parameters that belong to one learner, named as its paper names them.
    public struct LearnerParameters: Codable, Sendable, Equatable {
        /// TD3+BC's α (eq. 3; default 2.5).
        public var td3bcAlpha: Float?
        /// IQL's expectile τ (eq. 5; default 0.7).
        public var iqlExpectile: Float?
        /// IQL's inverse temperature β of advantage-weighted extraction (eq. 7; default 3).
        public var iqlBeta: Float?
        /// CQL's conservative weight α (eq. 4; default 5).
        public var cqlAlpha: Float?
        /// CQL's Lagrange form with this threshold τ (eq. 30; `nil`: the fixed-α form).
        public var cqlLagrangeThreshold: Float?
        /// BCQ's perturbation limit Φ in normalised units (eq. 11; default 0.15).
        public var bcqPhi: Float?
        /// BCQ's weight λ of the minimum in the soft clipped double-Q target (eq. 13; default 0.75, 1 is TD3's minimum).
        public var bcqLambda: Float?
        /// BCQ's VAE hidden sizes (default 750, 750, Appendix D).
        public var bcqVAEHiddenSizes: [Int]?
        /// BC's likelihood: a Gaussian (the default) or a deterministic actor fitted by mean squared error.
        public var bcLikelihood: BehaviourLikelihood?

        public init() {}

        /// The option names given, each with the learner it belongs to.
        var given: [(option: String, kind: OfflineAgentKind)] {
            var g: [(String, OfflineAgentKind)] = []
            if td3bcAlpha != nil { g.append(("--td3bc-alpha", .td3bc)) }
            if iqlExpectile != nil { g.append(("--iql-expectile", .iql)) }
            if iqlBeta != nil { g.append(("--iql-beta", .iql)) }
            if cqlAlpha != nil { g.append(("--cql-alpha", .cql)) }
            if cqlLagrangeThreshold != nil { g.append(("--cql-lagrange-threshold", .cql)) }
            if bcqPhi != nil { g.append(("--bcq-phi", .bcq)) }
            if bcqLambda != nil { g.append(("--bcq-lambda", .bcq)) }
            if bcqVAEHiddenSizes != nil { g.append(("--bcq-vae-hidden", .bcq)) }
            if bcLikelihood != nil { g.append(("--bc-likelihood", .bc)) }
            return g
        }
    }

    public init(kind: OfflineAgentKind) {
        self.kind = kind
    }

    /// The discounting the learner's TD targets use.
    public var discounting: Discounting {
        Discounting(perDecision: resolvedDiscount, halfLifeHours: discountHalfLifeHours > 0 ? discountHalfLifeHours : nil)
    }

    /// γ per request: as given, else 0.95 (1 when discounting by time, where the half-life does the discounting).
    public var resolvedDiscount: Float {
        discount ?? (discountHalfLifeHours > 0 ? 1 : 0.95)
    }

    /// Throws the first rule broken, naming the options as `train-offline` takes them. Further limits of the
    /// learner's own configuration are checked when it is built.
    public func validate() throws(SettingsError) {
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) {
            throw SettingsError("--learning-rate must be a positive number, got \(learningRate)")
        }
        guard actionBox > 0, actionBox <= 1 else { throw SettingsError("--action-box must be in (0, 1], got \(actionBox)") }
        guard discountHalfLifeHours >= 0, discountHalfLifeHours.isFinite else {
            throw SettingsError("--discount-half-life-hours must be a non-negative number of hours (0: per request only)")
        }
        if let discount, !(discount > 0 && (discount < 1 || discount == 1 && discountHalfLifeHours > 0)) {
            throw SettingsError("--discount must be in (0, 1), or (0, 1] with --discount-half-life-hours; got \(discount)")
        }
        if let hiddenSizes, hiddenSizes.isEmpty || !hiddenSizes.allSatisfy({ $0 > 0 }) {
            throw SettingsError("--hidden must be comma-separated positive sizes such as 64 or 128,64, got "
                                + "\"\(hiddenSizes.map(String.init).joined(separator: ","))\"")
        }
        if let batchSize, batchSize <= 0 { throw SettingsError("--batch-size must be positive, got \(batchSize)") }
        if let other = learnerParameters.given.first(where: { $0.kind != kind }) {
            throw SettingsError("\(other.option) belongs to --agent \(other.kind.rawValue), not \(kind.rawValue)")
        }
        do {
            try learnerConfiguration.validate()
        } catch {
            throw SettingsError("--agent \(kind.rawValue): \(error.field) \(error.message)")
        }
        if around != nil && actionBox >= 1 { throw SettingsError("--around centres the residual box: give --action-box below 1") }
    }

    /// What the learner sees of the logged `world`: its state features, and the logged action box restricted to
    /// half-width `actionBox` around `around`'s weights (or the baseline) when `actionBox` < 1, as
    /// `AgentSettings.environment(in:)` restricts it online.
    ///
    /// - Throws: the errors of `PolicyResolver.fixedWeights` when `around` does not name fixed weights (a
    ///   state-dependent checkpoint, a checkpoint of another kind, an unreadable file).
    public func environment(in world: World) throws -> AgentEnvironment {
        try AgentEnvironment(world: world, actionBox: actionBox, around: around)
    }

    /// `configuration` with these settings applied to its shared hyper-parameters; what is `nil` here keeps the
    /// configuration's default.
    public func configured<C: AgentConfiguration>(_ configuration: C) -> C {
        var c = configuration
        if let hiddenSizes { c.actorCritic.hiddenSizes = hiddenSizes }
        if let learningRate {
            c.actorCritic.actorLearningRate = learningRate
            c.actorCritic.criticLearningRate = learningRate
        }
        if let batchSize { c.actorCritic.batchSize = batchSize }
        c.actorCritic.discount = resolvedDiscount
        c.actorCritic.discountHalfLifeHours = discountHalfLifeHours
        return c
    }

    /// A fresh learner of `kind` on `dataset`, its weights drawn from `seed`.
    ///
    /// - Throws: `SettingsError` when discounting by time meets transitions without their time,
    ///   `AgentConfigurationError` for a value out of the learner's range.
    public func makeLearner(dataset: OfflineDataset, seed: UInt64) throws -> any OfflineLearner {
        try validate()
        if discountHalfLifeHours > 0 && !dataset.isTimed {
            throw SettingsError("--discount-half-life-hours needs the logged time of every transition; "
                                + "\(dataset.count - dataset.timedCount) of \(dataset.count) have none (a log written before schema 3)")
        }
        switch learnerConfiguration {
        case .bc(let c): return try BehaviourCloning(dataset: dataset, configuration: c, seed: seed)
        case .bcq(let c): return try BCQ(dataset: dataset, configuration: c, seed: seed)
        case .td3bc(let c): return try TD3PlusBC(dataset: dataset, configuration: c, seed: seed)
        case .iql(let c): return try ImplicitQLearning(dataset: dataset, configuration: c, seed: seed)
        case .cql(let c): return try ConservativeQLearning(dataset: dataset, configuration: c, seed: seed)
        case .td3(let c): return try OfflineTD3(dataset: dataset, configuration: c, seed: seed)
        }
    }

    /// The learner's configuration: its paper's defaults, with these settings and its own parameters applied.
    /// With the Lagrange form, CQL's α defaults to 1, as in the authors' code (`min_q_weight` 1 `with_lagrange`;
    /// the fixed form's 5 would make the dual variable track a gap of τ/5).
    public var learnerConfiguration: OfflineLearnerConfiguration {
        let p = learnerParameters
        switch kind {
        case .bc:
            var c = configured(BehaviourCloningConfiguration())
            if let likelihood = p.bcLikelihood { c.likelihood = likelihood }
            return .bc(c)
        case .bcq:
            var c = configured(BCQConfiguration())
            if let phi = p.bcqPhi { c.perturbationLimit = phi }
            if let lambda = p.bcqLambda { c.targetMixing = lambda }
            if let sizes = p.bcqVAEHiddenSizes { c.vaeHiddenSizes = sizes }
            if let learningRate { c.vaeLearningRate = learningRate }
            return .bcq(c)
        case .td3bc:
            var c = configured(TD3PlusBCConfiguration())
            if let alpha = p.td3bcAlpha { c.alpha = alpha }
            return .td3bc(c)
        case .iql:
            var c = configured(IQLConfiguration())
            if let tau = p.iqlExpectile { c.expectile = tau }
            if let beta = p.iqlBeta { c.inverseTemperature = beta }
            return .iql(c)
        case .cql:
            var c = configured(CQLConfiguration())
            if let threshold = p.cqlLagrangeThreshold {
                c.lagrange = true
                c.lagrangeThreshold = threshold
                c.conservativeWeight = 1
            }
            if let alpha = p.cqlAlpha { c.conservativeWeight = alpha }
            return .cql(c)
        case .td3:
            return .td3(configured(TD3Configuration()))
        }
    }
}

/// An offline learner's full configuration, by kind (`OfflineAgentSettings.learnerConfiguration`).
public enum OfflineLearnerConfiguration: Sendable {
    case bc(BehaviourCloningConfiguration)
    case bcq(BCQConfiguration)
    case td3bc(TD3PlusBCConfiguration)
    case iql(IQLConfiguration)
    case cql(CQLConfiguration)
    case td3(TD3Configuration)

    /// Throws the first value out of the learner's range.
    public func validate() throws(AgentConfigurationError) {
        switch self {
        case .bc(let c): try c.validate()
        case .bcq(let c): try c.validate()
        case .td3bc(let c): try c.validate()
        case .iql(let c): try c.validate()
        case .cql(let c): try c.validate()
        case .td3(let c): try c.validate()
        }
    }
}
