import NeuralNet
import Numerics

/// Something that learns a fusion policy from transitions (docs/design.md, "Learners and online agents"): gradient
/// steps on mini-batches, a deterministic policy to evaluate and deploy, and checkpoints of it.
///
/// A learner does not collect: where its transitions come from (an online agent's own behaviour, or a logged run
/// for an offline learner) is up to the caller. Learners are values: copying one copies its networks, optimiser
/// state and data (copy-on-write).
///
/// Determinism: a learner's initial weights come from its seed; everything random in an update (mini-batch
/// indices, target-smoothing noise, reparameterisation noise) comes from the stream passed to `update`, in a fixed
/// order. The same seed, data and streams give bit-identical networks.
public protocol Learner: Sendable {
    associatedtype Configuration: AgentConfiguration
    /// What the learner deploys: an `ActorPolicy` for the actor-critics, BCQ's own `BCQPolicy`.
    associatedtype EvaluationPolicy: CheckpointedPolicy = ActorPolicy

    /// Short lower-case name (`"ddpg"`, `"td3"`, `"sac"`), recorded in checkpoints and logs.
    static var name: String { get }

    var configuration: Configuration { get }
    var environment: AgentEnvironment { get }

    /// Gradient steps taken so far (critic updates).
    var updateCount: Int { get }

    /// Takes `steps` gradient steps on mini-batches drawn (uniformly, with replacement) with `stream`; none while
    /// the learner holds fewer than `learningStarts` transitions (or none).
    mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics

    /// The current policy without exploration (the actor mean), for evaluation and deployment.
    func evaluationPolicy() -> EvaluationPolicy
}

extension Learner {
    /// The evaluation policy as a checkpoint of its own kind (`ActorPolicy.checkpointKind` for an actor), loadable
    /// with `PolicyResolver`.
    public func policyCheckpoint() -> Checkpoint {
        evaluationPolicy().checkpoint()
    }
}

/// A learner that also collects its own experience online.
///
/// The training loop (`OnlineTraining`) owns the environment: it asks for a `behaviourPolicy()` to act with, hands
/// the resulting transitions to `observe(_:)`, calls `update(steps:stream:)` as often as its update-to-data ratio
/// says, and evaluates or saves `evaluationPolicy()`. Before `learningStarts` transitions, collect with any policy
/// (e.g. Simulator's `UniformRandomPolicy`, as TD3's authors do for their first steps).
public protocol OnlineAgent: Learner where EvaluationPolicy == ActorPolicy {
    /// Transitions currently held in the replay buffer.
    var storedTransitionCount: Int { get }

    /// Adds transitions to the replay buffer and folds their states into the observation statistics.
    mutating func observe(_ transitions: TransitionBatch)

    /// The policy to collect experience with: the current actor with the agent's exploration, and a frozen copy of
    /// the observation statistics.
    func behaviourPolicy() -> ActorPolicy
}

/// What one call of `Learner.update` did, averaged over its gradient steps (`nil`: not measured,
/// e.g. no step was taken, or the quantity does not exist for this agent).
public struct UpdateDiagnostics: Codable, Sendable, Equatable {
    /// Gradient steps taken by this call.
    public var steps: Int = 0
    /// Actor (policy) updates among them (fewer than `steps` with TD3's delayed actor).
    public var actorSteps: Int = 0
    /// Mean TD loss of the critics, summed over the critics of an ensemble.
    public var criticLoss: Double?
    /// Mean actor loss (`−Q` for DDPG/TD3, `α log π − min Q` for SAC).
    public var actorLoss: Double?
    /// Mean of the first critic's estimate `Q(s, a)` on the replayed actions.
    public var meanQ: Double?
    /// Mean TD target.
    public var meanTarget: Double?
    /// SAC: entropy temperature α after the call.
    public var temperature: Double?
    /// SAC: mean `log π(a|s)` of fresh actions, normalised units.
    public var meanLogProbability: Double?
    /// Mean critic gradient norm before clipping (only when clipping is on).
    public var criticGradientNorm: Double?
    /// IQL: mean expectile loss of the state-value network.
    public var valueLoss: Double?
    /// IQL: mean advantage `min Q̂(s, a) − V(s)` on the replayed actions.
    public var meanAdvantage: Double?
    /// CQL: mean over the critics of the conservative gap `E_s[log Σ_a exp Q(s, a) − E_{a∼D} Q(s, a)]` (unweighted).
    public var conservativeGap: Double?
    /// CQL's Lagrange form: the dual variable α′ after the call.
    public var lagrangeMultiplier: Double?

    public init() {}
}
