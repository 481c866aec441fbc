import Numerics

/// The importance weights of a target policy on logged steps, computed in log space:
/// log w_t = log π_e(a_t | s_t) − log π_b(a_t | s_t), w_t = exp(log w_t), and within each episode the cumulative
/// (per-decision) log-weights log ρ_{0:t} = Σ_{u ≤ t} log w_u (Precup, Sutton & Singh 2000).
///
/// Refusals, each naming the step: a behaviour log-density that is −∞ (the behaviour policy could not have taken the
/// logged action, so the log and the density disagree), +∞ or NaN; a target log-density (or log-weight) that is NaN
/// or +∞; a per-step weight above the largest `Double`. A target log-density of −∞ (the target never takes the
/// logged action) gives weight 0. Cumulative weights may exceed the `Double` range over long episodes; they stay in
/// log space here, and only estimators that need them unnormalised refuse (self-normalised ones rescale).
public struct ImportanceWeights: Sendable {
    /// log w_t per step (−∞ where the target cannot take the logged action).
    public let logWeights: [Double]
    /// w_t = exp(log w_t) per step, finite.
    public let weights: [Double]
    /// log ρ_{0:t} = Σ_{u ≤ t} log w_u within each step's episode.
    public let cumulativeLogWeights: [Double]

    public init(_ data: LoggedDecisions) throws {
        guard let target = data.target else { throw EvaluationError.missingImportanceWeights(estimator: "ImportanceWeights") }
        let n = data.steps
        var logWeights = [Double](repeating: 0, count: n)
        switch target {
        case .logWeights(let given):
            for t in 0..<n {
                let l = given[t]
                guard !l.isNaN && l != .infinity else { throw EvaluationError.invalidTargetDensity(data.location(ofStep: t), l) }
                logWeights[t] = l
            }
        case .logDensities(let targetDensities):
            guard let behaviour = data.behaviourLogDensities else {
                throw EvaluationError.missingImportanceWeights(estimator: "ImportanceWeights")
            }
            for t in 0..<n {
                let b = behaviour[t], e = targetDensities[t]
                guard b.isFinite else { throw EvaluationError.invalidBehaviourDensity(data.location(ofStep: t), b) }
                guard !e.isNaN && e != .infinity else { throw EvaluationError.invalidTargetDensity(data.location(ofStep: t), e) }
                logWeights[t] = e - b
            }
        }
        var weights = [Double](repeating: 0, count: n)
        var cumulative = [Double](repeating: 0, count: n)
        for e in 0..<data.episodes {
            var sum = 0.0
            for t in data.range(ofEpisode: e) {
                let w = Elementary.exp(logWeights[t])
                guard w.isFinite else { throw EvaluationError.weightOverflow(data.location(ofStep: t), logWeight: logWeights[t]) }
                weights[t] = w
                sum += logWeights[t]
                cumulative[t] = sum
            }
        }
        self.logWeights = logWeights
        self.weights = weights
        self.cumulativeLogWeights = cumulative
    }

    /// log ρ of each whole episode (the trajectory weight's logarithm): the cumulative log-weight at its last step.
    public func trajectoryLogWeights(_ data: LoggedDecisions) -> [Double] {
        (0..<data.episodes).map { cumulativeLogWeights[data.episodeOffsets[$0 + 1] - 1] }
    }
}
