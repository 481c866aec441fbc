import Evaluation
import Numerics
import Testing
import TestSupport

/// The sequential estimators against their papers' formulas written out plainly here: episodes padded to the
/// longest with reward 0 and a constant weight, weights multiplied directly (no log space, no rescaling).
@Suite("Sequential formulas")
struct SequentialFormulaTests {
    struct Padded {
        /// ρ_{i,t}, d_{i,t} r_{i,t}, d_{i,t} q̂_{i,t}, d_{i,t} v̂_{i,t} for t < T (zero rewards and model after the end).
        var rho: [[Double]], reward: [[Double]], q: [[Double]], v: [[Double]]
        var m: Int { rho.count }
        var horizon: Int { rho[0].count }
    }

    static func padded(_ data: LoggedDecisions) -> Padded {
        guard case .logDensities(let target)? = data.target else { fatalError("test data has target densities") }
        let horizon = data.longestEpisode, m = data.episodes
        var p = Padded(rho: .init(repeating: .init(repeating: 0, count: horizon), count: m),
                       reward: .init(repeating: .init(repeating: 0, count: horizon), count: m),
                       q: .init(repeating: .init(repeating: 0, count: horizon), count: m),
                       v: .init(repeating: .init(repeating: 0, count: horizon), count: m))
        for e in 0..<m {
            var rho = 1.0
            for t in 0..<horizon {
                let index = data.episodeOffsets[e] + t
                if index < data.episodeOffsets[e + 1] {
                    rho *= Elementary.exp(target[index]) / Elementary.exp(data.behaviourLogDensities![index])
                    let d = data.discounts[index]
                    p.reward[e][t] = d * data.rewards[index]
                    p.q[e][t] = d * data.rewardModel!.loggedActionValues[index]
                    p.v[e][t] = d * data.rewardModel!.targetValues[index]
                }
                p.rho[e][t] = rho
            }
        }
        return p
    }

    @Test func matchTheWrittenOutFormulas() throws {
        let data = try EpisodeStatisticTests.data(episodes: 9, seed: 41)
        let input = try EvaluationInput(data)
        let p = Self.padded(data)
        let m = Double(p.m)
        func value(_ estimator: some Estimator) throws -> Double { try estimator.estimate(input, estimand: .discountedReturn).value }

        // Trajectory IS: (1/m) Σ_i ρ_{i,T−1} Σ_t d r.
        let trajectory = (0..<p.m).reduce(0.0) { $0 + p.rho[$1][p.horizon - 1] * p.reward[$1].reduce(0, +) } / m
        assertClose(try value(TrajectoryImportanceSampling()), trajectory, relative: 1e-12)
        // PDIS: (1/m) Σ_i Σ_t ρ_{i,t} d r.
        var pdis = 0.0, dr = 0.0
        for i in 0..<p.m {
            for t in 0..<p.horizon {
                pdis += p.rho[i][t] * p.reward[i][t] / m
                let previous = t == 0 ? 1 : p.rho[i][t - 1]
                dr += (p.rho[i][t] * (p.reward[i][t] - p.q[i][t]) + previous * p.v[i][t]) / m
            }
        }
        assertClose(try value(PerDecisionImportanceSampling()), pdis, relative: 1e-12)
        assertClose(try value(PerDecisionDoublyRobust()), dr, relative: 1e-12)
        // WPDIS: Σ_t Σ_i ρ_{i,t} d r / Σ_i ρ_{i,t}; WDR (Thomas & Brunskill 2016):
        // Σ_t Σ_i [w_{i,t} d (r − q̂) + w_{i,t−1} d v̂], w_{i,t} = ρ_{i,t} / Σ_j ρ_{j,t}, w_{i,−1} = 1/m.
        var wpdis = 0.0, wdr = 0.0
        for t in 0..<p.horizon {
            let total = (0..<p.m).reduce(0.0) { $0 + p.rho[$1][t] }
            let previousTotal = t == 0 ? m : (0..<p.m).reduce(0.0) { $0 + p.rho[$1][t - 1] }
            for i in 0..<p.m {
                let w = p.rho[i][t] / total, previous = (t == 0 ? 1 : p.rho[i][t - 1]) / previousTotal
                wpdis += w * p.reward[i][t]
                wdr += w * (p.reward[i][t] - p.q[i][t]) + previous * p.v[i][t]
            }
        }
        assertClose(try value(WeightedPerDecisionImportanceSampling()), wpdis, relative: 1e-12)
        assertClose(try value(WeightedDoublyRobust()), wdr, relative: 1e-12)
    }
}
