import EpisodeLog
import Foundation
import Numerics
import Testing

/// Natural keys make a log's logical content independent of the order sessions were written in (lanes and
/// threads finish sessions in varying order).
@Suite struct WriteOrderTests {
    @Test func sameSessionsInAnotherOrderGiveTheSameLogicalContent() throws {
        let sessions = Fixtures.sessions(episodes: 8, metadata: Fixtures.metadata())
        var shuffled = sessions
        var generator = SplitMix64(seed: 3)
        shuffled.shuffle(using: &generator)
        #expect(shuffled.map(\.key) != sessions.map(\.key))

        try Fixtures.withTemporaryDirectory { directory in
            let first = directory.appendingPathComponent("a.sqlite").path
            let second = directory.appendingPathComponent("b.sqlite").path
            let third = directory.appendingPathComponent("c.sqlite").path
            try Fixtures.writeLog(path: first, sessions: sessions, batchSize: 5)
            try Fixtures.writeLog(path: second, sessions: shuffled, batchSize: 3)
            var changed = sessions
            changed[4].steps[0].state[0] = changed[4].steps[0].state[0].nextUp
            try Fixtures.writeLog(path: third, sessions: changed, batchSize: 5)

            func dump(_ path: String) throws -> [String] {
                var lines: [String] = []
                try EpisodeLogFile.open(path: path).canonicalDump { lines.append($0) }
                return lines
            }
            let a = try dump(first), b = try dump(second), c = try dump(third)
            let rowCount = 1 + sessions.count + sessions.reduce(0) { $0 + 2 * $1.requests + $1.impressions }
            #expect(a.count == rowCount)
            #expect(a == b)
            #expect(try EpisodeLogFile.open(path: first).logicalDigest() == EpisodeLogFile.open(path: second).logicalDigest())
            // The comparison can fail: one ulp in one state value changes the content.
            #expect(a != c)
            #expect(try EpisodeLogFile.open(path: first).logicalDigest() != EpisodeLogFile.open(path: third).logicalDigest())
        }
    }
}
