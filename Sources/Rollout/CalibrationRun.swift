import Simulator

extension Calibration {
    /// A run under a logging-like policy beside the environment's calibration targets (`mtfsim calibrate`).
    public struct Report: Codable, Sendable {
        public var environment: String
        public var seed: UInt64
        public var policy: String
        /// Sessions simulated (not part of the JSON form).
        public var sessions: Int = 0
        public var impressions: Int
        /// Every target of the environment, in the file's order.
        public var rows: [CalibrationRow]

        /// Whether every target is within its tolerance.
        public var withinTolerance: Bool { rows.allSatisfy(\.withinTolerance) }

        enum CodingKeys: String, CodingKey { case environment, seed, policy, impressions, rows }
    }

    /// Simulates `sessions` sessions of `world` under `policy` with the oracle-noise ranker (keeping up to
    /// `impressionSampleLimit` shown impressions for the ranker AUCs) and compares the summary with the
    /// environment's targets (see `compare`). `progress` gets the sessions done.
    public static func run(world: World, policy: any FusionPolicy, seed: UInt64, sessions: Int, threads: Int,
                           impressionSampleLimit: Int = 2_000_000,
                           progress: (@Sendable (Int) -> Void)? = nil) -> Report {
        let ranker = OracleNoiseRanker(config: world.config)
        let output = Simulation(world: world, ranker: ranker, policy: policy, seed: seed).run(
            .init(sessions: sessions, threads: threads, impressionSampleLimit: impressionSampleLimit, progress: progress))
        let summary = SimulationSummary(sessions: output.sessions, config: world.config)
        return Report(environment: world.config.name, seed: seed, policy: policy.spec, sessions: summary.sessions,
                      impressions: summary.impressions,
                      rows: compare(summary: summary, samples: output.impressionSamples, config: world.config))
    }
}
