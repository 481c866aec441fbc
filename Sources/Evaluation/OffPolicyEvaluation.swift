import EpisodeLog
import Foundation
import Numerics
import Rollout
import Simulator

/// `mtfsim evaluate` as a library call: target policies evaluated from one run of an episode log alone, with the
/// simulator's on-policy truth beside the estimates when asked.
///
/// Steps: the run is read in one snapshot (`EpisodeLogDecisions`); each target is resolved in the logged world
/// (`TargetPolicy`); its log-densities on the logged steps give the weights (a deterministic target's through the
/// kernel of `KernelSmoothing`, bandwidth by Scott's rule or by hand); for the per-request model-based estimators a
/// cross-fitted ridge reward model gives q̂ at the logged actions and v̂ under the target
/// (`CrossFittedRewardModel`); every estimator gives its estimate, interval and weight diagnostics. With
/// `truthSessions`, each target runs on-policy in the logged world (`OnPolicyTruth`: fresh sessions of the same users,
/// common random numbers across targets), and, with several targets, each estimator's off-policy selection is scored
/// (`OffPolicySelection`). The sequential model-based estimators (per-decision DR, WDR) and FQE's own estimates need a
/// `SequentialValueModel` (`valueModels`: plain FQE for fqe, sequential-dr and wdr, conservative FQE for
/// conservative-fqe; `FittedQValueModel` from the settings unless given), fitted only when one of them is selected,
/// once per target, and shared among them.
public struct OffPolicyEvaluation: Sendable {
    /// The interval reported with each estimate (all with episodes as units, `EpisodeIntervals`).
    public enum IntervalKind: String, Sendable, Codable, CaseIterable {
        /// Student-t on the per-episode terms (delta method for ratios).
        case t
        /// Percentile bootstrap over episodes, seeded.
        case bootstrap
        /// Empirical Bernstein (Thomas et al. 2015) with the observed range of the terms as their range.
        case bernstein
    }

    /// What to evaluate and how.
    public struct Settings: Sendable, Codable {
        public var log: String
        /// The run (nil: the log's only run).
        public var run: Int?
        /// Only the episodes numbered below this count (the first users' runs; nil: all).
        public var episodeLimit: Int?
        /// Target policies: specs or checkpoints.
        public var policies: [String]
        /// Estimator names (`EstimatorCatalog`); nil: every one that estimates the estimand, and an estimator that
        /// cannot estimate on this log or target is then reported as refused instead of failing the evaluation.
        public var estimators: [String]?
        public var estimand: Estimand = .rewardPerUserDay
        /// γ per request for the discounted estimand (default 0.95; 1 with a half-life).
        public var discount: Float?
        /// Also discount by time, 2^(−hours/H) (0: per request only).
        public var discountHalfLifeHours: Float = 0
        /// The kernel bandwidth of deterministic targets in normalised units, every dimension; nil: Scott's rule.
        public var bandwidth: Double?
        public var kernel: KernelSmoothing.Kernel = .gaussian
        public var interval: IntervalKind = .t
        public var level = 0.95
        public var bootstrapResamples = 1000
        /// Sessions of each target's on-policy run (nil: no truth).
        public var truthSessions: Int?
        /// The truth's simulation seed (nil: the log's seed + 1).
        public var truthSeed: UInt64?
        /// Instead of `truthSessions`: the log's complete episodes (its users) simulated again this many times
        /// (seeds truthSeed, truthSeed + 1, …), the truth on the logged users with its interval over the replicates
        /// (`OnPolicyTruth.replicated`).
        public var truthReplicates: Int?
        /// Seed of the bootstrap and of the target actions sampled for v̂.
        public var seed: UInt64 = 1
        /// Worker threads: of the truth's simulation, and of the reward model's fit and values and the target's
        /// action moments (results do not depend on it).
        public var threads = 1
        /// Target actions sampled per step for v̂.
        public var targetActionSamples = 16
        public var rewardModelFolds = CrossFittedRewardModel.defaultFolds
        /// Without an estimator list, also run fqe, sequential-dr and wdr (`EstimatorCatalog.defaults`).
        public var withFQE = false
        /// FQE's settings (`--fqe-steps`, `--fqe-hidden`, `--fqe-alpha`); seeded by `seed`.
        public var fqe = FittedQValueModel.Settings()

        public init(log: String, policies: [String]) {
            self.log = log
            self.policies = policies
        }

        /// The discounting of the discounted estimand; nil for the others.
        public var discounting: Discounting? {
            guard estimand == .discountedReturn else { return nil }
            let halfLife: Float? = discountHalfLifeHours > 0 ? discountHalfLifeHours : nil
            return Discounting(perDecision: discount ?? (halfLife == nil ? 0.95 : 1), halfLifeHours: halfLife)
        }

        /// Refuses settings out of range, with one line.
        func validate() throws(OffPolicyEvaluationError) {
            guard !policies.isEmpty else { throw .invalidSetting("give at least one target policy (--policy)") }
            if let g = discount, !(g >= 0 && g <= 1) { throw .invalidSetting("--discount must lie in [0, 1], got \(g)") }
            guard discountHalfLifeHours >= 0 && discountHalfLifeHours.isFinite else {
                throw .invalidSetting("--discount-half-life-hours must be ≥ 0, got \(discountHalfLifeHours)")
            }
            if let h = bandwidth, !(h > 0 && h.isFinite) { throw .invalidSetting("--bandwidth must be positive, got \(h)") }
            guard level > 0 && level < 1 else { throw .invalidSetting("the interval level must lie in (0, 1), got \(level)") }
            guard bootstrapResamples > 0 else { throw .invalidSetting("--bootstrap must be positive, got \(bootstrapResamples)") }
            if let n = truthSessions, n <= 0 { throw .invalidSetting("--truth must be positive, got \(n)") }
            if let e = episodeLimit, e <= 0 { throw .invalidSetting("--episodes must be positive, got \(e)") }
            if let r = truthReplicates, r <= 0 { throw .invalidSetting("--truth-replicates must be positive, got \(r)") }
            if truthSessions != nil && truthReplicates != nil {
                throw .invalidSetting("give --truth N (N fresh sessions) or --truth-replicates R (the logged users' episodes R times), not both")
            }
            guard threads > 0, targetActionSamples > 0, rewardModelFolds > 0 else {
                throw .invalidSetting("threads, target action samples and reward-model folds must be positive")
            }
            try fqe.validate()
            if withFQE && estimand == .perRequestReward {
                throw .invalidSetting("--with-fqe: FQE estimates returns (discounted, per-user-day), not per-request reward")
            }
        }
    }

    public var settings: Settings
    /// Q̂/V̂ for the sequential model-based estimators, per kind.
    public var valueModels: [EstimatorCatalog.ValueModelKind: any SequentialValueModel]

    /// An evaluation with `valueModels` (by default `FittedQValueModel`s from `settings.fqe` and `settings.seed`).
    public init(settings: Settings, valueModels: [EstimatorCatalog.ValueModelKind: any SequentialValueModel]? = nil) {
        self.settings = settings
        self.valueModels = valueModels ?? [
            .fqe: FittedQValueModel(settings: settings.fqe, conservative: false, seed: settings.seed),
            .conservativeFQE: FittedQValueModel(settings: settings.fqe, conservative: true, seed: settings.seed),
        ]
    }

    /// Runs the evaluation. `note` receives progress lines.
    public func run(note: ((String) -> Void)? = nil) throws -> OffPolicyEvaluationReport {
        let s = settings
        try s.validate()
        let explicit = s.estimators != nil
        let names = s.estimators ?? EstimatorCatalog.defaults(for: s.estimand, withFQE: s.withFQE)
        guard !names.isEmpty else { throw OffPolicyEvaluationError.invalidSetting("no estimator estimates \(s.estimand.rawValue)") }
        let entries = try names.map { name throws(OffPolicyEvaluationError) in try EstimatorCatalog.entry(name) }
        for entry in entries where !entry.estimator.supportedEstimands.contains(s.estimand) {
            throw OffPolicyEvaluationError.invalidSetting(EvaluationError.unsupportedEstimand(
                estimator: entry.estimator.name, estimand: s.estimand, supported: entry.estimator.supportedEstimands).description)
        }

        var data = try EpisodeLogDecisions.load(path: s.log, run: s.run, discounting: s.discounting, episodeLimit: s.episodeLimit)
        note?("read \(data.decisions.steps) steps in \(data.decisions.episodes) complete episodes of run \(data.run.id)")
        let world = try data.world()
        let targets = try s.policies.map { spec throws(OffPolicyEvaluationError) in
            try TargetPolicy.resolve(spec, world: world, runActionNames: data.run.metadata.actionNames)
        }

        let allKinds: [EstimatorCatalog.ValueModelKind] = [.fqe, .conservativeFQE]
        let valueModelKinds = allKinds.filter { kind in entries.contains { $0.valueModel == kind } }
        let needsWeights = entries.contains { $0.needsWeights }
        let needsRewardModel = entries.contains { $0.needsRewardModel }
        var rewardModel: CrossFittedRewardModel? = nil
        var loggedActionValues: [Double] = []
        if needsRewardModel {
            let model = try CrossFittedRewardModel(states: data.states, actions: data.actions, rewards: data.decisions.rewards,
                                                   episodeOffsets: data.decisions.episodeOffsets, runSpace: data.actionSpace,
                                                   folds: s.rewardModelFolds, threads: s.threads)
            loggedActionValues = model.loggedActionValues(states: data.states, actions: data.actions, runSpace: data.actionSpace,
                                                          threads: s.threads)
            rewardModel = model
            note?("fitted the reward model")
        }

        var policies: [OffPolicyEvaluationReport.PolicyEntry] = []
        for target in targets {
            var smoothing: KernelSmoothing? = nil
            var smoothingReport: OffPolicyEvaluationReport.Smoothing? = nil
            var smoothingFailure: String? = nil
            if target.kind == .deterministic && (needsWeights || needsRewardModel) {
                do {
                    if let h = s.bandwidth {
                        smoothing = try KernelSmoothing(kernel: s.kernel, bandwidths: [Double](repeating: h, count: data.actionSpace.dimension))
                    } else {
                        smoothing = try KernelSmoothing.scottsRule(kernel: s.kernel, loggedActions: data.actions,
                                                                   actionSpace: target.policy.actionSpace)
                    }
                    smoothingReport = .init(kernel: s.kernel, bandwidths: smoothing!.bandwidths,
                                            rule: s.bandwidth == nil ? "Scott's rule" : "set by hand")
                } catch {
                    smoothingFailure = "\(error)"
                }
            }
            var decisions = data.decisions
            var missingWeights: String? = nil
            if let why = data.missingBehaviourDensities {
                missingWeights = why
            } else if target.kind == .implicit {
                missingWeights = "the target states no density in closed form"
            } else if let failure = smoothingFailure {
                missingWeights = "the deterministic target's kernel: \(failure)"
            } else if needsWeights {
                decisions.target = .logDensities(try target.logDensities(states: data.states, actions: data.actions,
                                                                         smoothing: smoothing, threads: s.threads)!)
            }
            if let model = rewardModel {
                let moments = target.actionMoments(states: data.states, runSpace: data.actionSpace, smoothing: smoothing,
                                                   samples: s.targetActionSamples, seed: s.seed, threads: s.threads)
                decisions.rewardModel = .init(loggedActionValues: loggedActionValues,
                                              targetValues: model.targetValues(states: data.states, moments: moments,
                                                                               threads: s.threads))
            }
            var occupancyFailure: String? = nil
            if entries.contains(where: \.needsOccupancyWeights) {
                do {
                    decisions.occupancyWeights = try Self.occupancyWeights(target: target, data: data, estimand: s.estimand,
                                                                           samples: s.targetActionSamples, seed: s.seed)
                } catch {
                    occupancyFailure = "\(error)"
                }
            }
            let input = try EvaluationInput(decisions)
            // Each value model fitted once for this target, when first needed, its estimators' input (or refusal)
            // shared.
            var fitted: [EstimatorCatalog.ValueModelKind: Result<EvaluationInput, any Error>] = [:]
            func inputWithValues(_ kind: EstimatorCatalog.ValueModelKind) -> Result<EvaluationInput, any Error> {
                if let done = fitted[kind] { return done }
                let result = Result<EvaluationInput, any Error> {
                    guard let model = valueModels[kind] else {
                        throw OffPolicyEvaluationError.invalidSetting("no \(kind.rawValue) value model was given")
                    }
                    let started = Date()
                    let values = try model.values(target: target, data: data, estimand: s.estimand)
                    note?("fitted \(model.name) of \(target.name) in \(Int(Date().timeIntervalSince(started).rounded())) s")
                    var withValues = decisions
                    withValues.rewardModel = values
                    return try EvaluationInput(withValues)
                }
                fitted[kind] = result
                return result
            }
            var estimates: [OffPolicyEvaluationReport.EstimateEntry] = []
            var refusals: [OffPolicyEvaluationReport.Refusal] = []
            for entry in entries {
                let name = entry.estimator.name
                do {
                    if entry.needsWeights, input.weights == nil, let why = missingWeights {
                        throw OffPolicyEvaluationError.estimatorRefused(estimator: name, policy: target.name, reason: "\(name) weights by π_e/π_b, but \(why)")
                    }
                    if entry.needsOccupancyWeights, let why = occupancyFailure {
                        throw OffPolicyEvaluationError.estimatorRefused(estimator: name, policy: target.name, reason: why)
                    }
                    var estimate: Estimate
                    if let kind = entry.valueModel {
                        estimate = try entry.estimator.estimate(try inputWithValues(kind).get(), estimand: s.estimand)
                    } else {
                        estimate = try entry.estimator.estimate(input, estimand: s.estimand)
                    }
                    estimate.estimator = name
                    let interval = try self.interval(of: estimate)
                    estimates.append(.init(estimator: name, value: estimate.value, lower: interval.lower, upper: interval.upper,
                                           diagnostics: estimate.diagnostics, error: nil, covers: nil))
                } catch {
                    let reason = try OffPolicyEvaluationError.refusal(of: error, estimator: name, policy: target.name, explicit: explicit)
                    refusals.append(.init(estimator: name, reason: reason))
                }
            }
            policies.append(.init(policy: target.name, kind: target.kind, smoothing: smoothingReport, estimates: estimates,
                                  refusals: refusals, truth: nil))
            note?("estimated \(target.name)")
        }
        data.releaseFeatures()

        var notes: [String] = []
        var truthSettings: OffPolicyEvaluationReport.TruthSettings? = nil
        var selection: [OffPolicySelection] = []
        if s.truthSessions != nil || s.truthReplicates != nil {
            let users = data.users ?? .all
            if data.users == nil { notes.append("the logged episodes' users match no user pool; the truth runs all users") }
            let seed = s.truthSeed ?? data.run.metadata.seed &+ 1
            truthSettings = .init(sessions: s.truthSessions, seed: seed, worldSeed: data.run.metadata.seed, users: users.rawValue,
                                  replicates: s.truthReplicates)
            for (p, target) in targets.enumerated() {
                let truth: OnPolicyTruth
                if let sessions = s.truthSessions {
                    truth = try OnPolicyTruth.simulate(target: target, log: data, world: world, users: users, estimand: s.estimand,
                                                       sessions: sessions, seed: seed, threads: s.threads)
                } else {
                    truth = try OnPolicyTruth.replicated(target: target, log: data, world: world, users: users, estimand: s.estimand,
                                                         seed: seed, replicates: s.truthReplicates!, threads: s.threads, level: s.level)
                }
                policies[p].truth = truth
                for e in policies[p].estimates.indices {
                    let estimate = policies[p].estimates[e]
                    policies[p].estimates[e].error = estimate.value - truth.value
                    policies[p].estimates[e].covers = estimate.lower <= truth.value && truth.value <= estimate.upper
                }
                note?("simulated the truth of \(target.name)")
            }
            if s.estimand == .perRequestReward {
                notes.append("per-request truth: each target's mean reward per request on its own states; the estimand "
                             + "holds the logged states fixed, so the two differ when a target changes later requests")
            }
            if targets.count >= 2 {
                let truths = policies.map { $0.truth!.value }
                for name in policies[0].estimates.map(\.estimator) {
                    let found = policies.compactMap { entry in entry.estimates.first { $0.estimator == name } }
                    guard found.count == policies.count else { continue }
                    selection.append(OffPolicySelection(estimator: name, estimates: found.map(\.value),
                                                        lowerBounds: found.map(\.lower), truths: truths))
                }
            }
        }
        if data.incompleteEpisodes > 0 {
            notes.append("\(data.incompleteEpisodes) incomplete episode(s) (cut by the run's session budget) left out")
        }
        let m = data.run.metadata
        let discounting = s.discounting
        var valueModelSummaries: [String] = []
        for kind in valueModelKinds {
            guard let model = self.valueModels[kind] else { continue }
            let fitted = model as? FittedQValueModel
            valueModelSummaries.append(fitted?.summary(estimand: s.estimand, longestEpisode: data.decisions.longestEpisode,
                                                       discounting: discounting) ?? model.name)
        }
        return OffPolicyEvaluationReport(
            log: s.log, run: data.run.id, environment: m.environmentName, behaviourPolicy: m.policySpec,
            behaviourDensities: data.decisions.behaviourLogDensities != nil, behaviourNote: data.missingBehaviourDensities,
            estimand: s.estimand, discount: discounting?.perDecision, discountHalfLifeHours: discounting?.halfLifeHours,
            steps: data.decisions.steps, episodes: data.decisions.episodes, incompleteEpisodes: data.incompleteEpisodes,
            userDaysPerEpisode: data.config.episode.horizonDays,
            rewardModel: rewardModel.map { model in
                "ridge regression of the reward on [1, z, x, x², z⊗x] (z the standardised state, x the normalised action; "
                    + "\(CrossFittedRewardModel.featureCount(states: m.stateNames.count, actions: m.actionNames.count)) features), "
                    + "λ = \(model.ridge) per step, cross-fitted on \(model.folds) blocks of episodes; "
                    + "v̂ from \(s.targetActionSamples) target actions per step"
            },
            valueModels: valueModelSummaries,
            interval: s.interval.rawValue, level: s.level, bootstrapResamples: s.interval == .bootstrap ? s.bootstrapResamples : nil,
            seed: s.seed, policies: policies, truth: truthSettings, selection: selection, notes: notes)
    }

    /// MWL's occupancy weights of `target` on the run's steps (`MinimaxWeightLearning`), γ_t the estimand's: the
    /// data's d_{t+1}/d_t for the discounted return, 1 for reward per user-day. The target's own actions (no kernel).
    static func occupancyWeights(target: TargetPolicy, data: EpisodeLogDecisions, estimand: Estimand, samples: Int,
                                 seed: UInt64) throws -> [Double] {
        let d = data.decisions
        var gammas = [Double](repeating: 1, count: d.steps)
        if estimand == .discountedReturn {
            for t in 0..<(d.steps - 1) { gammas[t] = d.discounts[t] > 0 ? d.discounts[t + 1] / d.discounts[t] : 0 }
        }
        let moments = target.actionMoments(states: data.states, runSpace: data.actionSpace, smoothing: nil,
                                           samples: samples, seed: seed)
        return try MinimaxWeightLearning.weights(states: data.states, actions: data.actions, episodeOffsets: d.episodeOffsets,
                                                 transitionDiscounts: gammas, moments: moments, runSpace: data.actionSpace)
    }

    /// The settings' interval of `estimate`.
    func interval(of estimate: Estimate) throws -> ConfidenceInterval {
        try estimate.interval(settings.interval, level: settings.level, resamples: settings.bootstrapResamples, seed: settings.seed)
    }
}

extension Estimate {
    /// The interval of `kind` at `level`, over episodes: t, the percentile bootstrap (`resamples`, `seed`), or
    /// empirical Bernstein with the observed range of the per-episode terms as their range.
    public func interval(_ kind: OffPolicyEvaluation.IntervalKind, level: Double, resamples: Int, seed: UInt64) throws -> ConfidenceInterval {
        switch kind {
        case .t:
            return tInterval(level: level)
        case .bootstrap:
            return try bootstrapInterval(level: level, resamples: resamples, seed: seed).interval
        case .bernstein:
            let terms = episodeTerms
            let (low, high) = (terms.min() ?? 0, terms.max() ?? 0)
            guard high > low else { return ConfidenceInterval(lower: low, upper: high, estimate: value, level: level) }
            return try empiricalBernsteinInterval(level: level, termRange: low...high)
        }
    }
}
