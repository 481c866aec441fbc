import NeuralNet
import Numerics

/// The actor loss of DDPG and TD3, `L(θ) = −(1/B) Σ_b Q(s_b, π_θ(s_b))`, whose gradient is the
/// deterministic policy gradient `−(1/B) Σ_b ∇_a Q(s_b, a)|_{a=π(s_b)} ∇_θ π_θ(s_b)`
/// (Silver et al. 2014, Theorem 1; Lillicrap et al. 2016, Algorithm 1; TD3 uses `Q_1`), plus, when
/// `actionPenalty` λ > 0, `λ/(B·A) Σ_{b,j} π_θ(s_b)_j²` (HER's action penalty, Andrychowicz et al. 2017).
public enum DeterministicPolicyGradient {
    /// Scratch matrices reused from one update to the next.
    public struct Workspace: Sendable {
        var qGradient = Matrix(rows: 0, columns: 0)
        var actionGradient = Matrix(rows: 0, columns: 0)
        var actions = Matrix(rows: 0, columns: 0)
        public init() {}
    }

    /// Runs the actor and critic forward on `states` (normalised), backpropagates `L` through the
    /// critic's action input into the actor, accumulates `∂L/∂θ` in `actor`, and returns `L`.
    ///
    /// The critic's parameter gradients are accumulated too and must be zeroed before its next update.
    public static func accumulateActorLoss(actor: inout ActorNetwork, critic: inout Critic, states: Matrix,
                                           actionPenalty: Float = 0, workspace w: inout Workspace) -> Double {
        precondition(actor.head == .deterministic, "DeterministicPolicyGradient: the actor must be deterministic")
        let n = states.rows
        let output = actor.forward(states)
        w.actions.resize(rows: n, columns: output.columns)
        output.withUnsafeBufferPointer { src in
            w.actions.withUnsafeMutableBufferPointer { dst in
                for k in 0..<dst.count { dst[k] = src[k] }
            }
        }
        let q = critic.forward(states: states, actions: w.actions)
        var loss = -q.sum() / Double(n)
        w.qGradient.resize(rows: n, columns: 1)
        w.qGradient.withUnsafeMutableBufferPointer { $0.update(repeating: -1 / Float(n)) }
        critic.backwardToActions(w.qGradient, into: &w.actionGradient)
        if actionPenalty > 0 {
            let count = w.actions.rows * w.actions.columns
            let scale = actionPenalty / Float(count)
            var squares = 0.0
            w.actions.withUnsafeBufferPointer { a in
                w.actionGradient.withUnsafeMutableBufferPointer { g in
                    for k in 0..<count {
                        squares += Double(a[k] * a[k])
                        g[k] += 2 * scale * a[k]
                    }
                }
            }
            loss += Double(actionPenalty) * squares / Double(count)
        }
        actor.backward(w.actionGradient)
        return loss
    }
}
