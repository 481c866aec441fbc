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
/// (`OffPolicySelection`). The sequential model-based estimators (per-decision DR, WDR) and FQE's own estimate need a
/// `SequentialValueModel`, given as `valueModel`.
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
        /// Seed of the bootstrap and of the target actions sampled for v̂.
        public var seed: UInt64 = 1
        /// Worker threads: of the truth's simulation, and of the reward model's fit and values and the target's
        /// action moments (results do not depend on it).
        public var threads = 1
        /// Target actions sampled per step for v̂.
        public var targetActionSamples = 16
        public var rewardModelFolds = CrossFittedRewardModel.defaultFolds

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
            guard threads > 0, targetActionSamples > 0, rewardModelFolds > 0 else {
                throw .invalidSetting("threads, target action samples and reward-model folds must be positive")
            }
        }
    }

    public var settings: Settings
    /// Q̂/V̂ for the sequential model-based estimators (FQE); nil: they are refused.
    public var valueModel: (any SequentialValueModel)?

    public init(settings: Settings, valueModel: (any SequentialValueModel)? = nil) {
        self.settings = settings
        self.valueModel = valueModel
    }

    /// Runs the evaluation. `note` receives progress lines.
    public func run(note: ((String) -> Void)? = nil) throws -> OffPolicyEvaluationReport {
        let s = settings
        try s.validate()
        let explicit = s.estimators != nil
        let names = s.estimators ?? EstimatorCatalog.defaults(for: s.estimand, hasValueModel: valueModel != nil)
        guard !names.isEmpty else { throw OffPolicyEvaluationError.invalidSetting("no estimator estimates \(s.estimand.rawValue)") }
        let entries = try names.map { name throws(OffPolicyEvaluationError) in try EstimatorCatalog.entry(name) }
        for entry in entries where !entry.estimator.supportedEstimands.contains(s.estimand) {
            throw OffPolicyEvaluationError.invalidSetting(EvaluationError.unsupportedEstimand(
                estimator: entry.estimator.name, estimand: s.estimand, supported: entry.estimator.supportedEstimands).description)
        }

        var data = try EpisodeLogDecisions.load(path: s.log, run: s.run, discounting: s.discounting)
        note?("read \(data.decisions.steps) steps in \(data.decisions.episodes) complete episodes of run \(data.run.id)")
        let world = try data.world()
        let targets = try s.policies.map { spec throws(OffPolicyEvaluationError) in
            try TargetPolicy.resolve(spec, world: world, runActionNames: data.run.metadata.actionNames)
        }

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
            let input = try EvaluationInput(decisions)
            var estimates: [OffPolicyEvaluationReport.EstimateEntry] = []
            var refusals: [OffPolicyEvaluationReport.Refusal] = []
            for entry in entries {
                let name = entry.estimator.name
                do {
                    if entry.needsWeights, input.weights == nil, let why = missingWeights {
                        throw OffPolicyEvaluationError.estimatorRefused(estimator: name, policy: target.name, reason: "\(name) weights by π_e/π_b, but \(why)")
                    }
                    var estimate: Estimate
                    if entry.needsValueModel {
                        guard let valueModel else {
                            throw OffPolicyEvaluationError.estimatorRefused(
                                estimator: name, policy: target.name,
                                reason: "needs Q̂ and V̂ of the return from a sequential value model (FQE), which is not available yet")
                        }
                        var withValues = decisions
                        withValues.rewardModel = try valueModel.values(target: target, data: data, estimand: s.estimand)
                        estimate = try entry.estimator.estimate(try EvaluationInput(withValues), estimand: s.estimand)
                    } else {
                        estimate = try entry.estimator.estimate(input, estimand: s.estimand)
                    }
                    estimate.estimator = name
                    let interval = try self.interval(of: estimate)
                    estimates.append(.init(estimator: name, value: estimate.value, lower: interval.lower, upper: interval.upper,
                                           diagnostics: estimate.diagnostics, error: nil, covers: nil))
                } catch {
                    let reason: String
                    switch error {
                    case OffPolicyEvaluationError.estimatorRefused(_, _, let why): reason = why
                    default: reason = "\(error)"
                    }
                    if explicit { throw OffPolicyEvaluationError.estimatorRefused(estimator: name, policy: target.name, reason: reason) }
                    refusals.append(.init(estimator: name, reason: reason))
                }
            }
            if let valueModel {
                let values = try valueModel.values(target: target, data: data, estimand: s.estimand)
                let estimate = try valueModel.directEstimate(values, data: decisions, estimand: s.estimand)
                let interval = try self.interval(of: estimate)
                estimates.append(.init(estimator: valueModel.name, value: estimate.value, lower: interval.lower,
                                       upper: interval.upper, diagnostics: nil, error: nil, covers: nil))
            }
            policies.append(.init(policy: target.name, kind: target.kind, smoothing: smoothingReport, estimates: estimates,
                                  refusals: refusals, truth: nil))
            note?("estimated \(target.name)")
        }
        data.releaseFeatures()

        var notes: [String] = []
        var truthSettings: OffPolicyEvaluationReport.TruthSettings? = nil
        var selection: [OffPolicySelection] = []
        if let sessions = s.truthSessions {
            let users = data.users ?? .all
            if data.users == nil { notes.append("the logged episodes' users match no user pool; the truth runs all users") }
            let seed = s.truthSeed ?? data.run.metadata.seed &+ 1
            truthSettings = .init(sessions: sessions, seed: seed, worldSeed: data.run.metadata.seed, users: users.rawValue)
            for (p, target) in targets.enumerated() {
                let truth = try OnPolicyTruth.simulate(target: target, log: data, world: world, users: users, estimand: s.estimand,
                                                       sessions: sessions, seed: seed, threads: s.threads)
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
            interval: s.interval.rawValue, level: s.level, bootstrapResamples: s.interval == .bootstrap ? s.bootstrapResamples : nil,
            seed: s.seed, policies: policies, truth: truthSettings, selection: selection, notes: notes)
    }

    /// The settings' interval of `estimate`.
    func interval(of estimate: Estimate) throws -> ConfidenceInterval {
        switch settings.interval {
        case .t:
            return estimate.tInterval(level: settings.level)
        case .bootstrap:
            return try estimate.bootstrapInterval(level: settings.level, resamples: settings.bootstrapResamples,
                                                  seed: settings.seed).interval
        case .bernstein:
            let terms = estimate.episodeTerms
            let (low, high) = (terms.min() ?? 0, terms.max() ?? 0)
            guard high > low else { return ConfidenceInterval(lower: low, upper: high, estimate: estimate.value, level: settings.level) }
            return try estimate.empiricalBernsteinInterval(level: settings.level, termRange: low...high)
        }
    }
}
