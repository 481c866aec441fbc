import EpisodeLog
import Foundation
import Testing

/// The log's logical content depends on the seed only, not on the thread count.
@Suite struct DeterminismTests {
    /// A digest of the sessions, steps, impressions and candidate sets only (the `runs` row names the seed, so
    /// a different seed must differ in the simulated content, not just in the metadata).
    func contentDigest(_ url: URL) throws -> UInt64 {
        let log = try EpisodeLogFile.open(path: url.path)
        defer { try? log.close() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        try log.canonicalDump(run: try LogCheck.onlyRun(log).id) { line in
            guard !line.hasPrefix("runs ") else { return }
            for byte in line.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ 0x0a) &* 0x100_0000_01b3
        }
        return hash
    }

    @Test func threadCountDoesNotChangeTheLogAndTheSeedDoes() throws {
        try withTemporaryDirectory { directory in
            func simulate(seed: Int, threads: Int) throws -> URL {
                let log = directory.appendingPathComponent("seed\(seed)-threads\(threads).sqlite")
                let result = try CLI.run(["simulate", "--env", "tiny", "--sessions", "400", "--seed", "\(seed)",
                                          "--threads", "\(threads)", "--log", log.path, "--json"], in: directory)
                try #require(result.succeeded, "\(result)")
                return log
            }
            let one = try simulate(seed: 11, threads: 1)
            let two = try simulate(seed: 11, threads: 2)
            let other = try simulate(seed: 12, threads: 2)
            #expect(try LogCheck.digest(one) == LogCheck.digest(two))
            #expect(try contentDigest(one) == contentDigest(two))
            #expect(try LogCheck.digest(one) != LogCheck.digest(other))
            #expect(try contentDigest(one) != contentDigest(other))
        }
    }

    @Test func writingOnTheSimulationThreadWritesTheSameLog() throws {
        try withTemporaryDirectory { directory in
            func simulate(threads: Int, _ extra: [String]) throws -> URL {
                let log = directory.appendingPathComponent("threads\(threads)\(extra.joined()).sqlite")
                let result = try CLI.run(["simulate", "--env", "tiny", "--sessions", "300", "--seed", "4",
                                          "--threads", "\(threads)", "--log", log.path, "--json"] + extra, in: directory)
                try #require(result.succeeded, "\(result)")
                return log
            }
            let writerThread = try simulate(threads: 1, [])
            for threads in [1, 2] {
                let inline = try simulate(threads: threads, ["--no-log-writer-thread"])
                #expect(try LogCheck.digest(inline) == LogCheck.digest(writerThread), "threads \(threads)")
                #expect(try contentDigest(inline) == contentDigest(writerThread), "threads \(threads)")
            }
            let refused = try CLI.run(["simulate", "--env", "tiny", "--no-log", "--no-log-writer-thread"], in: directory)
            #expect(!refused.succeeded && refused.stderr.contains("--no-log-writer-thread"))
        }
    }
}
