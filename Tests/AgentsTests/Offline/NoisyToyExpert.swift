import Agents
import Numerics
import Simulator

/// A synthetic offline dataset whose best action is known: `ToyTask` episodes logged by a noisy expert that plays
/// the optimal action `a*(s) = (0.3 + 0.5·x0, 0.5·(x1 − x0))` plus independent N(0, σ²) noise per dimension, clipped
/// to the normalised box. Rewards `1 − ‖a − a*(s)‖²` are highest at `a*`, so the behaviour's return is about
/// `H·(1 − 2σ²)` (a little more where clipping pulls an action back towards `a*`), below the optimal `H = 5`.
enum NoisyToyExpert {
    /// `lanes × steps` transitions from parallel episodes.
    static func dataset(sigma: Float, lanes: Int = 64, steps: Int = 80, seed: UInt64) -> OfflineDataset {
        var environment = ToyBatchEnvironment(lanes: lanes, seed: seed)
        var stream = RandomStream(seed: seed, keys: streamKey("noisy-toy-expert"))
        var data = OfflineDataset(environment: ToyTask.environment, capacity: lanes * steps)
        let space = ToyTask.actionSpace
        var raw = Matrix(rows: lanes, columns: 2)
        for _ in 0..<steps {
            for r in 0..<lanes {
                let (t0, t1) = ToyTask.optimalAction(x0: environment.states[r, 0], x1: environment.states[r, 1])
                for (j, target) in [t0, t1].enumerated() {
                    let action = min(max(target + sigma * stream.normalFloat(), -1), 1)
                    raw[r, j] = space.denormalize(action, dimension: j)
                }
            }
            data.append(environment.step(rawActions: raw))
        }
        return data
    }

    /// The behaviour's return estimated from the data: the mean logged reward times the horizon.
    static func behaviourReturn(_ data: OfflineDataset) -> Double {
        data.rewardStatistics.mean * Double(ToyTask.horizon)
    }

    /// Root mean squared distance, over dimensions and `count` fresh states, between the policy's deterministic
    /// normalised action and `a*(s)`.
    static func distanceToExpert(_ policy: ActorPolicy, count: Int = 500, seed: UInt64 = 4242) -> Double {
        var stream = RandomStream(seed: seed, keys: streamKey("noisy-toy-expert.states"))
        let states = Matrix(rows: count, columns: 3) { _, j in
            j == 2 ? Float(Int(stream.nextUniform() * 5)) / 5 : Float(2 * stream.nextUniform() - 1)
        }
        let actions = policy.normalizedActions(states: states)
        var total = 0.0
        for r in 0..<count {
            let (t0, t1) = ToyTask.optimalAction(x0: states[r, 0], x1: states[r, 1])
            total += Double((actions[r, 0] - t0) * (actions[r, 0] - t0) + (actions[r, 1] - t1) * (actions[r, 1] - t1))
        }
        return (total / Double(2 * count)).squareRoot()
    }

    /// The settings of the learning tests: small networks and batches so that a debug build trains in seconds.
    static func settings() -> ActorCriticConfiguration {
        var c = ActorCriticConfiguration()
        c.hiddenSizes = [64, 64]
        c.batchSize = 64
        c.actorLearningRate = 1e-3
        c.criticLearningRate = 1e-3
        c.targetUpdateRate = 0.01
        return c
    }
}
