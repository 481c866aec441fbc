/// Logged decisions with the target's importance weights computed once, shared by every estimator of one target.
public struct EvaluationInput: Sendable {
    public let data: LoggedDecisions
    /// The target's weights, or nil when the data cannot give them (no target, or target densities without behaviour
    /// densities): estimators that need them then refuse, and the model-based ones still work.
    public let weights: ImportanceWeights?
    /// The diagnostics of the per-step weights w_t and of the trajectory weights ρ, once for every estimator that
    /// reports them (nil without weights).
    public let perStepDiagnostics: WeightDiagnostics?
    public let trajectoryDiagnostics: WeightDiagnostics?

    /// Computes the weights when the data has them, and their diagnostics; refuses invalid densities
    /// (`ImportanceWeights`).
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
        perStepDiagnostics = weights.map { WeightDiagnostics(logWeights: $0.logWeights) }
        trajectoryDiagnostics = weights.map { WeightDiagnostics(logWeights: $0.trajectoryLogWeights(data)) }
    }

    /// The diagnostics of the weights of `scope`.
    func diagnostics(_ scope: WeightScope) -> WeightDiagnostics? {
        switch scope {
        case .perStep: perStepDiagnostics
        case .trajectory: trajectoryDiagnostics
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
