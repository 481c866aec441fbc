/// `mtfsim evaluate-bandit` as a library call: the per-request estimators (obp 0.5.7's definitions) on logged bandit
/// feedback from elsewhere, read from CSV files (`BanditFeedback`, `BanditPolicy`, a reward model from a file or
/// `TabularRewardModel`), with intervals over rounds and the weights' diagnostics.
public struct BanditEvaluation: Sendable {
    /// Where q̂(x, a, position) comes from.
    public enum RewardModelSource: Sendable, Equatable {
        /// None: DM and the DR family are refused, the importance-weighted estimators run.
        case none
        /// `TabularRewardModel`, fitted on the logged rows.
        case tabular
        /// A file of `round, action, position, estimate` rows.
        case file(String)
    }

    /// What to evaluate and how.
    public struct Settings: Sendable {
        /// The logged rows' file.
        public var logged: String
        /// The evaluation policy's file.
        public var policy: String
        public var rewardModel: RewardModelSource = .none
        /// Estimator names, `name` or `name:λ` (`EstimatorCatalog`'s per-request ones); nil: all nine, and one that
        /// cannot estimate (no reward model) is reported as refused instead of failing the evaluation.
        public var estimators: [String]?
        public var interval: OffPolicyEvaluation.IntervalKind = .t
        public var level = 0.95
        public var bootstrapResamples = 1000
        /// Seed of the bootstrap.
        public var seed: UInt64 = 1

        public init(logged: String, policy: String) {
            self.logged = logged
            self.policy = policy
        }
    }

    public var settings: Settings

    public init(settings: Settings) { self.settings = settings }

    /// Reads the files and runs the estimators. Refusals: a `CSVError` (file, line, column) for malformed input, an
    /// `OffPolicyEvaluationError` for settings and for an estimator named in `estimators` that cannot estimate.
    public func run() throws -> BanditEvaluationReport {
        let s = settings
        guard s.level > 0 && s.level < 1 else { throw OffPolicyEvaluationError.invalidSetting("the interval level must lie in (0, 1), got \(s.level)") }
        guard s.bootstrapResamples > 0 else { throw OffPolicyEvaluationError.invalidSetting("--bootstrap must be positive, got \(s.bootstrapResamples)") }
        let explicit = s.estimators != nil
        let names = s.estimators ?? EstimatorCatalog.defaults(for: .perRequestReward)
        let entries = try names.map { name throws(OffPolicyEvaluationError) in try EstimatorCatalog.entry(name) }
        guard !entries.isEmpty else { throw OffPolicyEvaluationError.invalidSetting("no estimator named") }
        for entry in entries where !entry.estimator.supportedEstimands.contains(.perRequestReward) {
            throw OffPolicyEvaluationError.invalidSetting("\(entry.estimator.name) is a sequential estimator; logged bandit feedback "
                                                          + "has one decision per row, so only the per-request estimators apply")
        }

        let feedback = try BanditFeedback.read(path: s.logged)
        let policy = try BanditPolicy.read(path: s.policy)
        let model: (any BanditRewardEstimates)?
        switch s.rewardModel {
        case .none: model = nil
        case .tabular: model = TabularRewardModel(feedback, actions: policy.actionSet)
        case .file(let path): model = try RewardModelEstimates.read(path: path, actions: policy.actionSet, policyFile: policy.file)
        }
        let input = try EvaluationInput(try feedback.decisions(policy: policy, rewardModel: model))

        var estimates: [OffPolicyEvaluationReport.EstimateEntry] = []
        var refusals: [OffPolicyEvaluationReport.Refusal] = []
        for entry in entries {
            let name = entry.estimator.name
            do {
                if entry.needsRewardModel && model == nil {
                    throw OffPolicyEvaluationError.estimatorRefused(
                        estimator: name, policy: policy.file,
                        reason: "needs a reward model q̂(x, a, position): give --reward-model FILE or --reward-model tabular")
                }
                let estimate = try entry.estimator.estimate(input, estimand: .perRequestReward)
                let interval = try estimate.interval(s.interval, level: s.level, resamples: s.bootstrapResamples, seed: s.seed)
                estimates.append(.init(estimator: name, value: estimate.value, lower: interval.lower, upper: interval.upper,
                                       diagnostics: estimate.diagnostics, error: nil, covers: nil))
            } catch {
                let reason = try OffPolicyEvaluationError.refusal(of: error, estimator: name, policy: policy.file, explicit: explicit)
                refusals.append(.init(estimator: name, reason: reason))
            }
        }
        let rewards = feedback.rows.map(\.reward)
        return BanditEvaluationReport(
            logged: s.logged, policy: s.policy, policyForm: policy.form, rewardModel: model?.source,
            rows: feedback.rows.count, rounds: feedback.rounds, actions: policy.actionSet.count, positions: feedback.positions,
            contextColumns: feedback.contextColumns, loggedMeanReward: rewards.reduce(0, +) / Double(rewards.count),
            interval: s.interval.rawValue, level: s.level, bootstrapResamples: s.interval == .bootstrap ? s.bootstrapResamples : nil,
            seed: s.seed, estimates: estimates, refusals: refusals)
    }
}

/// What `mtfsim evaluate-bandit` reports (`--json` prints it): the files, their sizes, and each estimator's
/// per-request estimate with its interval over rounds and its weights' diagnostics, or why it was refused.
public struct BanditEvaluationReport: Sendable, Codable {
    public var logged: String
    public var policy: String
    public var policyForm: BanditPolicy.Form
    /// The reward model's description, nil without one.
    public var rewardModel: String?
    /// Logged rows (steps), rounds (the units of intervals), actions the policy lists, logged positions.
    public var rows: Int
    public var rounds: Int
    public var actions: Int
    public var positions: [Int]
    /// Context columns of the logged file: checked as numbers, used by no built-in estimator.
    public var contextColumns: [String]
    /// The behaviour policy's own value: the mean logged reward.
    public var loggedMeanReward: Double
    /// "t", "bootstrap" or "bernstein".
    public var interval: String
    public var level: Double
    public var bootstrapResamples: Int?
    public var seed: UInt64
    public var estimates: [OffPolicyEvaluationReport.EstimateEntry]
    public var refusals: [OffPolicyEvaluationReport.Refusal]
}
