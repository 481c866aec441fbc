import Evaluation
import Numerics

/// Synthetic worlds with a known target value, for the estimators' unbiasedness and interval tests.
enum Synthetic {
    static let logRootTwoPi = 0.918_938_533_204_672_8

    /// log N(x; μ, σ²).
    static func logNormalDensity(_ x: Double, mean: Double, sigma: Double) -> Double {
        let z = (x - mean) / sigma
        return -0.5 * z * z - logRootTwoPi - Elementary.log(sigma)
    }

    /// A one-step contextual bandit with a continuous action: s ∼ U(0, 1), behaviour a ∼ N(0.5, 0.5²), target
    /// a ∼ N(s/2, 0.3²), reward r = s + a − a²/2 + N(0, 0.1²). The target's value is
    /// E[s] + E[s/2] − (E[s²/4] + 0.09)/2 = 0.5 + 0.25 − (1/12 + 0.09)/2.
    enum Bandit {
        static let behaviourMean = 0.5, behaviourSigma = 0.5, targetSigma = 0.3
        static let truth = 0.75 - (1.0 / 12 + 0.09) / 2
        /// The reward model's deliberate bias: DR must stay unbiased, DM is off by this much.
        static let modelBias = 0.2

        static func meanReward(_ s: Double, _ a: Double) -> Double { s + a - a * a / 2 }
        /// E_{a∼π_e(·|s)} of the mean reward.
        static func targetMeanReward(_ s: Double) -> Double { 1.5 * s - (s * s / 4 + targetSigma * targetSigma) / 2 }

        /// `steps` logged steps in episodes of `episodeLength`, with a biased reward model.
        static func data(steps: Int, episodeLength: Int, seed: UInt64) throws -> LoggedDecisions {
            var stream = RandomStream(seed: seed)
            var rewards = [Double](), behaviour = [Double](), target = [Double](), q = [Double](), v = [Double]()
            for _ in 0..<steps {
                let s = stream.nextUniform()
                let a = stream.normal(mean: behaviourMean, standardDeviation: behaviourSigma)
                rewards.append(meanReward(s, a) + stream.normal(mean: 0, standardDeviation: 0.1))
                behaviour.append(logNormalDensity(a, mean: behaviourMean, sigma: behaviourSigma))
                target.append(logNormalDensity(a, mean: s / 2, sigma: targetSigma))
                q.append(meanReward(s, a) + modelBias)
                v.append(targetMeanReward(s) + modelBias)
            }
            return try LoggedDecisions(
                rewards: rewards, episodeOffsets: Array(stride(from: 0, through: steps, by: episodeLength)),
                behaviourLogDensities: behaviour, target: .logDensities(target),
                rewardModel: .init(loggedActionValues: q, targetValues: v))
        }
    }

    /// A small MDP with two states and two actions, random episode lengths and per-request discounting γ = 0.9:
    /// x₀ ∼ Bernoulli(½); reward r = x + a/2 + N(0, 0.2²); x' = a with probability 0.8; after each decision the
    /// episode ends with probability 0.1, and always after `horizon` decisions. Behaviour π_b(1|x) = ½; target
    /// π_e(1|0) = 0.7, π_e(1|1) = 0.4. Q and V of the target by backward induction, in each step's own units.
    enum Chain {
        static let horizon = 5, gamma = 0.9, continuation = 0.9, stay = 0.8, noise = 0.2
        static func targetProbability(_ x: Int) -> Double { x == 0 ? 0.7 : 0.4 }
        static func meanReward(_ x: Int, _ a: Int) -> Double { Double(x) + Double(a) / 2 }

        /// Q_t(x, a) for t in 0..<horizon.
        static let q: [[[Double]]] = {
            var q = [[[Double]]](repeating: [[0, 0], [0, 0]], count: horizon)
            var nextV = [0.0, 0.0]
            for t in stride(from: horizon - 1, through: 0, by: -1) {
                for x in 0..<2 {
                    for a in 0..<2 {
                        let future = t == horizon - 1 ? 0 : continuation * (stay * nextV[a] + (1 - stay) * nextV[1 - a])
                        q[t][x][a] = meanReward(x, a) + gamma * future
                    }
                }
                nextV = (0..<2).map { x in (1 - targetProbability(x)) * q[t][x][0] + targetProbability(x) * q[t][x][1] }
            }
            return q
        }()

        static func v(_ t: Int, _ x: Int) -> Double {
            (1 - targetProbability(x)) * q[t][x][0] + targetProbability(x) * q[t][x][1]
        }

        /// The target's expected discounted return.
        static let truth = 0.5 * v(0, 0) + 0.5 * v(0, 1)

        /// `episodes` episodes logged under `behaviour(x)` = π_b(1|x), with the exact Q̂ (or none).
        static func data(episodes: Int, seed: UInt64, exactModel: Bool = true,
                         behaviour: (Int) -> Double = { _ in 0.5 }) throws -> LoggedDecisions {
            var stream = RandomStream(seed: seed)
            var rewards = [Double](), discounts = [Double](), behaviourDensities = [Double](), target = [Double]()
            var q = [Double](), v = [Double](), offsets = [0]
            for _ in 0..<episodes {
                var x = stream.bernoulli(0.5) ? 1 : 0
                for t in 0..<horizon {
                    let a = stream.bernoulli(behaviour(x)) ? 1 : 0
                    rewards.append(meanReward(x, a) + stream.normal(mean: 0, standardDeviation: noise))
                    discounts.append(Elementary.pow(gamma, Double(t)))
                    behaviourDensities.append(Elementary.log(a == 1 ? behaviour(x) : 1 - behaviour(x)))
                    target.append(Elementary.log(a == 1 ? targetProbability(x) : 1 - targetProbability(x)))
                    q.append(Self.q[t][x][a])
                    v.append(Self.v(t, x))
                    x = stream.bernoulli(stay) ? a : 1 - a
                    if !stream.bernoulli(continuation) { break }
                }
                offsets.append(rewards.count)
            }
            return try LoggedDecisions(
                rewards: rewards, discounts: discounts, episodeOffsets: offsets, behaviourLogDensities: behaviourDensities,
                target: .logDensities(target), rewardModel: exactModel ? .init(loggedActionValues: q, targetValues: v) : nil,
                userDays: [Double](repeating: 7, count: episodes))
        }
    }
}

/// Mean and standard error of `values`.
func meanAndStandardError(_ values: [Double]) -> (mean: Double, standardError: Double) {
    let statistics = RunningStatistics(values)
    return (statistics.mean, statistics.standardError)
}
