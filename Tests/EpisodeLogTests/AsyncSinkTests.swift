import EpisodeLog
import Foundation
import Testing

/// The hand-off queue writes every submitted batch in order and reports the writer's errors.
@Suite struct AsyncSinkTests {
    @Test func submittedBatchesAreAllWritten() throws {
        let metadata = Fixtures.metadata()
        let sessions = Fixtures.sessions(episodes: 30, metadata: metadata)
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let reference = directory.appendingPathComponent("reference.sqlite").path
            try Fixtures.writeLog(path: reference, sessions: sessions)

            let writer = try EpisodeLogFile.create(path: path)
            try writer.beginRun(metadata)
            let sink = EpisodeLogWriter.AsyncSink(writer: writer, capacity: 2)
            for start in stride(from: 0, to: sessions.count, by: 3) {
                try sink.submit(Array(sessions[start..<min(start + 3, sessions.count)]))
            }
            try sink.close()
            #expect(throws: EpisodeLogError(path: path, kind: .sinkClosed)) { try sink.submit([]) }
            try writer.finishRun()
            try writer.close()
            #expect(try EpisodeLogFile.open(path: path).logicalDigest()
                    == EpisodeLogFile.open(path: reference).logicalDigest())
        }
    }

    @Test func aWriterErrorStopsTheSinkAndIsReported() throws {
        let metadata = Fixtures.metadata()
        var sessions = Fixtures.sessions(episodes: 6, metadata: metadata)
        sessions[3].taskCounts = [1]
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let writer = try EpisodeLogFile.create(path: path)
            let run = try writer.beginRun(metadata)
            let sink = EpisodeLogWriter.AsyncSink(writer: writer, capacity: 1)
            var submitError: (any Error)?
            for session in sessions {
                do { try sink.submit([session]) } catch { submitError = error; break }
            }
            #expect { try sink.close() } throws: { error in
                "\(error)".contains("taskCounts has 1 values, the run's layout has 3")
            }
            if let submitError { #expect("\(submitError)".contains("taskCounts")) }
            #expect(try writer.committedSessionKeys(run: run) == Set(sessions[0..<3].map(\.key)))
            try writer.markInterrupted()
            #expect(try writer.runs().map(\.status) == [.interrupted])
        }
    }
}
