import EpisodeLog
import Numerics

/// SAC's soft TD target (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications",
/// eqs. 2–3 and 5 with the clipped double Q of §5):
///
///     a' = tanh(μ(s') + σ(s') ⊙ ε'),  ε' ~ N(0, I)      (a fresh draw from the current policy)
///     y  = r + γ (1 − d) ( min_i Q'_i(s', a') − α log π(a'|s') )
///
/// `bootstrapDiscounts` holds `γ_i (1 − d)` per transition (`Discounting`: a constant γ, or one that depends on the
/// time the transition took), with `d` = 0 for truncated transitions.
public enum SoftQTarget {
    /// Writes `y` (`batch × 1`) into `targets`; `nextActions` and `nextLogProbabilities` are scratch
    /// and hold `a'` and `log π(a'|s')` afterwards.
    public static func compute(
        rewards: Matrix, bootstrapDiscounts: Matrix, nextStates: Matrix, noise: Matrix,
        actor: inout ActorNetwork, targetCritics: inout [Critic], temperature: Float,
        nextActions: inout Matrix, nextLogProbabilities: inout Matrix, into targets: inout Matrix
    ) {
        guard case .squashedGaussian(let lo, let hi) = actor.head else {
            preconditionFailure("SoftQTarget: the actor must have a squashed-Gaussian head")
        }
        precondition(!targetCritics.isEmpty, "SoftQTarget: need at least one target critic")
        let n = nextStates.rows
        let outputs = actor.forward(nextStates)
        SquashedGaussian.sample(outputs: outputs, noise: noise, logStdBounds: (lo, hi),
                                actions: &nextActions, logProbabilities: &nextLogProbabilities)
        targets.resize(rows: n, columns: 1)
        for i in targetCritics.indices {
            let q = targetCritics[i].forward(states: nextStates, actions: nextActions)
            q.withUnsafeBufferPointer { qv in
                targets.withUnsafeMutableBufferPointer { y in
                    for r in 0..<n { y[r] = i == 0 ? qv[r] : min(y[r], qv[r]) }
                }
            }
        }
        let alpha = temperature
        rewards.withUnsafeBufferPointer { rw in
            bootstrapDiscounts.withUnsafeBufferPointer { gd in
                nextLogProbabilities.withUnsafeBufferPointer { lp in
                    targets.withUnsafeMutableBufferPointer { y in
                        for r in 0..<n { y[r] = rw[r] + gd[r] * (y[r] - alpha * lp[r]) }
                    }
                }
            }
        }
    }
}
