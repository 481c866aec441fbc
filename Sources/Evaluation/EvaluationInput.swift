/// Logged decisions with the target's importance weights computed once, shared by every estimator of one target.
public struct EvaluationInput: Sendable {
    public let data: LoggedDecisions
    /// The target's weights, or nil when the data cannot give them (no target, or target densities without behaviour
    /// densities): estimators that need them then refuse, and the model-based ones still work.
    public let weights: ImportanceWeights?

    /// Computes the weights when the data has them; refuses invalid densities (`ImportanceWeights`).
    public init(_ data: LoggedDecisions) throws {
        self.data = data
        switch data.target {
        case nil:
            weights = nil
        case .logDensities?:
            weights = data.behaviourLogDensities == nil ? nil : try ImportanceWeights(data)
        case .logWeights?:
            weights = try ImportanceWeights(data)
        }
    }

    /// The weights, or the refusal naming `estimator`.
    func requireWeights(for estimator: String) throws -> ImportanceWeights {
        guard let weights else { throw EvaluationError.missingImportanceWeights(estimator: estimator) }
        return weights
    }

    /// The reward model, or the refusal naming `estimator`.
    func requireRewardModel(for estimator: String) throws -> LoggedDecisions.RewardModel {
        guard let model = data.rewardModel else { throw EvaluationError.missingRewardModel(estimator: estimator) }
        return model
    }
}
