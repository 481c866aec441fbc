import Agents
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

        Every session is written to an SQLite episode log (`logs/<run>.sqlite` unless --log or --no-log): states, \
        actions with their behaviour-policy fields, rewards, and every shown item with its predictions and feedback. \
        A killed run leaves whole sessions only; `--resume LOG` continues it to the same final log.

        `--episodes LOW..HIGH` simulates exactly episodes LOW..<HIGH to their ends instead of a number of sessions: \
        episode e meets the same user with the same random streams as in any other run of the world and seed, so \
        disjoint ranges (shards, e.g. python/examples/ray_simulate.py) together hold exactly the sessions of one run \
        over their union. The range is recorded in the run's name (…-episodesLOW..HIGH), and --resume continues it.

        Examples:
          mtfsim simulate
          mtfsim simulate --env tiny --sessions 500 --policy random --json
          mtfsim simulate --policy fixed:1,0,0,0,0,0,0        # click-only weights
          mtfsim simulate --resume logs/short-video-seed1-20261129-080000.sqlite
          mtfsim simulate --ranker models/mmoe.ckpt       # rank with a trained MMoE (train-ranker)
          mtfsim simulate --episodes 0..500 --threads 1   # one shard: episodes 0 to 499, whole
        """
    )

    @OptionGroup var environment: EnvironmentOptions
    @OptionGroup var policyOption: PolicyOption

    @Option(help: ArgumentHelp(
        "The multi-task ranker: oracle-noise, or a checkpoint from `mtfsim train-ranker`.",
        discussion: "A trained ranker belongs to the world it was trained in: use the training log's environment and --seed.",
        valueName: "file"))
    var ranker = SimulationRanker.oracleNoise

    @Option(help: ArgumentHelp(
        "Probability that a slate slot shows a uniformly random candidate instead of the ranked one.",
        discussion: "Random exposure (as in KuaiRand) gives rankers feedback on items the ranking would not show; each impression records whether it was random.",
        valueName: "p"))
    var randomExposure = 0.0

    @Option(help: ArgumentHelp("Sessions to simulate (default \(Self.defaultSessions)).", valueName: "count"))
    var sessions: Int?

    @Option(help: ArgumentHelp(
        "Simulate exactly episodes LOW..<HIGH to their ends instead of --sessions sessions (one shard of a larger run).",
        discussion: "Disjoint ranges of the same world, seed and policy together are one run over their union.",
        valueName: "low..high"))
    var episodes: String?

    static let defaultSessions = 2_000

    /// `--episodes LOW..HIGH` as a range, if given and well formed (`validate` refuses the rest).
    var episodeRange: Range<Int>? {
        guard let episodes else { return nil }
        let bounds = episodes.components(separatedBy: "..")
        guard bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), 0 <= low, low < high else { return nil }
        return low..<high
    }

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Episode log to create; an existing file is never overwritten (default: logs/<env>-seed<S>-<time>.sqlite).", valueName: "path"))
    var log: String?

    @Flag(help: "Do not write an episode log.")
    var noLog = false

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Write the episode log on a thread of its own, or (--no-log-writer-thread) on the simulation threads.",
        discussion: "The writer thread lets the simulation run while SQLite writes, so the process uses up to one core more than --threads. Without it the process uses exactly --threads cores, as a scheduler that counts CPUs assumes (a Ray task of num_cpus=1, a batch job's cores): `--threads 1 --no-log-writer-thread` is one core. The log is the same either way."))
    var logWriterThread = true

    @Flag(help: "Also log every request's full candidate set with its predictions (needed by `replay --rerank`; large).")
    var logCandidates = false

    @Option(help: ArgumentHelp("Continue the interrupted run in this log to its requested sessions (other options are taken from the log).", valueName: "log"))
    var resume: String?

    @Option(help: ArgumentHelp("Delete the interrupted run(s) in this log instead of resuming them, then exit.", valueName: "log"))
    var discard: String?

    func validate() throws {
        if let sessions, sessions <= 0 { throw ValidationError("--sessions must be positive, got \(sessions)") }
        if let episodes {
            guard episodeRange != nil else {
                throw ValidationError("--episodes must be LOW..HIGH with integers 0 ≤ LOW < HIGH (episodes LOW to HIGH-1), got '\(episodes)'")
            }
            if sessions != nil { throw ValidationError("--episodes cannot be combined with --sessions: a range run simulates whole episodes") }
            if resume != nil { throw ValidationError("--episodes cannot be combined with --resume: the log records its run's range") }
            if discard != nil { throw ValidationError("--episodes cannot be combined with --discard") }
        }
        guard randomExposure >= 0 && randomExposure < 1 else {
            throw ValidationError("--random-exposure must be a probability in [0, 1), got \(randomExposure)")
        }
        if discard != nil && (resume != nil || log != nil) { throw ValidationError("--discard cannot be combined with --resume or --log") }
        if noLog && (log != nil || resume != nil) { throw ValidationError("--no-log cannot be combined with --log or --resume") }
        if noLog && !logWriterThread { throw ValidationError("--no-log-writer-thread is about the log; --no-log writes none") }
        if resume != nil && log != nil { throw ValidationError("--resume continues the given log; drop --log") }
    }

    private var logWrites: SimulationLog.Writes { logWriterThread ? .writerThread : .inline }

    func run() throws {
        if let discard {
            for run in try LoggedRun.discardUnfinishedRuns(path: discard) {
                print("discarded run \(run.id) (\(run.metadata.name), \(run.metadata.policySpec)) from \(discard)")
            }
            return
        }
        let result: SimulationRun.Result
        if let resume {
            let logged = try LoggedRun.resume(path: resume)
            let range = SimulationRun.episodes(of: logged.run.metadata)
            let progress = ProgressReporter(total: range?.count ?? logged.run.metadata.requestedSessions,
                                            unit: range == nil ? "sessions" : "episodes", enabled: !json)
            result = try SimulationRun.resume(logged, threads: environment.threads, policy: PolicyResolver.resolve,
                                              writes: logWrites, progress: { progress.update($0) })
            progress.finish()
        } else {
            let (world, text) = try environment.world()
            var run = SimulationRun(world: world, environmentText: text, policy: try policyOption.parse(world: world),
                                    ranker: try SimulationRanker.make(ranker, world: world), seed: environment.seed,
                                    sessions: sessions ?? Self.defaultSessions, threads: environment.threads)
            run.episodes = episodeRange
            run.logCandidates = logCandidates
            run.randomExposure = randomExposure
            run.logWrites = logWrites
            let progress = ProgressReporter(total: run.episodes?.count ?? run.sessions,
                                            unit: run.episodes == nil ? "sessions" : "episodes", enabled: !json)
            result = try run.run(log: noLog ? nil : log ?? "logs/\(run.name)-\(Self.timestamp()).sqlite",
                                 progress: { progress.update($0) })
            progress.finish()
        }
        let (run, summary, seconds) = (result.run, result.summary, result.wallSeconds)
        if json {
            let report = SimulateReport(environment: run.world.config.name, seed: run.seed, policy: run.policy.spec,
                                        ranker: run.ranker.name, threads: environment.threads,
                                        episodes: run.episodes.map { .init(low: $0.lowerBound, high: $0.upperBound) },
                                        wallSeconds: seconds, log: result.log, summary: summary)
            print(try JSONOutput.encode(report))
        } else {
            let range = run.episodes.map { " · episodes \($0.lowerBound)..\($0.upperBound)" } ?? ""
            print("\(run.world.config.name) · seed \(run.seed)\(range) · policy \(run.policy.spec) · ranker \(run.ranker.name) · \(environment.threads) thread(s)")
            print(String(format: "%.2f s, %.0f requests/s", seconds, Double(summary.requests) / max(seconds, 1e-9))
                  + (result.log.map { " · log \($0)" } ?? ""))
            print(SummaryText.render(summary, taskNames: run.world.config.taskNames))
        }
    }
}

extension SimulateCommand {
    /// `yyyyMMdd-HHmmss` in UTC: default log file names are readable, sortable and new for every run.
    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: Date())
    }
}

/// `simulate --json`'s `episodes`: a range run's episodes low..<high.
struct EpisodeSpan: Encodable {
    var low: Int
    var high: Int
}

/// `simulate --json` output.
struct SimulateReport: Encodable {
    var environment: String
    var seed: UInt64
    var policy: String
    var ranker: String
    var threads: Int
    /// The episodes of a range run (`--episodes`), absent otherwise.
    var episodes: EpisodeSpan?
    var wallSeconds: Double
    var log: String?
    var summary: SimulationSummary
}

enum JSONOutput {
    /// The version of the `kind`-tagged outputs' layout (`mtfsim report` refuses newer ones).
    static let formatVersion = 1

    /// `value` as the top-level output of a command that `mtfsim report` reads, tagged with `kind` (train,
    /// train-offline, compare, evaluate) and `formatVersion` beside the value's own members.
    static func encode<T: Encodable>(_ value: T, kind: String) throws -> String {
        try encode(Tagged(value: value, kind: kind))
    }

    struct Tagged<T: Encodable>: Encodable {
        var value: T
        var kind: String
        enum Key: String, CodingKey { case kind, formatVersion }
        func encode(to encoder: any Encoder) throws {
            try value.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(kind, forKey: .kind)
            try container.encode(JSONOutput.formatVersion, forKey: .formatVersion)
        }
    }

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
