import EpisodeLog
import Numerics

/// The TD target of DDPG and TD3 (Fujimoto et al. 2018, Algorithm 1 and eq. 15):
///
///     ã' = clip(π'(s') + clip(ε, −c, c), −1, 1)        ε ~ N(0, σ̃²)   (target policy smoothing)
///     y  = r + γ (1 − d) min_i Q'_i(s', ã')                           (clipped double Q)
///
/// With one target critic and no noise this is DDPG's target `y = r + γ(1 − d) Q'(s', π'(s'))`
/// (Lillicrap et al. 2016, Algorithm 1). Actions are in the normalised box, so the outer clip is
/// to [−1, 1]; `bootstrapDiscounts` holds `γ_i (1 − d)` per transition (`Discounting`: a constant γ, or one that
/// depends on the time the transition took), with `d` = 0 for truncated transitions.
public enum ClippedDoubleQTarget {
    /// Writes `y` (`batch × 1`) into `targets`, using `nextActions` as scratch (it holds `ã'` afterwards).
    ///
    /// - Parameters:
    ///   - smoothingNoise: `ε`, already scaled by σ̃ (`batch × actionDimension`), or `nil` for none.
    public static func compute(
        rewards: Matrix, bootstrapDiscounts: Matrix, nextStates: Matrix,
        targetActor: inout ActorNetwork, targetCritics: inout [Critic],
        smoothingNoise: Matrix?, noiseClip: Float,
        nextActions: inout Matrix, into targets: inout Matrix
    ) {
        precondition(targetActor.head == .deterministic, "ClippedDoubleQTarget: the target actor must be deterministic")
        precondition(!targetCritics.isEmpty, "ClippedDoubleQTarget: need at least one target critic")
        let n = nextStates.rows
        precondition(rewards.rows == n && bootstrapDiscounts.rows == n,
                     "ClippedDoubleQTarget: \(rewards.rows) rewards, \(bootstrapDiscounts.rows) discounts, \(n) states")
        let policyActions = targetActor.forward(nextStates)
        nextActions.resize(rows: n, columns: policyActions.columns)
        policyActions.withUnsafeBufferPointer { p in
            nextActions.withUnsafeMutableBufferPointer { x in
                for k in 0..<x.count { x[k] = p[k] }
            }
        }
        if let noise = smoothingNoise {
            precondition(noise.rows == n && noise.columns == nextActions.columns, "ClippedDoubleQTarget: noise shape")
            let c = noiseClip
            noise.withUnsafeBufferPointer { e in
                nextActions.withUnsafeMutableBufferPointer { x in
                    for k in 0..<x.count { x[k] = min(max(x[k] + min(max(e[k], -c), c), -1), 1) }
                }
            }
        }
        targets.resize(rows: n, columns: 1)
        for i in targetCritics.indices {
            let q = targetCritics[i].forward(states: nextStates, actions: nextActions)
            q.withUnsafeBufferPointer { qv in
                targets.withUnsafeMutableBufferPointer { y in
                    for r in 0..<n { y[r] = i == 0 ? qv[r] : min(y[r], qv[r]) }
                }
            }
        }
        rewards.withUnsafeBufferPointer { rw in
            bootstrapDiscounts.withUnsafeBufferPointer { gd in
                targets.withUnsafeMutableBufferPointer { y in
                    for r in 0..<n { y[r] = rw[r] + gd[r] * y[r] }
                }
            }
        }
    }
}
