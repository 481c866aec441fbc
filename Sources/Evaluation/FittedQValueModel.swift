import Agents
import EpisodeLog
import Numerics

/// FQE (`FittedQEvaluation`: Le, Voloshin & Yue 2019, Algorithm 3) as the `SequentialValueModel` of an evaluation:
/// Q̂ of the target fitted on the very steps the estimators read (`EpisodeLogDecisions.offlineDataset()`: the same
/// episodes, steps and order, each episode ending in a terminal step), and Q̂, V̂ returned per logged step. With
/// `conservativeAlpha` > 0 it is BatchRL-MTF's conservative FQE (Zhang et al. 2022, §4.3.1: the CQL
/// policy-evaluation regulariser), named "conservative FQE".
///
/// Per estimand:
/// - **discounted return**: the estimand's discounting (γ per request, or γ·2^(−Δt/H) by the logged hours), so Q̂ is
///   the discounted return from a step, relative to it, as the per-decision estimators take it;
/// - **reward per user-day**: exact γ = 1, the undiscounted return to the episode's end. Episodes are finite (a
///   user's run over the horizon, ended by churn or at the horizon), so the terminal flags end every backup and the
///   iteration has a fixed point; it takes as many backups (target copies, each one of Le et al.'s iterations) as
///   the longest episode has requests, so the steps are at least that many target intervals. A γ just under 1 would
///   be another estimand, so it is not used. Measured on a tiny-preset log (31 episodes, the longest 184 requests;
///   docs/design.md): FQE of the logging policy gave 46.0 reward per user-day after 2,000 steps and 45.8 after
///   4,000 against the logged 44.1 ± 5.2, so it converges. V̂(s_0) ÷ the mean user-days is the estimate
///   (`ValueModelEstimate`);
/// - **per-request reward** is refused: it is the bandit value of one decision with everything else as logged,
///   which the per-request reward model (DM) estimates; FQE's Q̂ is a return.
///
/// Defaults (`Settings`), sized for seconds per target and measured on the tiny preset: a 64 × 64 critic, Adam at
/// 10⁻³, batches of 256, the target critic copied every 10 steps (each iteration's regression only partly solved, as
/// with Polyak averaging at τ ≈ 0.1; the same fixed point), 4,000 steps (400 iterations: γ = 0.95 forgets within
/// 100), K = 4 actions of a stochastic target per state. With a 32 × 32 critic and K = 2, copying the target every 10,
/// 25 or 50 steps over 2,000 or 4,000 steps moved FQE of the logging policy by under 4% on that log (28.3–29.5
/// against the logged mean 28.4 at γ = 0.95).
/// Seeded: the critic's weights and mini-batches come from `seed`.
public struct FittedQValueModel: SequentialValueModel {
    /// The settings `mtfsim evaluate` exposes.
    public struct Settings: Sendable, Codable, Equatable {
        /// Gradient steps (`--fqe-steps`); for reward per user-day at least one target copy per request of the
        /// longest episode.
        public var steps = 4_000
        /// Hidden layer widths of the critic (`--fqe-hidden`).
        public var hiddenSizes = [64, 64]
        public var learningRate: Float = 1e-3
        public var batchSize = 256
        /// Gradient steps between copies of the target critic: one FQE iteration.
        public var targetInterval = 10
        /// K: actions drawn per state for a stochastic target's E_{a∼π}Q̂.
        public var actionSamples = 4
        /// α of conservative FQE (`--fqe-alpha`; BatchRL-MTF's 0.5·10⁻³ by default); plain FQE ignores it.
        public var conservativeAlpha: Float = 0.5e-3

        public init() {}

        /// Refuses settings out of range, with one line.
        func validate() throws(OffPolicyEvaluationError) {
            guard steps > 0 else { throw .invalidSetting("--fqe-steps must be positive, got \(steps)") }
            guard !hiddenSizes.isEmpty && hiddenSizes.allSatisfy({ $0 > 0 }) else {
                throw .invalidSetting("--fqe-hidden must be one or more positive widths, got \(hiddenSizes)")
            }
            guard conservativeAlpha > 0 && conservativeAlpha.isFinite else {
                throw .invalidSetting("--fqe-alpha must be positive, got \(conservativeAlpha)")
            }
            guard learningRate > 0, batchSize > 0, targetInterval > 0, actionSamples > 0 else {
                throw .invalidSetting("FQE's learning rate, batch size, target interval and action samples must be positive")
            }
        }
    }

    public let settings: Settings
    /// Conservative FQE when true (α = `settings.conservativeAlpha`), plain FQE otherwise.
    public let conservative: Bool
    public let seed: UInt64

    public init(settings: Settings = Settings(), conservative: Bool = false, seed: UInt64) {
        self.settings = settings
        self.conservative = conservative
        self.seed = seed
    }

    public var name: String { conservative ? "conservative FQE" : "FQE" }
    public var supportedEstimands: [Estimand] { [.discountedReturn, .rewardPerUserDay] }

    /// FittedQEvaluation's configuration for `estimand` on data whose longest episode has `longestEpisode` steps.
    public func configuration(for estimand: Estimand, discounting: Discounting?,
                              longestEpisode: Int) throws(OffPolicyEvaluationError) -> FittedQEvaluationConfiguration {
        try settings.validate()
        var c = FittedQEvaluationConfiguration()
        c.hiddenSizes = settings.hiddenSizes
        c.learningRate = settings.learningRate
        c.batchSize = settings.batchSize
        c.targetUpdate = .hard(interval: settings.targetInterval)
        c.actionSamples = settings.actionSamples
        c.conservativeAlpha = conservative ? settings.conservativeAlpha : 0
        c.steps = settings.steps
        c.curveInterval = settings.targetInterval * 10
        switch estimand {
        case .discountedReturn:
            guard let d = discounting else {
                throw .invalidSetting("\(name) of the discounted return needs the run's discounting")
            }
            c.discount = d.perDecision
            c.discountHalfLifeHours = d.halfLifeHours ?? 0
            if d.perDecision >= 1 && d.halfLifeHours == nil {
                // Undiscounted: a value travels back one request per target copy, as for reward per user-day.
                c.steps = max(settings.steps, (longestEpisode + 1) * settings.targetInterval)
            }
        case .rewardPerUserDay:
            c.discount = 1
            c.discountHalfLifeHours = 0
            c.steps = max(settings.steps, (longestEpisode + 1) * settings.targetInterval)
        case .perRequestReward:
            throw .invalidSetting(EvaluationError.unsupportedEstimand(estimator: name, estimand: estimand,
                                                                     supported: supportedEstimands).description)
        }
        return c
    }

    /// The fitted evaluation of `target` on `data` for `estimand` (its learning curve in `curve`).
    public func fit(target: TargetPolicy, data: EpisodeLogDecisions,
                    estimand: Estimand) throws(OffPolicyEvaluationError) -> (fqe: FittedQEvaluation, curve: [FittedQEvaluation.CurvePoint]) {
        let configuration = try configuration(for: estimand, discounting: data.discounting,
                                              longestEpisode: data.decisions.longestEpisode)
        let dataset = try data.offlineDataset()
        var fqe: FittedQEvaluation
        do {
            fqe = try FittedQEvaluation(dataset: dataset, policy: target.policy, configuration: configuration, seed: seed)
        } catch {
            throw .valueModel(log: data.path, run: data.run.id, reason: "\(name) of \(target.name): \(error.description)")
        }
        let curve = fqe.fit()
        return (fqe, curve)
    }

    public func values(target: TargetPolicy, data: EpisodeLogDecisions,
                       estimand: Estimand) throws -> LoggedDecisions.RewardModel {
        let fqe = try fit(target: target, data: data, estimand: estimand).fqe
        let model = LoggedDecisions.RewardModel(loggedActionValues: fqe.loggedQValues(), targetValues: fqe.loggedStateValues())
        if let i = model.loggedActionValues.firstIndex(where: { !$0.isFinite }) ?? model.targetValues.firstIndex(where: { !$0.isFinite }) {
            throw OffPolicyEvaluationError.valueModel(
                log: data.path, run: data.run.id,
                reason: "\(name) of \(target.name) diverged: a non-finite value at step \(i) after \(fqe.updateCount) steps")
        }
        return model
    }

    /// One line on how the model is fitted, for the report.
    public func summary(estimand: Estimand, longestEpisode: Int, discounting: Discounting?) -> String? {
        guard let c = try? configuration(for: estimand, discounting: discounting, longestEpisode: longestEpisode) else { return nil }
        let gamma = estimand == .rewardPerUserDay ? "γ = 1 (undiscounted, episodes end at churn or the horizon)"
            : "γ = \(c.discount)" + (c.discountHalfLifeHours > 0 ? " and half-life \(c.discountHalfLifeHours) h" : "")
        return "\(name) (Le et al. 2019\(conservative ? "; CQL regulariser α = \(c.conservativeAlpha), Zhang et al. 2022" : "")): "
            + "critic \(c.hiddenSizes.map(String.init).joined(separator: " × ")), \(c.steps) Adam steps at \(c.learningRate), "
            + "batches of \(c.batchSize), target copied every \(settings.targetInterval) steps, \(gamma), seed \(seed); "
            + "its interval ignores the fitting error"
    }
}
