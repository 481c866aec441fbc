import EpisodeLog
import Foundation
import Testing

/// `mtfsim simulate --episodes LOW..HIGH`: shards of one run. Two range logs together hold exactly the logical
/// content of one range run over their union (whatever the thread counts), a range run's episodes are those of a
/// `--sessions` run, and senseless combinations are refused before any work.
@Suite struct EpisodeRangeCLITests {
    /// The canonical dump of a log's only run (`EpisodeLogReader.canonicalDump`): its `runs` line (without the
    /// columns in `excluding`), and its other lines, which all name an episode.
    static func dump(_ url: URL, excluding: Set<String> = []) throws -> (run: String, rows: [String]) {
        let log = try EpisodeLogFile.open(path: url.path)
        defer { try? log.close() }
        var run = "", rows: [String] = []
        try log.canonicalDump(run: try LogCheck.onlyRun(log).id, excluding: excluding) { line in
            if line.hasPrefix("runs ") { run = line } else { rows.append(line) }
        }
        return (run, rows)
    }

    /// The episode a dump line belongs to (`episode=i:N`).
    static func episode(_ line: String) -> Int? {
        guard let marker = line.range(of: " episode=i:") else { return nil }
        return Int(line[marker.upperBound...].prefix { $0.isNumber })
    }

    func simulate(_ arguments: [String], log: URL, in directory: URL) throws -> [String: Any] {
        let result = try CLI.run(["simulate", "--env", "tiny", "--seed", "4", "--log", log.path, "--json"] + arguments,
                                 in: directory)
        try #require(result.succeeded, "\(result)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func twoShardsAreOneRun() throws {
        try withTemporaryDirectory { directory in
            let (whole, a, b) = (directory.appendingPathComponent("whole.sqlite"),
                                 directory.appendingPathComponent("a.sqlite"), directory.appendingPathComponent("b.sqlite"))
            let reportWhole = try simulate(["--episodes", "0..90", "--threads", "2"], log: whole, in: directory)
            let reportA = try simulate(["--episodes", "0..41", "--threads", "1"], log: a, in: directory)
            let reportB = try simulate(["--episodes", "41..90", "--threads", "1"], log: b, in: directory)
            #expect(reportA["episodes"] as? [String: Int] == ["low": 0, "high": 41])

            let (dumpWhole, dumpA, dumpB) = (try Self.dump(whole, excluding: ["name"]), try Self.dump(a, excluding: ["name"]),
                                             try Self.dump(b, excluding: ["name"]))
            #expect(!dumpA.rows.isEmpty && !dumpB.rows.isEmpty)
            #expect((dumpA.rows + dumpB.rows).sorted() == dumpWhole.rows.sorted(), "the shards' content is not the run's")
            #expect(Set(dumpA.rows.compactMap(Self.episode)) == Set(0..<41))
            #expect(Set(dumpB.rows.compactMap(Self.episode)) == Set(41..<90))
            // The same run apart from its name, which records the range.
            #expect(dumpA.run == dumpWhole.run && dumpB.run == dumpWhole.run)
            #expect(try LogCheck.onlyRun(try EpisodeLogFile.open(path: a.path)).metadata.name == "tiny-seed4-episodes0..41")

            func summary(_ report: [String: Any]) -> [String: Any] { report["summary"] as? [String: Any] ?? [:] }
            for key in ["sessions", "requests", "impressions", "episodes"] {
                let total = (summary(reportA)[key] as? Int ?? -1) + (summary(reportB)[key] as? Int ?? -1)
                #expect(total == summary(reportWhole)[key] as? Int, "\(key)")
            }
        }
    }

    @Test func rangeRunHasTheEpisodesOfASessionsRun() throws {
        try withTemporaryDirectory { directory in
            let (sessionsLog, rangeLog) = (directory.appendingPathComponent("s.sqlite"), directory.appendingPathComponent("r.sqlite"))
            _ = try simulate(["--sessions", "600", "--threads", "2"], log: sessionsLog, in: directory)
            _ = try simulate(["--episodes", "7..20", "--threads", "1"], log: rangeLog, in: directory)
            let full = try Self.dump(sessionsLog).rows, range = try Self.dump(rangeLog).rows
            let episodes = Set(full.compactMap(Self.episode))
            try #require(episodes.max() ?? 0 > 20, "the sessions run must cover episodes 7..<20 with whole episodes")
            #expect(range.sorted() == full.filter { (7..<20).contains(Self.episode($0) ?? -1) }.sorted())
        }
    }

    @Test func resumeOfACompleteRangeRunIsRefusedAndTheRangeIsKept() throws {
        try withTemporaryDirectory { directory in
            let log = directory.appendingPathComponent("r.sqlite")
            _ = try simulate(["--episodes", "3..9", "--threads", "1"], log: log, in: directory)
            let before = try LogCheck.bytes(log)
            let result = try CLI.run(["simulate", "--resume", log.path], in: directory)
            #expect(!result.succeeded && result.stderr.contains("nothing to resume"), "\(result)")
            #expect(try LogCheck.bytes(log) == before)
        }
    }

    @Test func senselessRangesAreRefused() throws {
        let refused: [([String], String)] = [
            (["--episodes", "5..5"], "--episodes must be LOW..HIGH"),
            (["--episodes", "9..3"], "--episodes must be LOW..HIGH"),
            (["--episodes=-1..3"], "--episodes must be LOW..HIGH"),
            (["--episodes", "10"], "--episodes must be LOW..HIGH"),
            (["--episodes", "0..x"], "--episodes must be LOW..HIGH"),
            (["--episodes", "0..10", "--sessions", "50"], "--episodes cannot be combined with --sessions"),
            (["--episodes", "0..10", "--resume", "r.sqlite"], "--episodes cannot be combined with --resume"),
        ]
        for (arguments, message) in refused {
            try withTemporaryDirectory { directory in
                let result = try CLI.run(["simulate", "--env", "tiny"] + arguments, in: directory)
                #expect(!result.signalled && result.status == 64, "\(result)")
                let errors = LogCheck.lines(result.stderr).filter { $0.hasPrefix("Error:") }
                #expect(errors.count == 1 && errors.first?.contains(message) == true, "\(result)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.isEmpty,
                        "a refused command left files: \(result)")
            }
        }
    }
}
