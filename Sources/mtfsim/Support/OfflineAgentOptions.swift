import Agents
import ArgumentParser

/// The options that define an offline learner (`OfflineAgentSettings`), shared by `train-offline` and `batch-rl`.
/// Those that the online agents also take (`AgentOptions`) keep their meaning; left out, a value is the learner's
/// published default.
struct OfflineAgentOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Hidden layer sizes of every network, comma-separated (default: the learner's own).",
                               valueName: "sizes"),
            transform: LayerSizes.parse)
    var hidden: LayerSizes?

    @Option(help: ArgumentHelp("Learning rate of every network (default: the learner's own, from its paper).", valueName: "rate"))
    var learningRate: Float?

    @Option(help: ArgumentHelp("Mini-batch size (default: the learner's own).", valueName: "count"))
    var batchSize: Int?

    @Option(help: ArgumentHelp("Discount γ per request (default 0.95; 1 with --discount-half-life-hours).", valueName: "gamma"))
    var discount: Float?

    @Option(help: ArgumentHelp(
        "Also discount by time: the next request's value counts 2^(−hours/H) (0: per request only).",
        discussion: "Uses the logged time of every transition, as `train` uses the simulator's clock.",
        valueName: "H"))
    var discountHalfLifeHours: Float = 0

    @Option(help: ArgumentHelp(
        "Act in a box of this half-width around the baseline weights (normalised units of the logged box; 1: all of it).",
        discussion: "A residual action space, as in `train`; logged actions outside it count as its nearest face.",
        valueName: "h"))
    var actionBox: Float = 1

    @Option(help: ArgumentHelp(
        "With --action-box: centre the box on these fixed weights instead of the baseline.",
        discussion: "A fixed: spec or a cem checkpoint; a state-dependent checkpoint is refused.",
        valueName: "policy"))
    var around: String?

    @Option(name: .customLong("td3bc-alpha"), help: ArgumentHelp("TD3+BC: α, the weight of Q against the BC term (default 2.5).", valueName: "alpha"))
    var td3bcAlpha: Float?

    @Option(name: .customLong("iql-expectile"), help: ArgumentHelp("IQL: the expectile τ of the value regression (default 0.7).", valueName: "tau"))
    var iqlExpectile: Float?

    @Option(name: .customLong("iql-beta"), help: ArgumentHelp("IQL: the inverse temperature β of advantage weighting (default 3).", valueName: "beta"))
    var iqlBeta: Float?

    @Option(name: .customLong("cql-alpha"), help: ArgumentHelp("CQL: the conservative weight α (default 5).", valueName: "alpha"))
    var cqlAlpha: Float?

    @Option(name: .customLong("cql-lagrange-threshold"), help: ArgumentHelp(
        "CQL: use the Lagrange form, tuning α so the conservative gap tracks this threshold (default: fixed α).",
        valueName: "tau"))
    var cqlLagrangeThreshold: Float?

    @Option(name: .customLong("bcq-phi"), help: ArgumentHelp(
        "BCQ: the perturbation limit Φ in normalised units of the box (default 0.15, BatchRL-MTF's).", valueName: "phi"))
    var bcqPhi: Float?

    @Option(name: .customLong("bcq-lambda"), help: ArgumentHelp(
        "BCQ: the weight λ of the minimum of the twin critics in the target, against their maximum (default 0.75; 1 is TD3's clipped double Q).",
        valueName: "lambda"))
    var bcqLambda: Float?

    @Option(name: .customLong("bcq-vae-hidden"), help: ArgumentHelp("BCQ: the VAE's hidden sizes (default 750,750).", valueName: "sizes"),
            transform: LayerSizes.parse)
    var bcqVAEHidden: LayerSizes?

    @Option(name: .customLong("bc-likelihood"), help: ArgumentHelp(
        "BC: gaussian (maximum likelihood of a squashed Gaussian, the default) or deterministic (mean squared error).",
        valueName: "kind"))
    var bcLikelihood: BehaviourLikelihood?

    /// The settings of a learner of `kind`.
    func settings(kind: OfflineAgentKind) -> OfflineAgentSettings {
        var s = OfflineAgentSettings(kind: kind)
        s.hiddenSizes = hidden?.values
        s.learningRate = learningRate
        s.batchSize = batchSize
        s.discount = discount
        s.discountHalfLifeHours = discountHalfLifeHours
        s.actionBox = actionBox
        s.around = around
        s.learnerParameters.td3bcAlpha = td3bcAlpha
        s.learnerParameters.iqlExpectile = iqlExpectile
        s.learnerParameters.iqlBeta = iqlBeta
        s.learnerParameters.cqlAlpha = cqlAlpha
        s.learnerParameters.cqlLagrangeThreshold = cqlLagrangeThreshold
        s.learnerParameters.bcqPhi = bcqPhi
        s.learnerParameters.bcqLambda = bcqLambda
        s.learnerParameters.bcqVAEHiddenSizes = bcqVAEHidden?.values
        s.learnerParameters.bcLikelihood = bcLikelihood
        return s
    }

    /// The learner `name` names, or one line saying which names there are.
    static func kind(_ name: String) throws -> OfflineAgentKind {
        guard let kind = OfflineAgentKind(rawValue: name) else {
            throw CommandFailure("--agent: unknown learner '\(name)'; expected one of "
                                 + OfflineAgentKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return kind
    }

    /// Every learner with what it is, for `--help`.
    static var learnerList: String {
        OfflineAgentKind.allCases.map { "  \($0.rawValue): \($0.summary)" }.joined(separator: "\n")
    }
}

extension BatchRLExploration.Kernel: ExpressibleByArgument {}
extension BehaviourLikelihood: ExpressibleByArgument {}

extension CommandFailure {
    /// `error` as one line (`Error: …` without the usage text).
    static func oneLine(_ error: any Error) -> CommandFailure {
        CommandFailure("\(error)".split(whereSeparator: \.isNewline).joined(separator: " "))
    }
}
