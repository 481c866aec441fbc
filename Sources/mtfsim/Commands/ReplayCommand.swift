import Agents
import ArgumentParser
import EpisodeLog
import Foundation
import Rollout
import Simulator

/// `mtfsim replay`: step through a logged session, re-rank logged candidate sets, or re-simulate the logged users.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay logged sessions: a session's timeline, counterfactual re-ranking, or paired re-simulation.",
        discussion: """
        --session EPISODE:SESSION: the session's timeline: each request's state summary, fusion weights, shown \
        items with their predictions and the user's feedback, and how the session ended.

        --rerank --policy SPEC: re-rank every logged candidate set (needs a run logged with --log-candidates) and \
        report, per task, the share of engaged items the policy keeps in its top N and the NDCG@N of the logged \
        feedback.

        --resimulate --policy SPEC: re-run the logged users from the same start with the same random streams (and \
        the logged ranker) under SPEC and report paired differences (SPEC − logged) with 95% intervals over episodes.

        Examples:
          mtfsim replay logs/tiny-seed1-20261129-080000.sqlite --session 0:0
          mtfsim replay LOG --resimulate --policy fixed:1,0,0,0,0,0,0
        """
    )

    @Argument(help: ArgumentHelp("The episode log.", valueName: "log"))
    var log: String

    @Option(name: .customLong("run"), help: ArgumentHelp("Run id within the log (default: the last run).", valueName: "id"))
    var runID: Int?

    @Option(help: ArgumentHelp("Show this session's timeline.", valueName: "episode:session"))
    var session: SessionAddress?

    @Flag(help: "Re-rank the logged candidate sets under --policy.")
    var rerank = false

    @Flag(help: "Re-simulate the logged users under --policy with common random numbers.")
    var resimulate = false

    @Option(help: ArgumentHelp("Policy for --rerank / --resimulate (same forms as `simulate --policy`).", valueName: "spec"))
    var policy: String?

    @Option(help: ArgumentHelp("Worker threads for --resimulate.", valueName: "count"))
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        let modes = [session != nil, rerank, resimulate].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("choose one of --session, --rerank or --resimulate") }
        if (rerank || resimulate) && policy == nil { throw ValidationError("--rerank and --resimulate need --policy") }
    }

    func run() throws {
        let reader = try EpisodeLogFile.open(path: log)
        defer { try? reader.close() }
        let runs = try reader.runs()
        guard let info = runID.map({ id in runs.first { $0.id == id } }) ?? runs.last else {
            throw CommandFailure("\(log): no run \(runID.map(String.init) ?? "") in this log")
        }
        if let session {
            guard let logged = try reader.session(run: info.id, episode: session.episode, sessionIndex: session.session) else {
                throw CommandFailure("\(log): run \(info.id) has no session \(session.episode):\(session.session)")
            }
            if json {
                print(try JSONOutput.encode(SessionTimeline(session: logged, metadata: info.metadata)))
            } else {
                print(Timeline.render(logged, metadata: info.metadata))
            }
            return
        }
        let world = try Replay.world(of: info, path: log)
        let parsed: any FusionPolicy
        do {
            parsed = try PolicyResolver.resolve(policy!, world: world)
        } catch let error as PolicySpec.ParseError {
            throw ValidationError(error.description)
        }
        if rerank {
            guard info.metadata.logsCandidates else {
                throw CommandFailure("\(log): run \(info.id) was logged without candidate sets; simulate with --log-candidates")
            }
            let rows = try Replay.rerank(reader: reader, run: info, world: world, policy: parsed)
            if json { print(try JSONOutput.encode(rows)); return }
            print("re-ranking run \(info.id) (\(info.metadata.policySpec)) under \(parsed.spec), top \(info.metadata.slateSize)")
            print("task        engaged   kept in top N   NDCG@N")
            for r in rows {
                print(r.task.padding(toLength: 10, withPad: " ", startingAt: 0)
                      + String(format: " %9d %14.3f %9.3f", r.engaged, r.keptShare, r.ndcg))
            }
        } else {
            let result = try Replay.resimulate(reader: reader, run: info, world: world, policy: parsed, threads: threads)
            if json { print(try JSONOutput.encode(result)); return }
            let f = SummaryText.fixed
            func line(_ name: String, _ e: SimulationSummary.Estimate) -> String {
                "\(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(e.mean >= 0 ? "+" : "")\(f(e.mean, 3)) [\(f(e.lower, 3)), \(f(e.upper, 3))]"
            }
            print("re-simulating run \(info.id): \(parsed.spec) − \(info.metadata.policySpec), \(result.episodes) paired episodes (common random numbers, 95% CI)")
            print(line("reward per session", result.rewardPerSession))
            print(line("requests per session", result.requestsPerSession))
            print(line("return gap (hours)", result.returnGapHours))
            print(line("sessions per episode", result.sessionsPerEpisode))
        }
    }
}

/// A readable timeline of one logged session.
enum Timeline {
    static func render(_ s: LoggedSession, metadata m: RunMetadata) -> String {
        let f = SummaryText.fixed
        var lines = ["episode \(s.episode) (user \(s.user)), session \(s.sessionIndex): starts at \(f(s.startMinutes / 60, 2)) h, "
                     + "\(s.requests) requests, \(s.impressions) impressions, \(f(s.watchSeconds, 1)) s watched, reward \(f(s.reward, 3))"]
        let watched = ["session.requestIndex", "session.minutes", "last.playRate", "history.logGapHours"]
        for step in s.steps {
            let state = watched.compactMap { name in m.stateNames.firstIndex(of: name).map { "\(name.split(separator: ".").last!)=\(f(Double(step.state[$0]), 2))" } }
            let action = zip(m.actionNames, step.action).map { "\($0.0.dropFirst(2))=\(f(Double($0.1), 3))" }
            lines.append("  request \(step.requestIndex): \(state.joined(separator: " "))")
            lines.append("    weights \(action.joined(separator: " ")) · exploration group \(step.explorationGroup), log-density \(f(step.logDensity, 2)) · reward \(f(step.reward, 3))")
            for imp in step.impressions {
                let predicted = zip(m.taskNames, imp.predictions).prefix(3).map { "\($0.0) \(f(Double($0.1), 3))" }.joined(separator: ", ")
                let feedback = imp.feedback(taskNames: m.taskNames)
                let outcome = !imp.examined ? "not examined" : feedback.isEmpty ? "skipped" : feedback.joined(separator: "+") + " (\(f(Double(imp.watchSeconds), 1)) s)"
                lines.append("      #\(imp.position) item \(imp.item): predicted \(predicted) → \(outcome)")
            }
            if step.sessionEnd {
                let end = String(describing: s.end)
                lines.append("    left after this request: \(end)" + (s.returnGapMinutes.map { ", back after \(f($0 / 60, 2)) h" } ?? ""))
            }
        }
        return lines.joined(separator: "\n")
    }
}
