import NeuralNet
import Numerics

/// SAC's policy-improvement step (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications",
/// Algorithm 1, the policy and temperature lines), taken after the critics' update by SAC and by CQL, whose actor is
/// SAC's: the actor descends `J_π` (eq. 7, `SoftPolicyLoss`) by one Adam step, its gradient clipped to the shared
/// `gradientClipNorm` when positive; then, when the temperature is learned, `log α` descends `J(α)` (eq. 18,
/// `Temperature`) by one Adam step towards the target entropy H̄.
///
/// It owns what only this step touches: α, the two optimisers and the loss's scratch matrices. The actor and the
/// critics stay with the learner, which updates them elsewhere too.
public struct SoftPolicyImprovement: Sendable {
    /// α, which the step updates when `learnTemperature`.
    public private(set) var temperature: Temperature
    /// H̄, by default −dim(A).
    public let targetEntropy: Float
    public let learnTemperature: Bool
    let clipNorm: Float
    var actorOptimizer: Adam
    var temperatureOptimizer: Adam
    private var workspace = SoftPolicyLoss.Workspace()

    /// The step's state at the start of training under `configuration`, for `actionDimension` actions.
    ///
    /// - Throws: when a given target entropy is not below dim(A)·log 2 (`SACConfiguration.resolvedTargetEntropy`).
    init(configuration: SACConfiguration, actionDimension: Int) throws(AgentConfigurationError) {
        targetEntropy = try configuration.resolvedTargetEntropy(actionDimension: actionDimension)
        temperature = Temperature(initialValue: configuration.initialTemperature)
        learnTemperature = configuration.learnTemperature
        clipNorm = configuration.actorCritic.gradientClipNorm
        actorOptimizer = Adam(learningRate: configuration.actorCritic.actorLearningRate)
        temperatureOptimizer = Adam(learningRate: configuration.temperatureLearningRate)
    }

    /// One step on the normalised `states` with the standard normal `noise` (`batch × A`) of the reparameterisation:
    /// updates `actor` and, when learned, α. Returns `J_π` and the batch's mean `log π` (before the step).
    ///
    /// The critics' parameter gradients are accumulated too (`SoftPolicyLoss.accumulate`) and must be zeroed before
    /// their next update.
    public mutating func step(actor: inout ActorNetwork, critics: inout [Critic], states: Matrix, noise: Matrix)
        -> (loss: Double, meanLogProbability: Double) {
        actor.zeroGradients()
        let policy = SoftPolicyLoss.accumulate(actor: &actor, critics: &critics, states: states, noise: noise,
                                               temperature: temperature.value, workspace: &workspace)
        if clipNorm > 0 { actor.clipGradients(maxNorm: clipNorm) }
        actorOptimizer.step(&actor)
        if learnTemperature {
            temperature.zeroGradients()
            temperature.accumulateLoss(meanLogProbability: policy.meanLogProbability, targetEntropy: targetEntropy)
            temperatureOptimizer.step(&temperature)
        }
        return policy
    }
}
