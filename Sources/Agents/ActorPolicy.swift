import Numerics
import Simulator

/// A trained actor as a `FusionPolicy` the simulator can run: observations are normalised with
/// frozen statistics, the actor chooses an action in the normalised box, and the action is mapped
/// to raw fusion parameters with `ActionSpace.denormalize`.
///
/// Modes and what each records in `PolicyOutput`:
/// - `.deterministic`: the actor's mean action (`tanh(μ)` for a SAC actor); log-density 0, group
///   `.deterministic`.
/// - `.gaussian(sigma:)` (DDPG/TD3 exploration): per dimension N(mean, σ²) in normalised units
///   *truncated* to [−1, 1] (see `TruncatedGaussian`; not clipped, so no point masses on the
///   faces); group `.gaussian`; `means` holds the actor's mean; the log-density is that of the
///   truncated Gaussian in raw units, `log p_norm(x) − ActionSpace.logJacobian`.
/// - `.squashedGaussian` (SAC): `a = tanh(μ + σε)`; group `.gaussian`; `means` holds `tanh(μ)`,
///   the median of the distribution (not its mean); the log-density is
///   `log π(a|s) − ActionSpace.logJacobian` with the tanh correction, computed from `u` rather
///   than from the rounded action, so it stays finite when `tanh(u)` rounds to ±1.
///
/// Rows are independent: the network runs row by row in a fixed order of operations
/// (`ActorNetwork.predictRowIndependent`) and row `r` draws only from `streams[r]`, so a
/// session's actions do not depend on which other sessions share the batch.
public struct ActorPolicy: FusionPolicy {
    public enum Mode: Sendable, Equatable {
        case deterministic
        case gaussian(sigma: Float)
        case squashedGaussian
    }

    /// `"ddpg"`, `"td3"`, `"sac"`, …
    public let agentName: String
    public let actor: ActorNetwork
    public let normalizer: NormalizerStatistics
    public let environment: AgentEnvironment
    public let mode: Mode
    /// Gradient steps the actor had taken when this policy was taken from its agent.
    public let updates: Int
    public let spec: String
    /// σ for `.gaussian`; for `.squashedGaussian`, the state-dependent σ summarised as the mean
    /// pre-squash σ over dimensions at the mean observation (normalised state 0); 0 when deterministic.
    public let explorationScale: Float

    public var actionSpace: ActionSpace { environment.actionSpace }

    public init(agentName: String, actor: ActorNetwork, normalizer: NormalizerStatistics, environment: AgentEnvironment,
                mode: Mode = .deterministic, updates: Int = 0, spec: String? = nil) {
        precondition(actor.stateDimension == environment.stateDimension && normalizer.dimension == environment.stateDimension,
                     "ActorPolicy: actor takes \(actor.stateDimension) features, normaliser \(normalizer.dimension), "
                     + "environment has \(environment.stateDimension)")
        precondition(actor.actionDimension == environment.actionDimension,
                     "ActorPolicy: actor has \(actor.actionDimension) action dimensions, environment \(environment.actionDimension)")
        var scale: Float = 0
        switch mode {
        case .deterministic:
            break
        case .gaussian(let sigma):
            precondition(sigma > 0 && sigma.isFinite, "ActorPolicy: exploration σ must be positive, got \(sigma)")
            scale = sigma
        case .squashedGaussian:
            guard case .squashedGaussian(let lo, let hi) = actor.head else {
                preconditionFailure("ActorPolicy: squashed-Gaussian sampling needs a SAC actor, this one is \(actor.head.name)")
            }
            let a = actor.actionDimension
            let out = actor.predictRowIndependent(Matrix(rows: 1, columns: actor.stateDimension))
            for j in 0..<a { scale += Elementary.exp(min(max(out[0, a + j], lo), hi)) / Float(a) }
        }
        self.agentName = agentName
        self.actor = actor
        self.normalizer = normalizer
        self.environment = environment
        self.mode = mode
        self.updates = updates
        self.explorationScale = scale
        self.spec = spec ?? ActorPolicy.defaultSpec(agentName: agentName, updates: updates, mode: mode)
    }

    /// The same actor in another mode (the spec is kept when it names a file).
    public func with(mode: Mode, spec: String? = nil) -> ActorPolicy {
        ActorPolicy(agentName: agentName, actor: actor, normalizer: normalizer, environment: environment,
                    mode: mode, updates: updates, spec: spec)
    }

    static func defaultSpec(agentName: String, updates: Int, mode: Mode) -> String {
        let base = "\(agentName)@\(updates)"
        switch mode {
        case .deterministic: return base
        case .gaussian(let sigma): return base + "+gaussian:\(sigma)"
        case .squashedGaussian: return base + "+sample"
        }
    }

    /// The deterministic actions in the normalised box for raw `states`, `batch × A`.
    public func normalizedActions(states: Matrix) -> Matrix {
        actor.meanActions(fromOutputs: actor.predictRowIndependent(normalizer.applied(to: states)))
    }

    public func act(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into output: inout PolicyOutput) {
        let (b, a) = (states.rows, actor.actionDimension)
        output.prepare(batch: b, actionDimension: a)
        guard b > 0 else { return }
        let outputs = actor.predictRowIndependent(normalizer.applied(to: states))
        let space = environment.actionSpace
        let logJacobian = space.logJacobian
        var mean = [Float](repeating: 0, count: a), action = mean
        var rawMean = mean, rawAction = mean
        for r in 0..<b {
            var logDensity = 0.0
            var group = ExplorationGroup.deterministic
            outputs.withUnsafeBufferPointer { out in
                let row = out.baseAddress! + r * outputs.columns
                for j in 0..<a { mean[j] = actor.head == .deterministic ? row[j] : Elementary.tanh(row[j]) }
                switch mode {
                case .deterministic:
                    for j in 0..<a { action[j] = mean[j] }
                case .gaussian(let sigma):
                    group = .gaussian
                    logDensity = mean.withUnsafeBufferPointer { m in
                        action.withUnsafeMutableBufferPointer { x in
                            TruncatedGaussian.sample(mean: m.baseAddress!, sigma: sigma, dimension: a,
                                                     stream: &streams[r], into: x.baseAddress!)
                        }
                    } - logJacobian
                case .squashedGaussian:
                    guard case .squashedGaussian(let lo, let hi) = actor.head else { return }
                    group = .gaussian
                    for j in 0..<a {
                        let logStd = Double(min(max(row[a + j], lo), hi))
                        let epsilon = streams[r].normal()
                        let u = Double(row[j]) + Elementary.exp(logStd) * epsilon
                        action[j] = Float(Elementary.tanh(Float(u)))
                        logDensity += SquashedGaussian.gaussianLogDensity(noise: epsilon, logStd: logStd)
                            - SquashedGaussian.logOneMinusTanhSquared(u)
                    }
                    logDensity -= logJacobian
                }
            }
            for j in 0..<a {
                rawMean[j] = min(max(space.denormalize(mean[j], dimension: j), space.low[j]), space.high[j])
                rawAction[j] = min(max(space.denormalize(action[j], dimension: j), space.low[j]), space.high[j])
            }
            output.record(row: r, action: rawAction, mean: rawMean, logDensity: logDensity, group: group)
        }
    }
}
