import EpisodeLog
import Foundation
import Testing

/// Readers open and read a log while a writer holds it open and appends (WAL), and see whole sessions only.
@Suite struct ConcurrentReadTests {
    @Test func readersSeeCommittedSessionsWhileTheWriterRuns() throws {
        let metadata = Fixtures.metadata()
        let sessions = Fixtures.sessions(episodes: 12, metadata: metadata)
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let writer = try EpisodeLogFile.create(path: path)
            let run = try writer.beginRun(metadata)
            try writer.append(sessions: Array(sessions[0..<5]))

            let reader = try EpisodeLogFile.open(path: path, check: .quick)
            #expect(try reader.run(run).status == .running)
            #expect(try EpisodeLogSummary(log: reader, run: run).sessions == 5)

            // A stream started mid-run picks up sessions committed after it started, since their keys come later.
            let stream = reader.sessions(run: run, batchSize: 2)
            var seen = try #require(try stream.next()).map(\.key)
            try writer.append(sessions: Array(sessions[5...]))
            while let batch = try stream.next() { seen += batch.map(\.key) }
            #expect(seen == sessions.map(\.key))

            // A second reader opened now sees everything, while the writer is still open.
            let late = try EpisodeLogFile.open(path: path)
            #expect(try EpisodeLogSummary(log: late, run: run).sessions == sessions.count)
            try writer.finishRun()
            #expect(try late.run(run).status == .complete)
            try writer.close()
            #expect(try late.session(run: run, episode: 0, sessionIndex: 0) != nil)
        }
    }
}
