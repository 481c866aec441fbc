import EpisodeLog
import Foundation
import Testing

/// `train-offline` and `batch-rl` end to end on the tiny preset with small sizes: files written, the JSON report,
/// refusals with one line and nothing written, determinism.
@Suite(.serialized) struct OfflineCommandTests {
    /// A mixture-policy log of the tiny world (seed 5) in `directory`.
    static func makeLog(in directory: URL, name: String = "mixture.sqlite") throws -> URL {
        let log = directory.appendingPathComponent(name)
        let result = try CLI.run(["simulate", "--env", "tiny", "--seed", "5", "--sessions", "200", "--threads", "2",
                                  "--policy", "mixture", "--log", log.path, "--json"], in: directory)
        try #require(result.succeeded, "\(result)")
        return log
    }

    static let small = ["--steps", "200", "--eval-interval", "100", "--eval-episodes", "4", "--hidden", "8,8",
                        "--batch-size", "32", "--threads", "2"]

    @Test func trainOfflineWritesCheckpointCurveAndReport() throws {
        try withTemporaryDirectory { directory in
            let log = try Self.makeLog(in: directory)
            let result = try CLI.run(["train-offline", "--agent", "td3", "--log", log.path, "--out", "models/td3.ckpt",
                                      "--seed", "2", "--json"] + Self.small, in: directory)
            try #require(result.succeeded, "\(result)")
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("models/td3.ckpt").path))
            let curve = try String(contentsOf: directory.appendingPathComponent("models/td3.curve.csv"), encoding: .utf8)
            let lines = LogCheck.lines(curve)
            #expect(lines.count == 3 && lines[0].contains("simulator_oracle_held_out_reward_per_user_day"), "\(curve)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
            #expect(report["agent"] as? String == "td3" && report["steps"] as? Int == 200)
            #expect(report["evaluation"] as? String == "simulator oracle (held-out users)")
            #expect(report["checkpointKind"] as? String == "mtfsim-policy")
            #expect((report["curve"] as? [Any])?.count == 2 && (report["transitions"] as? Int ?? 0) > 0)
            let diagnostics = try #require(report["diagnostics"] as? [String: Any])
            #expect(diagnostics["meanQ"] as? Double != nil)
            let heldOut = try #require(report["heldOut"] as? [String: Any])
            #expect((heldOut["rewardPerUserDay"] as? [String: Any])?["lower"] as? Double != nil)
            let configuration = try #require(report["configuration"] as? [String: Any])
            #expect(configuration["hiddenSizes"] as? [Int] == [8, 8] && configuration["batchSize"] as? Int == 32)

            // The checkpoint is a policy wherever one is taken.
            let simulated = try CLI.run(["simulate", "--env", "tiny", "--seed", "5", "--sessions", "20", "--no-log",
                                         "--policy", "models/td3.ckpt", "--json"], in: directory)
            #expect(simulated.succeeded, "\(simulated)")

            // Text mode labels the evaluation too.
            let text = try CLI.run(["train-offline", "--agent", "td3", "--log", log.path, "--out", "text.ckpt"] + Self.small,
                                   in: directory)
            try #require(text.succeeded, "\(text)")
            #expect(text.stdout.contains("simulator oracle (held-out users)") && text.stdout.contains("mean Q on logged"), "\(text)")
        }
    }

    @Test func trainOfflineRefusalsAreOneLineAndWriteNothing() throws {
        try withTemporaryDirectory { directory in
            let log = try Self.makeLog(in: directory)
            let actor = try CLI.run(["train-offline", "--agent", "td3", "--log", log.path, "--out", "actor.ckpt"] + Self.small,
                                    in: directory)
            try #require(actor.succeeded, "\(actor)")
            let text = directory.appendingPathComponent("notes.txt")
            try Data("These are notes, not an episode log.\n".utf8).write(to: text)
            let before = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))

            let cases: [(arguments: [String], words: [String])] = [
                (["--agent", "sarsa", "--log", log.path], ["--agent", "sarsa", "bcq"]),
                (["--agent", "td3"], ["--log"]),
                (["--agent", "td3", "--log", text.path], [text.path]),
                (["--agent", "td3", "--log", directory.appendingPathComponent("missing.sqlite").path], ["missing.sqlite"]),
                (["--agent", "td3", "--log", log.path, "--run", "9"], ["no run 9"]),
                (["--agent", "td3", "--log", log.path, "--action-box", "0.5", "--around", "actor.ckpt"], ["actor.ckpt", "state"]),
                (["--agent", "td3", "--log", log.path, "--action-box", "0.5", "--around", text.path], [text.path]),
                (["--agent", "td3", "--log", log.path, "--discount", "1.5"], ["--discount"]),
                (["--agent", "td3", "--log", log.path, "--iql-beta", "3"], ["--iql-beta", "iql", "td3"]),
                (["--agent", "iql", "--log", log.path, "--iql-expectile", "1.5"], ["expectile"]),
            ]
            for (arguments, words) in cases {
                let result = try CLI.run(["train-offline", "--out", "refused/x.ckpt"] + arguments + Self.small, in: directory)
                #expect(!result.succeeded && !result.signalled, "\(result)")
                let lines = LogCheck.lines(result.stderr)
                #expect(lines.count == 1, "expected a one-line error: \(result)")
                for word in words { #expect(lines.first?.contains(word) == true, "the error does not say \(word): \(result)") }
                #expect(Set(try FileManager.default.contentsOfDirectory(atPath: directory.path)) == before, "\(result)")
            }
        }
    }

    @Test func logsOfOtherEnvironmentsEmptyRunsAndCheckpointsOfTheWrongKindAreRefused() throws {
        try withTemporaryDirectory { directory in
            let log = try Self.makeLog(in: directory)
            let other = directory.appendingPathComponent("ecommerce.sqlite")
            let simulated = try CLI.run(["simulate", "--env", "ecommerce", "--seed", "5", "--sessions", "20",
                                         "--log", other.path], in: directory)
            try #require(simulated.succeeded, "\(simulated)")
            // A log whose only run has no session.
            let empty = directory.appendingPathComponent("empty.sqlite")
            do {
                let reader = try EpisodeLogFile.open(path: log.path)
                let metadata = try LogCheck.onlyRun(reader).metadata
                try reader.close()
                let writer = try EpisodeLogFile.create(path: empty.path)
                _ = try writer.beginRun(metadata)
                try writer.finishRun()
                try writer.close()
            }
            // A BCQ policy and a ranker: checkpoints of two other kinds than `train`'s.
            let bcq = try CLI.run(["train-offline", "--agent", "bcq", "--log", log.path, "--out", "bcq.ckpt",
                                   "--bcq-vae-hidden", "8,8"] + Self.small, in: directory)
            try #require(bcq.succeeded, "\(bcq)")
            let ranker = try CLI.run(["train-ranker", "--log", log.path, "--epochs", "1", "--expert-layers", "8",
                                      "--tower-layers", "4", "--out", "ranker.ckpt"], in: directory)
            try #require(ranker.succeeded, "\(ranker)")

            // BCQ's policy is taken wherever a policy is.
            for arguments in [["simulate", "--env", "tiny", "--seed", "5", "--sessions", "20", "--no-log", "--policy", "bcq.ckpt"],
                              ["compare", "--env", "tiny", "--first-seed", "5", "--seeds", "1", "--sessions", "20", "--policies", "baseline,bcq.ckpt"],
                              ["replay", log.path, "--resimulate", "--policy", "bcq.ckpt"]] {
                let result = try CLI.run(arguments, in: directory)
                #expect(result.succeeded, "\(result)")
            }

            // SQLite may leave a WAL log's `-shm` and `-wal` files beside it after a read: not outputs.
            func outputs() throws -> Set<String> {
                Set(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasSuffix("-shm") && !$0.hasSuffix("-wal") })
            }
            let before = try outputs()
            let cases: [(arguments: [String], words: [String])] = [
                (["train-offline", "--agent", "td3", "--log", log.path, "--log", other.path], [log.path, other.path]),
                (["train-offline", "--agent", "td3", "--log", empty.path], [empty.path, "no transition"]),
                (["train-offline", "--agent", "td3", "--log", log.path, "--action-box", "0.5", "--around", "bcq.ckpt"], ["bcq.ckpt"]),
                (["simulate", "--env", "tiny", "--no-log", "--policy", "ranker.ckpt"], ["ranker.ckpt"]),
                (["compare", "--env", "tiny", "--sessions", "20", "--policies", "baseline,ranker.ckpt"], ["ranker.ckpt"]),
            ]
            for (arguments, words) in cases {
                let trainOptions = arguments[0] == "train-offline" ? ["--out", "refused/x.ckpt"] + Self.small : []
                let result = try CLI.run(arguments + trainOptions, in: directory)
                #expect(!result.succeeded && !result.signalled, "\(result)")
                let lines = LogCheck.lines(result.stderr)
                #expect(lines.count == 1, "expected a one-line error: \(result)")
                for word in words { #expect(lines.first?.contains(word) == true, "the error does not say \(word): \(result)") }
                #expect(try outputs() == before, "\(result)")
            }
        }
    }

    @Test func batchRLWritesEveryRoundAndIsDeterministic() throws {
        try withTemporaryDirectory { directory in
            // Exploration around a checkpoint is resolved by `PolicyResolver`; skip where this build lacks it.
            let log = try Self.makeLog(in: directory)
            let actor = try CLI.run(["train-offline", "--agent", "td3", "--log", log.path, "--out", "probe.ckpt"] + Self.small,
                                    in: directory)
            try #require(actor.succeeded, "\(actor)")
            let probe = try CLI.run(["simulate", "--env", "tiny", "--seed", "5", "--sessions", "5", "--no-log",
                                     "--policy", "mixture:0.1,0.15@probe.ckpt"], in: directory)
            if !probe.succeeded { try Test.cancel("this build's PolicyResolver does not take exploration around a checkpoint") }

            let common = ["batch-rl", "--env", "tiny", "--seed", "5", "--agent", "td3", "--rounds", "2",
                          "--sessions-per-round", "120", "--steps-per-round", "50", "--eval-episodes", "4",
                          "--hidden", "8,8", "--batch-size", "32"]
            let a = try CLI.run(common + ["--out-dir", "a", "--threads", "1", "--json"], in: directory)
            try #require(a.succeeded, "\(a)")
            let b = try CLI.run(common + ["--out-dir", "b", "--threads", "2"], in: directory)
            try #require(b.succeeded, "\(b)")
            #expect(b.stdout.contains("simulator oracle (held-out users)"), "\(b)")
            for k in 0..<2 {
                for file in ["round-\(k).sqlite", "round-\(k).ckpt"] {
                    #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("a/\(file)").path))
                }
                let (ca, cb) = (try Data(contentsOf: directory.appendingPathComponent("a/round-\(k).ckpt")),
                                try Data(contentsOf: directory.appendingPathComponent("b/round-\(k).ckpt")))
                #expect(ca == cb, "round \(k): the checkpoints differ")
                // Later rounds explore around `a/round-(k−1).ckpt` and `b/…`: the same checkpoint under another path.
                let (la, lb) = (directory.appendingPathComponent("a/round-\(k).sqlite"), directory.appendingPathComponent("b/round-\(k).sqlite"))
                #expect(try LogCheck.digest(la, excluding: ["policy_spec", "policy_parameters"])
                        == LogCheck.digest(lb, excluding: ["policy_spec", "policy_parameters"]))
                let (pa, pb) = (try LogCheck.policyParameters(la), try LogCheck.policyParameters(lb))
                #expect(pa.replacingOccurrences(of: "a/round-", with: "b/round-") == pb, "\(pa) vs \(pb)")
            }
            struct Report: Decodable {
                struct Round: Decodable { var round: Int; var behaviourPolicy: String; var sessions: Int; var checkpoint: String }
                var agent: String
                var evaluation: String
                var rounds: [Round]
            }
            let file = try JSONDecoder().decode(Report.self, from: Data(contentsOf: directory.appendingPathComponent("a/batch-rl.json")))
            let printed = try JSONDecoder().decode(Report.self, from: Data(a.stdout.utf8))
            #expect(file.rounds.map(\.round) == [0, 1] && printed.rounds.map(\.checkpoint) == file.rounds.map(\.checkpoint))
            #expect(file.rounds[1].behaviourPolicy.hasSuffix("@a/round-0.ckpt") && file.rounds.allSatisfy { $0.sessions == 120 })
            #expect(file.evaluation == "simulator oracle (held-out users)" && file.agent == "td3")

            // A folder that holds a run is refused with one line, and left as it is.
            let again = try CLI.run(common + ["--out-dir", "a"], in: directory)
            #expect(!again.succeeded && LogCheck.lines(again.stderr).count == 1 && again.stderr.contains("already exists"), "\(again)")
        }
    }
}
