import Agents
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
        By default the users are the held-out fifth of each world's population, which `mtfsim train` never trains \
        on. Reported per policy: reward per user-day (the long-term objective: session value × return frequency) \
        with a 95% t-interval over complete episodes, reward per session (interval clustered by episode), depth, \
        sessions per user-day, return rate and gap, click rate, watch seconds and interactions per session; and the \
        paired difference of reward per user-day to the first policy.

        Policies are specs (baseline, fixed:…, random, mixture, …) or policy checkpoints from `mtfsim train`. A glob \
        (models/td3-seed*.ckpt) is a group, e.g. one agent trained with several seeds: it is summarised by the mean \
        over its members with a t-interval over members (the training-seed variation).

        Examples:
          mtfsim compare --policy baseline --policy fixed:1,0,0,0,0,0,0 --seeds 3 --sessions 20000
          mtfsim compare --policies 'baseline,random,models/cem-seed*.ckpt,models/td3-seed*.ckpt' --seeds 5 --first-seed 101
        """
    )

    @Option(help: ArgumentHelp("Environment file or preset.", valueName: "file"))
    var env = "environments/short-video.yaml"

    @Option(name: .customLong("policy"), help: ArgumentHelp("A policy spec or checkpoint (repeat for each policy; the first is the reference).", valueName: "spec"))
    var policyOptions: [String] = []

    @Option(name: .customLong("policies"), help: ArgumentHelp(
        "Comma-separated policies (a number after a comma continues the previous spec's weights).", valueName: "list"))
    var policyList: String?

    @Option(help: ArgumentHelp("Users to run: held-out (never trained on), training, or all.", valueName: "pool"))
    var users = UserPool.heldOut

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

    /// The policies in order: `--policy` options, then `--policies`.
    var policies: [String] { policyOptions + (policyList.map(PolicyList.split) ?? []) }

    func validate() throws {
        guard policies.count >= 1 else { throw ValidationError("give at least one --policy or --policies") }
        guard seeds > 0, sessions > 0, threads > 0 else { throw ValidationError("--seeds, --sessions and --threads must be positive") }
    }

    func run() throws {
        let (config, _) = try EnvironmentLoader.resolve(env)
        let list: PolicyList
        do {
            list = try PolicyList(expanding: policies)
        } catch let error as PolicyList.NoMatch {
            throw ValidationError(error.description)
        }
        let progress = ProgressReporter(total: seeds * list.specs.count, unit: "runs", enabled: !json)
        let report: PolicyComparison.Report
        do {
            report = try PolicyComparison.report(config: config, policies: list, firstSeed: firstSeed, seeds: seeds,
                                                 sessions: sessions, threads: threads, users: users,
                                                 resolve: { try PolicyResolver.resolve($0, world: $1) },
                                                 progress: { progress.update($0) })
        } catch let error as PolicySpec.ParseError {
            throw ValidationError(error.description)
        }
        progress.finish()
        if json {
            print(try JSONOutput.encode(report, kind: "compare"))
            return
        }
        print("\(config.name) · \(users.rawValue) users · seeds \(firstSeed)…\(firstSeed + UInt64(seeds) - 1) · \(sessions) sessions per policy and seed · common random numbers")
        for (i, e) in report.policies.enumerated() {
            let f = SummaryText.fixed
            print("[\(i)] \(e.policy)")
            print("    reward/user/day \(f(e.rewardPerUserDay.mean, 2)) [\(f(e.rewardPerUserDay.lower, 2)), \(f(e.rewardPerUserDay.upper, 2))]"
                  + "  reward/session \(f(e.rewardPerSession.mean, 2)) [\(f(e.rewardPerSession.lower, 2)), \(f(e.rewardPerSession.upper, 2))]")
            print("    requests/session \(f(e.requestsPerSession, 2))  sessions/user/day \(f(e.sessionsPerUserDay, 2))"
                  + "  return rate \(f(e.returnRate, 4))  mean gap \(f(e.meanReturnGapHours, 2)) h")
            let interactions = config.taskNames.dropFirst().map { "\($0) \(f(e.taskCountsPerSession[$0] ?? .nan, 2))" }
            print("    click rate \(f(e.clickRate, 4))  watch s/session \(f(e.watchSecondsPerSession, 1))  per session: "
                  + interactions.joined(separator: ", "))
            if let d = e.differenceToFirst {
                print("    vs [0]: \(d.mean >= 0 ? "+" : "")\(f(d.mean, 2)) reward/user/day [\(f(d.lower, 2)), \(f(d.upper, 2))] over \(e.pairedEpisodes) paired episodes")
            }
        }
        for g in report.groups {
            let f = SummaryText.fixed
            print("group \(g.name) (\(g.members.count) policies; intervals over members)")
            print("    reward/user/day \(f(g.rewardPerUserDay.mean, 2)) [\(f(g.rewardPerUserDay.lower, 2)), \(f(g.rewardPerUserDay.upper, 2))]"
                  + "  reward/session \(f(g.rewardPerSession.mean, 2)) [\(f(g.rewardPerSession.lower, 2)), \(f(g.rewardPerSession.upper, 2))]")
            if let d = g.differenceToFirst {
                print("    vs [0]: \(d.mean >= 0 ? "+" : "")\(f(d.mean, 2)) reward/user/day [\(f(d.lower, 2)), \(f(d.upper, 2))]")
            }
        }
    }
}
