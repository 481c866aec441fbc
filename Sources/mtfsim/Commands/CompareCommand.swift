import ArgumentParser
import Foundation
import Rollout
import Simulator

/// `mtfsim compare`: several policies on the same users with common random numbers.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare fusion policies on the same simulated users (common random numbers), with 95% intervals.",
        discussion: """
        Every policy runs the same episodes for each seed: same users, same response, retrieval and return streams. \
        Reported per policy: reward per user-day (the long-term objective: session value × return frequency) with a \
        95% t-interval over complete episodes, reward per session (interval clustered by episode), depth, sessions per \
        user-day, click rate, watch seconds; and the paired difference of reward per user-day to the first policy.

        Example:
          mtfsim compare --policy baseline --policy fixed:1,0,0,0,0,0,0 --seeds 3 --sessions 20000
        """
    )

    @Option(help: ArgumentHelp("Environment file or preset.", valueName: "file"))
    var env = "environments/short-video.yaml"

    @Option(name: .customLong("policy"), help: ArgumentHelp("A policy spec (repeat for each policy; the first is the reference).", valueName: "spec"))
    var policies: [String] = []

    @Option(help: "Number of seeds: each is a new world and a new population of users.")
    var seeds = 3

    @Option(help: "The first seed (seeds are first-seed, first-seed + 1, …); evaluate on seeds not used for tuning.")
    var firstSeed: UInt64 = 1

    @Option(help: ArgumentHelp("Sessions per policy and seed.", valueName: "count"))
    var sessions = 20_000

    @Option(help: ArgumentHelp("Worker threads (results do not depend on it).", valueName: "count"))
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard policies.count >= 1 else { throw ValidationError("give at least one --policy") }
        guard seeds > 0, sessions > 0, threads > 0 else { throw ValidationError("--seeds, --sessions and --threads must be positive") }
    }

    func run() throws {
        let (config, _) = try EnvironmentLoader.resolve(env)
        let progress = ProgressReporter(total: seeds * policies.count, unit: "runs", enabled: !json)
        let comparison: PolicyComparison
        do {
            comparison = try PolicyComparison.run(config: config, policies: policies,
                                                  seeds: (0..<UInt64(seeds)).map { firstSeed + $0 },
                                                  sessions: sessions, threads: threads, progress: { progress.update($0) })
        } catch let error as PolicySpec.ParseError {
            throw ValidationError(error.description)
        }
        progress.finish()
        if json {
            print(try JSONOutput.encode(comparison.entries))
            return
        }
        print("\(config.name) · seeds \(firstSeed)…\(firstSeed + UInt64(seeds) - 1) · \(sessions) sessions per policy and seed · common random numbers")
        for (i, e) in comparison.entries.enumerated() {
            let f = SummaryText.fixed
            print("[\(i)] \(e.policy)")
            print("    reward/user/day \(f(e.rewardPerUserDay.mean, 2)) [\(f(e.rewardPerUserDay.lower, 2)), \(f(e.rewardPerUserDay.upper, 2))]"
                  + "  reward/session \(f(e.rewardPerSession.mean, 2)) [\(f(e.rewardPerSession.lower, 2)), \(f(e.rewardPerSession.upper, 2))]")
            print("    requests/session \(f(e.requestsPerSession, 2))  sessions/user/day \(f(e.sessionsPerUserDay, 2))"
                  + "  click rate \(f(e.clickRate, 4))  watch s/session \(f(e.watchSecondsPerSession, 1))")
            if let d = e.differenceToFirst {
                print("    vs [0]: \(d.mean >= 0 ? "+" : "")\(f(d.mean, 2)) reward/user/day [\(f(d.lower, 2)), \(f(d.upper, 2))] over \(e.pairedEpisodes) paired episodes")
            }
        }
    }
}
