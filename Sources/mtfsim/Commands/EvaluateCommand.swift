import ArgumentParser
import Evaluation
import Foundation

/// `mtfsim evaluate`: off-policy evaluation of target policies from an episode log, with the simulator's truth.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Estimate target policies' values from an episode log alone (off-policy evaluation), optionally against the simulator's truth.",
        discussion: """
        A production team decides whether a fusion policy may ship from logged data alone. Each --policy (a spec or \
        a checkpoint, resolved in the logged world) is evaluated on one run of LOG (--run, default its only run): \
        every complete episode (ended by churn or at the horizon; episodes cut by the run's session budget are left \
        out), each user's run of sessions being one independent unit.

        THE ESTIMAND (--estimand) is what is estimated, before any estimator is chosen:
          per-request   mean reward per logged request if the target chose that request's action, everything else \
        as logged (the contextual-bandit value, obp's rounds). Myopic: blind to what the action does to later \
        requests and returns.
          discounted    expected discounted return of an episode: Σ_t d_t r_t with d_t = γ^t (--discount, default \
        0.95), or γ^t·2^(−hours since the episode began / H) with --discount-half-life-hours H (γ then defaults to 1).
          per-user-day  reward per user-day over complete episodes, the long-term objective (default): the \
        undiscounted return, importance weighted, over the episode's user-days (the horizon; a churned user counts \
        the whole horizon).

        THE ESTIMATORS (--estimators, comma-separated; default: every one that estimates the estimand, except \
        those needing FQE, which --with-fqe adds: fqe, sequential-dr and wdr). Weights are w = π_e(a|s)/π_b(a|s) \
        from the logged behaviour densities, in log space. What each assumes:
          ips            E[w r]: unbiased if π_b covers π_e; variance grows with the weights.
          snips          E[w r]/E[w]: biased, consistent, within the reward range.
          clipped-ips:λ  E[min(λ, w) r] (λ = 100): trades bias for variance.
          sg-ips:λ       w/(1 − λ + λw) (λ = 0.1; Metelli et al. 2021): shrinks large weights.
          dm             E[v̂(s)] of a reward model: no weights; right only if the model is.
          dr             DM + E[w (r − q̂)]: unbiased if the weights are right, whatever the model.
          sndr           DR with the correction self-normalised.
          switch-dr:λ    DR where w ≤ λ, DM elsewhere (λ = 100).
          dr-os:λ        DR with w shrunk to λw/(w² + λ) (λ = 100).
          trajectory-is  each episode's return times its whole trajectory's weight: unbiased, variance exponential \
        in the episode's length.
          pdis           each reward weighted by the decisions before it (per-decision IS).
          wpdis          PDIS self-normalised per decision: biased, consistent, far less variable.
          sequential-dr  per-decision doubly robust (Jiang & Li 2016) with FQE's Q̂ and V̂: unbiased if the \
        weights are right, whatever Q̂; PDIS is its Q̂ = 0 case.
          wdr            weighted DR (Thomas & Brunskill 2016): sequential-dr self-normalised per decision.
          fqe            fitted Q evaluation (Le et al. 2019): the mean over episodes of V̂(s_0) = E_π Q̂(s_0, ·), \
        Q̂ fitted by TD regression on the logged steps. No weights: works on logs without behaviour densities; \
        right only as far as Q̂ is.
          conservative-fqe  BatchRL-MTF's conservative FQE (Zhang et al. 2022): FQE with CQL's regulariser \
        α(E_π Q − E_logged Q) (--fqe-alpha), at most FQE's value; for a target far from the logged actions it keeps \
        falling with the steps (read it as "outside the data"). Only by name.
          mwl            marginalised importance sampling (Uehara, Huang & Jiang 2020, MWL): E[w(s,a) r] with w the \
        target's state-action visits relative to the logged steps, fitted linearly in the reward model's features \
        by MWL's moment equations; no behaviour densities needed, no products of weights; right as far as the \
        linear class holds the ratio; its interval ignores the fitting error. Only by name.
        The first nine estimate per-request reward, the last eight the discounted return and reward per user-day. \
        The reward model of dm/dr/sndr/switch-dr/dr-os is a ridge regression of the reward on [1, z, x, x², z⊗x] \
        (state z standardised, action x normalised), cross-fitted on 5 blocks of episodes so that DR stays unbiased; \
        v̂ averages it over sampled target actions.

        FQE is fitted once per target (and once more for conservative-fqe) on the same steps and episodes the \
        estimators read, each episode ending at its last step; fqe, sequential-dr and wdr share the fit. Discounted: \
        the estimand's γ (and half-life). Per-user-day: exact γ = 1, the undiscounted return to the episode's end \
        (episodes are finite), with the target critic copied every 10 steps and at least one copy per request of \
        the longest episode; the estimate is V̂(s_0) over the user-days. Settings: --fqe-steps (default 4000), \
        --fqe-hidden (default 64,64), --fqe-alpha (default 0.0005), seeded by --seed. Fitting costs seconds to \
        minutes per target, hence only on request. The interval of fqe and conservative-fqe is over the episodes' \
        V̂(s_0) and ignores the error of fitting Q̂: it is too narrow by that error.

        DETERMINISTIC TARGETS (fixed weights, rules, checkpoints) have no density: their weights are \
        kernel-smoothed (Kallus & Zhou 2018), a product kernel (--kernel gaussian|epanechnikov) around the target's \
        action, truncated to the action box; bandwidth by Scott's rule on the logged actions, or --bandwidth H \
        (normalised units, the box being 2 wide). A log of a deterministic policy has no behaviour densities: the \
        weighting estimators are refused; dm, fqe, conservative-fqe and mwl still work.

        REPORTED per estimator: the estimate, its interval over episodes (--interval t, bootstrap with \
        --bootstrap B resamples, or bernstein: empirical Bernstein with the observed range of the terms), and the \
        weights' effective sample size ESS = (Σw)²/Σw², ESS/n, the largest weight, with a warning when ESS/n < 5%. \
        With --truth N each target also runs on-policy in the logged world: fresh sessions (simulation seed = the \
        log's + 1, or --truth-seed) of the same users, N sessions, the same random numbers for every target; the \
        true value and each estimate's error follow, and with several targets each estimator's off-policy \
        selection: Spearman's rank correlation with the truth, regret@1, and the safe choice (highest lower bound). \
        With --truth-replicates R instead, the truth is the value on the logged users: the log's complete episodes \
        simulated again R times (seeds S, S + 1, …), the interval over the replicates; between-user variation, which \
        dominates an interval over episodes, is then held fixed (as obp's synthetic truth is over the logged contexts).

        Examples:
          mtfsim simulate --env tiny --policy mixture --sessions 2000 --log logs/tiny-mixture.sqlite
          mtfsim evaluate logs/tiny-mixture.sqlite --policy mixture --policy baseline --estimand per-request
          mtfsim evaluate logs/tiny-mixture.sqlite --policy baseline --policy fixed:1,0,0 --truth 2000 --json
          mtfsim evaluate logs/tiny-mixture.sqlite --policy baseline --estimand discounted --with-fqe
        """
    )

    /// `--estimand` values.
    enum EstimandOption: String, ExpressibleByArgument, CaseIterable {
        case perRequest = "per-request"
        case discounted
        case perUserDay = "per-user-day"

        var estimand: Estimand {
            switch self {
            case .perRequest: .perRequestReward
            case .discounted: .discountedReturn
            case .perUserDay: .rewardPerUserDay
            }
        }
    }

    @Argument(help: ArgumentHelp("The episode log.", valueName: "log"))
    var log: String

    @Option(name: .customLong("policy"), help: ArgumentHelp("A target policy: spec or checkpoint (repeat).", valueName: "spec"))
    var policies: [String] = []

    @Option(help: ArgumentHelp("Comma-separated estimators, name or name:λ (see above).", valueName: "list"))
    var estimators: String?

    @Option(help: ArgumentHelp("per-request, discounted or per-user-day (see above).", valueName: "estimand"))
    var estimand: EstimandOption = .perUserDay

    @Option(help: ArgumentHelp("Discount γ per request (default 0.95; 1 with --discount-half-life-hours).", valueName: "gamma"))
    var discount: Float?

    @Option(help: ArgumentHelp("Also discount by time: a reward h hours into the episode counts 2^(−h/H).", valueName: "H"))
    var discountHalfLifeHours: Float = 0

    @Option(name: .customLong("run"), help: ArgumentHelp("The run to read (default: the log's only run).", valueName: "id"))
    var runID: Int?

    @Option(help: ArgumentHelp("Kernel bandwidth for deterministic targets, normalised units (default: Scott's rule).", valueName: "h"))
    var bandwidth: Double?

    @Option(help: ArgumentHelp("Kernel for deterministic targets: gaussian or epanechnikov.", valueName: "kernel"))
    var kernel: KernelSmoothing.Kernel = .gaussian

    @Option(help: ArgumentHelp(
        "Only the log's episodes numbered below this (the first users' runs), e.g. to give logs of several policies in one world the same users.",
        valueName: "count"))
    var episodes: Int?

    @Option(help: ArgumentHelp("Interval: t, bootstrap or bernstein.", valueName: "kind"))
    var interval: OffPolicyEvaluation.IntervalKind = .t

    @Option(help: ArgumentHelp("Bootstrap resamples (with --interval bootstrap).", valueName: "count"))
    var bootstrap = 1000

    @Option(help: ArgumentHelp("Simulate each target on-policy for this many sessions: the true value.", valueName: "sessions"))
    var truth: Int?

    @Option(help: ArgumentHelp("Simulation seed of the truth (default: the log's seed + 1).", valueName: "seed"))
    var truthSeed: UInt64?

    @Option(help: ArgumentHelp(
        "Instead of --truth: simulate the log's complete episodes (its users) again this many times (seeds truth-seed, truth-seed + 1, …); the truth on the logged users, its interval over the replicates.",
        valueName: "count"))
    var truthReplicates: Int?

    @Option(help: "Seed of the bootstrap and of the sampled target actions; same seed, same report.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Worker threads of the truth's simulation, the reward model and v̂ (results do not depend on it).", valueName: "count"))
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Without --estimators, also run fqe, sequential-dr and wdr (fits FQE per target; see above).")
    var withFQE = false

    @Option(help: ArgumentHelp("FQE's gradient steps; an undiscounted fit (per-user-day, or --discount 1) is raised to 10 per request of the longest episode.", valueName: "count"))
    var fqeSteps = FittedQValueModel.Settings().steps

    @Option(help: ArgumentHelp("FQE's critic hidden widths, comma-separated.", valueName: "widths"))
    var fqeHidden = FittedQValueModel.Settings().hiddenSizes.map(String.init).joined(separator: ",")

    @Option(help: ArgumentHelp("α of conservative-fqe's regulariser.", valueName: "alpha"))
    var fqeAlpha = FittedQValueModel.Settings().conservativeAlpha

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        guard !policies.isEmpty else { throw ValidationError("give at least one --policy") }
        guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
    }

    /// `--fqe-hidden` as widths, nil when malformed.
    var hiddenSizes: [Int]? {
        let widths = fqeHidden.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !widths.isEmpty, widths.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return widths.map { $0! }
    }

    func run() throws {
        var settings = OffPolicyEvaluation.Settings(log: log, policies: policies)
        settings.run = runID
        settings.estimators = estimators.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        settings.estimand = estimand.estimand
        settings.discount = discount
        settings.discountHalfLifeHours = discountHalfLifeHours
        settings.bandwidth = bandwidth
        settings.kernel = kernel
        settings.interval = interval
        settings.bootstrapResamples = bootstrap
        settings.truthSessions = truth
        settings.truthSeed = truthSeed
        settings.truthReplicates = truthReplicates
        settings.episodeLimit = episodes
        settings.seed = seed
        settings.threads = threads
        settings.withFQE = withFQE
        settings.fqe.steps = fqeSteps
        guard let widths = hiddenSizes else {
            throw CommandFailure("--fqe-hidden must be comma-separated positive widths, got \"\(fqeHidden)\"")
        }
        settings.fqe.hiddenSizes = widths
        settings.fqe.conservativeAlpha = fqeAlpha
        let report: OffPolicyEvaluationReport
        do {
            report = try OffPolicyEvaluation(settings: settings).run(note: json ? nil : { printError($0) })
        } catch {
            throw CommandFailure.oneLine(error)
        }
        if json {
            print(try JSONOutput.encode(report, kind: "evaluate"))
            return
        }
        print(EvaluationText.render(report))
    }
}

/// The human-readable report of `mtfsim evaluate`.
enum EvaluationText {
    static func render(_ r: OffPolicyEvaluationReport) -> String {
        let f = SummaryText.fixed
        var lines: [String] = []
        lines.append("\(r.environment) · \(r.log) run \(r.run) · logged by \(r.behaviourPolicy) · \(r.episodes) complete episodes, "
                     + "\(r.steps) steps" + (r.incompleteEpisodes > 0 ? " (\(r.incompleteEpisodes) incomplete left out)" : ""))
        if let why = r.behaviourNote { lines.append("no behaviour densities: \(why)") }
        let estimand: String
        switch r.estimand {
        case .perRequestReward: estimand = "reward per request (myopic)"
        case .discountedReturn:
            estimand = "discounted return per episode (γ = \(r.discount.map { f(Double($0), 3) } ?? "?")"
                + (r.discountHalfLifeHours.map { ", half-life \(f(Double($0), 2)) h" } ?? "") + ")"
        case .rewardPerUserDay: estimand = "reward per user-day (return over \(f(r.userDaysPerEpisode, 1)) user-days per episode)"
        }
        let level = Int((r.level * 100).rounded())
        lines.append("estimand: \(estimand) · \(level)% \(r.interval) interval over episodes")
        if let model = r.rewardModel { lines.append("reward model: \(model)") }
        for model in r.valueModels { lines.append("value model: \(model)") }
        if let t = r.truth {
            let runs = t.sessions.map { "\($0) fresh sessions" }
                ?? "the log's complete episodes \(t.replicates ?? 1) time(s) (the logged users; interval over the replicates)"
            lines.append("truth: each target on-policy, \(runs), world seed \(t.worldSeed), simulation seed \(t.seed), \(t.users) users, common random numbers")
        }
        for (i, p) in r.policies.enumerated() {
            lines.append("")
            var head = "[\(i)] \(p.policy) (\(p.kind.rawValue)"
            if let k = p.smoothing {
                head += "; \(k.kernel.rawValue) kernel, \(k.rule), h = " + k.bandwidths.map { f($0, 3) }.joined(separator: ",")
            }
            lines.append(head + ")")
            lines += estimateTable(p.estimates, level: level, withTruth: p.truth != nil)
            for refusal in p.refusals { lines.append("    refused \(refusal.estimator): \(refusal.reason)") }
            if let t = p.truth {
                lines.append("    truth \(f(t.value, 4)) [\(f(t.lower, 4)), \(f(t.upper, 4))] over \(t.episodes) episodes")
            }
        }
        if !r.selection.isEmpty {
            lines.append("")
            lines.append("off-policy selection against the truth:")
            lines.append("    " + pad("estimator", 20) + pad("Spearman", 10, right: true) + "  " + pad("chosen", 8)
                         + pad("regret@1", 11, right: true) + pad("normalised", 12, right: true) + "  " + pad("safe choice", 12)
                         + pad("its regret", 11, right: true))
            for s in r.selection {
                lines.append("    " + pad(s.estimator, 20) + pad(f(s.spearman, 3), 10, right: true) + "  " + pad("[\(s.chosen)]", 8)
                             + pad(f(s.regret, 4), 11, right: true) + pad(f(s.normalizedRegret, 3), 12, right: true) + "  "
                             + pad("[\(s.safeChoice)]", 12) + pad(f(s.safeRegret, 4), 11, right: true))
            }
        }
        for note in r.notes { lines.append("note: \(note)") }
        return lines.joined(separator: "\n")
    }

    /// The table of estimates: estimate, interval, ESS, ESS/n, the largest weight (and with the truth, the error and
    /// whether the interval covers it), a weight warning under its row. Indented by four spaces.
    static func estimateTable(_ estimates: [OffPolicyEvaluationReport.EstimateEntry], level: Int, withTruth: Bool) -> [String] {
        let f = SummaryText.fixed
        var lines = ["    " + pad("estimator", 20) + pad("estimate", 12, right: true) + "  " + pad("\(level)% interval", 26)
                     + pad("ESS", 10, right: true) + pad("ESS/n", 8, right: true) + pad("max w", 11, right: true)
                     + (withTruth ? pad("error", 11, right: true) + "  covers" : "")]
        for e in estimates {
            let d = e.diagnostics
            var row = "    " + pad(e.estimator, 20) + pad(f(e.value, 4), 12, right: true) + "  "
                + pad("[\(f(e.lower, 4)), \(f(e.upper, 4))]", 26)
                + pad(d.map { f($0.effectiveSampleSize, 1) } ?? "—", 10, right: true)
                + pad(d.map { f($0.effectiveSampleFraction * 100, 1) + "%" } ?? "—", 8, right: true)
                + pad(d.map { f($0.largestWeight, 3) } ?? "—", 11, right: true)
            if withTruth { row += pad(e.error.map { f($0, 4) } ?? "—", 11, right: true) + "  " + (e.covers == true ? "yes" : "no") }
            lines.append(row)
            if let warning = d?.warning { lines.append("      warning: \(warning)") }
        }
        return lines
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let gap = max(0, width - text.count)
        return right ? String(repeating: " ", count: gap) + text : text + String(repeating: " ", count: gap)
    }
}
