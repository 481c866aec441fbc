import ArgumentParser
import Foundation
import Rollout
import Simulator

/// `mtfsim simulate`: run sessions of simulated users under a fusion policy and summarise them.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run simulated feed sessions under a fusion policy and summarise them.",
        discussion: """
        Users browse request by request: K candidates are retrieved, the ranker predicts every task, the policy's \
        fusion weights rank them, and the user reacts to the top N (plays, watch seconds, long views, likes, …), \
        may leave after each request, and comes back after a gap that depends on how the session went. \
        Whole users' episodes (days of sessions) are simulated until the requested number of sessions is complete.

        Examples:
          mtfsim simulate
          mtfsim simulate --env tiny --sessions 500 --policy random --json
          mtfsim simulate --policy fixed:1,0,0,0,0,0,0        # click-only weights
        """
    )

    @OptionGroup var environment: EnvironmentOptions
    @OptionGroup var policyOption: PolicyOption

    @Option(help: ArgumentHelp("Sessions to simulate.", valueName: "count"))
    var sessions = 2_000

    @Flag(help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        guard sessions > 0 else { throw ValidationError("--sessions must be positive, got \(sessions)") }
    }

    func run() throws {
        let (world, _) = try environment.world()
        let policy = try policyOption.parse(world: world)
        let ranker = OracleNoiseRanker(config: world.config)
        let progress = ProgressReporter(total: sessions, unit: "sessions", enabled: !json)
        let started = Date()
        let output = Simulation(world: world, ranker: ranker, policy: policy, seed: environment.seed).run(
            .init(sessions: sessions, threads: environment.threads, progress: { progress.update($0) }))
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        let summary = SimulationSummary(sessions: output.sessions, config: world.config)
        if json {
            let report = SimulateReport(environment: world.config.name, seed: environment.seed, policy: policy.spec,
                                        ranker: ranker.name, threads: environment.threads, wallSeconds: seconds,
                                        summary: summary)
            print(try JSONOutput.encode(report))
        } else {
            print("\(world.config.name) · seed \(environment.seed) · policy \(policy.spec) · ranker \(ranker.name) · \(environment.threads) thread(s)")
            print(String(format: "%.2f s, %.0f requests/s", seconds, Double(summary.requests) / max(seconds, 1e-9)))
            print(SummaryText.render(summary, taskNames: world.config.taskNames))
        }
    }
}

/// `simulate --json` output.
struct SimulateReport: Encodable {
    var environment: String
    var seed: UInt64
    var policy: String
    var ranker: String
    var threads: Int
    var wallSeconds: Double
    var summary: SimulationSummary
}

enum JSONOutput {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// The human-readable summary of a run.
enum SummaryText {
    static func render(_ s: SimulationSummary, taskNames: [String]) -> String {
        let d = s.requestsPerSession
        let rates = taskNames.map { "\($0) \(format(s.ratePerImpression[$0] ?? .nan))" }.joined(separator: "  ")
        let g = s.returnGaps
        return """
        sessions            \(s.sessions) in \(s.episodes) episodes; \(s.requests) requests; \(s.impressions) impressions\(s.truncatedSessions > 0 ? "; \(s.truncatedSessions) truncated" : "")
        requests/session    mean \(fixed(d.mean, 2)) sd \(fixed(d.standardDeviation, 2)) (p10 \(fixed(d.p10, 0)), p50 \(fixed(d.p50, 0)), p90 \(fixed(d.p90, 0)))
        impressions/session \(fixed(s.impressionsPerSession, 1))
        rate/impression     \(rates)
        watch seconds       \(fixed(s.watchSecondsPerSession, 1)) per session, \(fixed(s.watchSecondsPerImpression, 2)) per impression
        reward/session      \(fixed(s.rewardPerSession.mean, 3)) [\(fixed(s.rewardPerSession.lower, 3)), \(fixed(s.rewardPerSession.upper, 3))] (95% CI, clustered by episode)
        return gaps         \(g.returned) returns, churn \(percent(g.churnRate)); < 2 h \(percent(g.shareUnderTwoHours)), ≥ 2 h \(percent(g.shareTwoHoursOrMore)); median \(fixed(g.medianMinutes, 0)) min, p90 \(fixed(g.p90Minutes, 0)) min, mean \(fixed(g.meanHours, 2)) h
        sessions/user/day   \(fixed(s.sessionsPerUserDay, 2))
        reward/user/day     \(fixed(s.rewardPerUserDay.mean, 2)) [\(fixed(s.rewardPerUserDay.lower, 2)), \(fixed(s.rewardPerUserDay.upper, 2))] (95% CI over complete episodes)
        """
    }

    static func format(_ v: Double) -> String { v >= 0.01 || v == 0 ? fixed(v, 4) : String(format: "%.3g", v) }
    static func fixed(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
    static func percent(_ v: Double) -> String { String(format: "%.1f%%", 100 * v) }
}
