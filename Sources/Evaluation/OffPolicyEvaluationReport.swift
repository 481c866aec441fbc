/// What `mtfsim evaluate` reports (`--json` prints it): the log and run, the estimand, per target policy its
/// estimates with intervals and weight diagnostics (and the truth and errors with `--truth`), and, with several
/// targets and the truth, off-policy selection per estimator.
public struct OffPolicyEvaluationReport: Sendable, Codable {
    /// One estimator's estimate for one target.
    public struct EstimateEntry: Sendable, Codable {
        public var estimator: String
        public var value: Double
        /// The interval (`interval`, at `level`).
        public var lower: Double
        public var upper: Double
        /// Diagnostics of its weights (nil for DM): ESS, ESS/n, the largest weight, quantiles, the ESS/n < 5% warning.
        public var diagnostics: WeightDiagnostics?
        /// Estimate − truth, with `--truth`.
        public var error: Double?
        /// Whether the interval holds the truth, with `--truth`.
        public var covers: Bool?
    }

    /// An estimator that could not estimate for this target, and why (one line).
    public struct Refusal: Sendable, Codable, Equatable {
        public var estimator: String
        public var reason: String
    }

    /// The kernel that smooths a deterministic target.
    public struct Smoothing: Sendable, Codable {
        public var kernel: KernelSmoothing.Kernel
        /// h per action dimension, normalised units (the box is 2 wide).
        public var bandwidths: [Double]
        /// "Scott's rule" or "set by hand".
        public var rule: String
    }

    /// One target policy's results.
    public struct PolicyEntry: Sendable, Codable {
        /// The policy's spec as resolved (a checkpoint's path as given).
        public var policy: String
        public var kind: TargetPolicy.Kind
        public var smoothing: Smoothing?
        public var estimates: [EstimateEntry]
        public var refusals: [Refusal]
        /// The on-policy value, with `--truth`.
        public var truth: OnPolicyTruth?
    }

    /// How the truth was simulated.
    public struct TruthSettings: Sendable, Codable {
        /// Fresh sessions per target (`--truth N`); nil with replicates of the logged episodes.
        public var sessions: Int?
        /// The simulation seed (the log's seed + 1 unless set): fresh sessions, not the log's.
        public var seed: UInt64
        /// The logged world's seed.
        public var worldSeed: UInt64
        public var users: String
        /// Runs of the log's complete episodes per target (seeds `seed`, `seed + 1`, …), with `--truth-replicates`;
        /// above 1 the interval is over them.
        public var replicates: Int?
    }

    public var log: String
    public var run: Int
    public var environment: String
    public var behaviourPolicy: String
    /// Whether the run has behaviour densities (a stochastic logging policy).
    public var behaviourDensities: Bool
    /// Why not, when it has none.
    public var behaviourNote: String?
    public var estimand: Estimand
    /// γ per request and the half-life in hours, for the discounted estimand.
    public var discount: Float?
    public var discountHalfLifeHours: Float?
    /// Logged steps and complete episodes evaluated on; incomplete episodes left out.
    public var steps: Int
    public var episodes: Int
    public var incompleteEpisodes: Int
    /// User-days of each complete episode (the horizon).
    public var userDaysPerEpisode: Double
    /// The reward model of the per-request model-based estimators, when fitted.
    public var rewardModel: String?
    /// How each sequential value model selected (FQE, conservative FQE) was fitted.
    public var valueModels: [String]
    /// "t", "bootstrap" or "bernstein".
    public var interval: String
    public var level: Double
    public var bootstrapResamples: Int?
    public var seed: UInt64
    public var policies: [PolicyEntry]
    public var truth: TruthSettings?
    /// Per estimator with an estimate for every target, with `--truth` and at least two targets.
    public var selection: [OffPolicySelection]
    public var notes: [String]
}
