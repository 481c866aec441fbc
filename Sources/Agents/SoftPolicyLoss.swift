import NeuralNet
import Numerics

/// SAC's policy loss with the reparameterisation trick (Haarnoja et al. 2018, "Soft Actor-Critic
/// Algorithms and Applications", eqs. 7, 11–13, with the minimum of two critics as in §5):
///
///     J_π(θ) = (1/B) Σ_b [ α log π_θ(ã_b|s_b) − min_i Q_i(s_b, ã_b) ],   ã_b = tanh(μ_θ(s_b) + σ_θ(s_b) ⊙ ε_b)
///
/// with `log π` including the tanh correction (`SquashedGaussian`). With `a = tanh(u)`,
/// `u = μ + σε`, `g = ∂(−min Q)/∂a` from the critic's input gradient, per dimension:
///
///     ∂J/∂μ     = (α·2a + g·(1 − a²)) / B
///     ∂J/∂log σ = (α·(2aσε − 1) + g·(1 − a²)·σε) / B     (0 where log σ is clamped)
///
/// The minimum picks, per row, the first critic with the smallest value (a subgradient at ties).
public enum SoftPolicyLoss {
    /// Scratch matrices reused from one update to the next.
    public struct Workspace: Sendable {
        var actions = Matrix(rows: 0, columns: 0)
        var logProbabilities = Matrix(rows: 0, columns: 0)
        var minimumQ = Matrix(rows: 0, columns: 0)
        var argminCritic = [Int]()
        var qGradient = Matrix(rows: 0, columns: 0)
        var actionGradient = Matrix(rows: 0, columns: 0)
        var totalActionGradient = Matrix(rows: 0, columns: 0)
        var outputGradient = Matrix(rows: 0, columns: 0)
        public init() {}
    }

    /// Runs the actor and critics forward on `states` (normalised) with the standard normal `noise`
    /// (`batch × A`), accumulates `∂J_π/∂θ` in `actor`, and returns `J_π` and the mean `log π`.
    ///
    /// The critics' parameter gradients are accumulated too and must be zeroed before their next update.
    public static func accumulate(actor: inout ActorNetwork, critics: inout [Critic], states: Matrix, noise: Matrix,
                                  temperature alpha: Float, workspace w: inout Workspace)
        -> (loss: Double, meanLogProbability: Double) {
        guard case .squashedGaussian(let lo, let hi) = actor.head else {
            preconditionFailure("SoftPolicyLoss: the actor must have a squashed-Gaussian head")
        }
        let (n, a) = (states.rows, actor.actionDimension)
        precondition(noise.rows == n && noise.columns == a, "SoftPolicyLoss: noise is \(noise.rows)×\(noise.columns), expected \(n)×\(a)")
        let outputs = actor.forward(states)
        SquashedGaussian.sample(outputs: outputs, noise: noise, logStdBounds: (lo, hi),
                                actions: &w.actions, logProbabilities: &w.logProbabilities)
        w.minimumQ.resize(rows: n, columns: 1)
        if w.argminCritic.count != n { w.argminCritic = [Int](repeating: 0, count: n) }
        for i in critics.indices {
            let q = critics[i].forward(states: states, actions: w.actions)
            q.withUnsafeBufferPointer { qv in
                w.minimumQ.withUnsafeMutableBufferPointer { m in
                    w.argminCritic.withUnsafeMutableBufferPointer { k in
                        for r in 0..<n where i == 0 || qv[r] < m[r] {
                            m[r] = qv[r]
                            k[r] = i
                        }
                    }
                }
            }
        }
        var loss = 0.0, logProbabilitySum = 0.0
        w.logProbabilities.withUnsafeBufferPointer { lp in
            w.minimumQ.withUnsafeBufferPointer { m in
                for r in 0..<n {
                    loss += Double(alpha) * Double(lp[r]) - Double(m[r])
                    logProbabilitySum += Double(lp[r])
                }
            }
        }
        // ∂(−min Q)/∂a through the critic that attains the minimum in each row.
        let inverseBatch = 1 / Float(n)
        w.totalActionGradient.resize(rows: n, columns: a)
        w.totalActionGradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        w.qGradient.resize(rows: n, columns: 1)
        for i in critics.indices {
            var used = false
            w.argminCritic.withUnsafeBufferPointer { k in
                w.qGradient.withUnsafeMutableBufferPointer { g in
                    for r in 0..<n {
                        g[r] = k[r] == i ? -inverseBatch : 0
                        used = used || k[r] == i
                    }
                }
            }
            guard used else { continue }
            critics[i].backwardToActions(w.qGradient, into: &w.actionGradient)
            w.totalActionGradient.add(w.actionGradient)
        }
        // Chain into μ and log σ.
        w.outputGradient.resize(rows: n, columns: 2 * a)
        let scaledAlpha = alpha * inverseBatch
        outputs.withUnsafeBufferPointer { out in
            noise.withUnsafeBufferPointer { eps in
                w.actions.withUnsafeBufferPointer { act in
                    w.totalActionGradient.withUnsafeBufferPointer { g in
                        w.outputGradient.withUnsafeMutableBufferPointer { d in
                            for r in 0..<n {
                                for j in 0..<a {
                                    let rawLogStd = out[r * 2 * a + a + j]
                                    let logStd = min(max(rawLogStd, lo), hi)
                                    let sigmaEpsilon = Elementary.exp(logStd) * eps[r * a + j]
                                    let action = act[r * a + j]
                                    let dAction = g[r * a + j] * (1 - action * action)
                                    d[r * 2 * a + j] = scaledAlpha * 2 * action + dAction
                                    let inside = rawLogStd > lo && rawLogStd < hi
                                    d[r * 2 * a + a + j] = inside
                                        ? scaledAlpha * (2 * action * sigmaEpsilon - 1) + dAction * sigmaEpsilon : 0
                                }
                            }
                        }
                    }
                }
            }
        }
        actor.backward(w.outputGradient)
        return (loss / Double(n), logProbabilitySum / Double(n))
    }
}
