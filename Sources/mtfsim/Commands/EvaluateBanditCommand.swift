import ArgumentParser
import Evaluation
import Foundation

/// `mtfsim evaluate-bandit`: off-policy evaluation of logged bandit feedback from elsewhere, read from CSV files.
struct EvaluateBanditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-bandit",
        abstract: "Estimate an evaluation policy's value from logged bandit feedback in CSV files (real production logs, the Open Bandit Dataset).",
        discussion: """
        The per-request estimators of `mtfsim evaluate` (obp 0.5.7's definitions) on logs from outside the \
        simulator, in obp's form for ranking positions: each logged row is one (round, action, position) shown with \
        its reward and its propensity pscore = π_b(a | x, position). The estimate is the expected reward per row if \
        the evaluation policy had chosen the action at each logged (round, position). Full format, examples and the \
        Open Bandit Dataset's conversion: docs/bandit-feedback.md.

        FILES (CSV, RFC 4180; a header row naming the columns, in any order; LF or CRLF; integers ≥ 0 for \
        round, action and position):
          --logged F        round, action, position, reward, pscore, plus any numeric context columns (checked, \
        not used by the built-in estimators). pscore ∈ (0, 1]; one row per (round, position).
          --policy F        π_e per row: round, action, position, probability; or context-free (the same in every \
        round): action, position, probability. The header decides which. Each (round, position)'s, or each \
        position's, probabilities lie in [0, 1] and sum to 1 over the actions (±1e-6); unlisted actions have \
        probability 0, but each logged (round, action, position) must be listed.
          --reward-model F  q̂(x, a, position): round, action, position, estimate, for the logged action and every \
        action the policy gives positive probability at each logged (round, position).
          --reward-model tabular  q̂ = the mean logged reward of the (action, position) cell, the overall mean for \
        an empty cell (name a file called "tabular" as ./tabular).
        Without a reward model dm, dr, sndr, switch-dr and dr-os are refused; the importance-weighted ones run.

        ESTIMATORS (--estimators, comma-separated, name or name:λ; default all nine), w = π_e(a|x,pos)/pscore:
          ips            E[w r]
          snips          E[w r]/E[w]
          clipped-ips:λ  E[min(λ, w) r], λ = 100
          sg-ips:λ       E[w/(1 − λ + λw) r], λ ∈ [0, 1], 0.1
          dm             E[Σ_a π_e(a|x,pos) q̂(x, a, pos)]
          dr             DM + E[w (r − q̂)]
          sndr           DM + E[w (r − q̂)]/E[w]
          switch-dr:λ    DR where w ≤ λ, DM elsewhere, λ = 100
          dr-os:λ        DR with w shrunk to λw/(w² + λ), λ = 100
        `mtfsim evaluate --help` says what each assumes.

        REPORTED per estimator: the estimate, its interval (--interval t, bootstrap with --bootstrap B resamples \
        and --seed, or bernstein) with the round as the unit (the positions of one round share a context), the \
        weights' effective sample size (Σw)²/Σw², ESS/n and the largest weight, with a warning when ESS/n < 5%.

        A MALFORMED FILE is refused with one line FILE:LINE:COLUMN: message (the header is line 1, the column is \
        the character where the field begins) and a nonzero exit.

        Examples:
          mtfsim evaluate-bandit --logged obd.csv --policy uniform.csv \\
              --reward-model tabular
          mtfsim evaluate-bandit --logged log.csv --policy target.csv \\
              --reward-model qhat.csv --estimators ips,clipped-ips:20,dr --json
        """
    )

    @Option(help: ArgumentHelp("The logged rows: round, action, position, reward, pscore[, context…].", valueName: "file"))
    var logged: String

    @Option(help: ArgumentHelp("The evaluation policy's probabilities, per row or context-free.", valueName: "file"))
    var policy: String

    @Option(help: ArgumentHelp("q̂ per round, action, position from a file, or `tabular` (see above).", valueName: "file|tabular"))
    var rewardModel: String?

    @Option(help: ArgumentHelp("Comma-separated estimators, name or name:λ (see above).", valueName: "list"))
    var estimators: String?

    @Option(help: ArgumentHelp("Interval: t, bootstrap or bernstein.", valueName: "kind"))
    var interval: OffPolicyEvaluation.IntervalKind = .t

    @Option(help: ArgumentHelp("Bootstrap resamples (with --interval bootstrap).", valueName: "count"))
    var bootstrap = 1000

    @Option(help: "Seed of the bootstrap; same seed, same report.")
    var seed: UInt64 = 1

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        var settings = BanditEvaluation.Settings(logged: logged, policy: policy)
        switch rewardModel {
        case nil: settings.rewardModel = .none
        case "tabular"?: settings.rewardModel = .tabular
        case let path?: settings.rewardModel = .file(path)
        }
        settings.estimators = estimators.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        settings.interval = interval
        settings.bootstrapResamples = bootstrap
        settings.seed = seed
        let report: BanditEvaluationReport
        do {
            report = try BanditEvaluation(settings: settings).run()
        } catch {
            throw CommandFailure.oneLine(error)
        }
        if json {
            print(try JSONOutput.encode(report))
            return
        }
        print(BanditEvaluationText.render(report))
    }
}

/// The human-readable report of `mtfsim evaluate-bandit`.
enum BanditEvaluationText {
    static func render(_ r: BanditEvaluationReport) -> String {
        let f = SummaryText.fixed
        let level = Int((r.level * 100).rounded())
        var lines = [
            "\(r.logged) · \(r.rows) rows in \(r.rounds) rounds · positions \(r.positions.map(String.init).joined(separator: ", ")) "
                + "· logged mean reward \(f(r.loggedMeanReward, 4))",
            "policy \(r.policy) (\(r.policyForm.rawValue), \(r.actions) actions) · reward model: \(r.rewardModel ?? "none")",
            "estimand: reward per row (per request) · \(level)% \(r.interval) interval over rounds",
        ]
        if !r.contextColumns.isEmpty {
            lines.append("context columns (checked, unused): " + r.contextColumns.joined(separator: ", "))
        }
        lines.append("")
        lines += EvaluationText.estimateTable(r.estimates, level: level, withTruth: false)
        for refusal in r.refusals { lines.append("    refused \(refusal.estimator): \(refusal.reason)") }
        return lines.joined(separator: "\n")
    }
}
