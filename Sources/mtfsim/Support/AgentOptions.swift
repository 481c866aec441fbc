import Agents
import ArgumentParser

/// The options that define an actor-critic learner (`AgentSettings`), shared by the commands that train one.
struct AgentOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Hidden layer sizes of actor and critics, comma-separated (default: 128,128).", valueName: "sizes"),
            transform: LayerSizes.parse)
    var hidden = LayerSizes([128, 128])

    @Option(help: "Learning rate of actor and critics.")
    var learningRate: Float = 3e-4

    @Option(help: ArgumentHelp("DDPG/TD3: σ of the Gaussian exploration, normalised action units.", valueName: "sigma"))
    var explorationSigma: Float = 0.1

    @Option(help: ArgumentHelp(
        "DDPG/TD3: λ of the L2 penalty on the actor's normalised actions (0: off).",
        discussion: """
        Adds λ·mean(a²) to the actor loss (HER's DDPG, Andrychowicz et al. 2017), which keeps the tanh actor off the \
        edges of the box, where its gradient vanishes and a DDPG actor can stay stuck.
        """,
        valueName: "lambda"))
    var actionPenalty: Float = 0

    @Option(help: ArgumentHelp(
        "SAC: the entropy the temperature is tuned to, nats in normalised action units (default −dim(A)).",
        discussion: """
        −dim(A) is the SAC paper's heuristic: about σ = 0.09 per dimension. A higher target keeps exploring wider \
        (0: σ ≈ 0.24). It must stay below dim(A)·log 2, the entropy of the uniform distribution on the box.
        """,
        valueName: "nats"))
    var targetEntropy: Float?

    @Option(help: ArgumentHelp("Discount γ per request (default 0.95; 1 with --discount-half-life-hours).", valueName: "gamma"))
    var discount: Float?

    @Option(help: ArgumentHelp(
        "Also discount by time: the next request's value counts 2^(−hours/H) (0: per request only).",
        discussion: """
        Time is the simulator's clock: a request's browsing and watching, plus the idle gap when the session ended. \
        A per-request discount cannot see that a user who leaves early loses the rest of the session, or that one \
        who returns sooner has more sessions per day; with a half-life of hours the value follows reward per \
        user-day instead.
        """,
        valueName: "H"))
    var discountHalfLifeHours: Float = 0

    @Option(help: ArgumentHelp(
        "Act in a box of this half-width around the baseline weights (normalised units; 1: the whole box).",
        discussion: "A residual action space: the agent adjusts the production weights instead of searching the whole box.",
        valueName: "h"))
    var actionBox: Float = 1

    @Option(help: ArgumentHelp(
        "With --action-box: centre the box on these fixed weights instead of the baseline.",
        discussion: "A fixed: spec or a cem checkpoint, e.g. the production weights a CEM search found; the agent then learns state-dependent adjustments to them.",
        valueName: "policy"))
    var around: String?

    /// The settings of a learner of `kind`.
    func settings(kind: AgentKind) -> AgentSettings {
        var s = AgentSettings(kind: kind)
        s.hiddenSizes = hidden.values
        s.learningRate = learningRate
        s.explorationSigma = explorationSigma
        s.actionPenalty = actionPenalty
        s.targetEntropy = targetEntropy
        s.discount = discount
        s.discountHalfLifeHours = discountHalfLifeHours
        s.actionBox = actionBox
        s.around = around
        return s
    }
}
