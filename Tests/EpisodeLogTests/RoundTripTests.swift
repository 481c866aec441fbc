import EpisodeLog
import Foundation
import GRDB
import Testing

/// What the writer stores, the readers give back exactly: vectors bit for bit (−0.0, subnormals, ±∞, NaN
/// payloads), scalars, flags and metadata.
@Suite struct RoundTripTests {
    let metadata = Fixtures.metadata()
    let sessions = Fixtures.sessions(episodes: 6, metadata: Fixtures.metadata())

    @Test func wholeSessionsReadBackBitIdentical() throws {
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let run = try Fixtures.writeLog(path: path, sessions: sessions)
            let log = try EpisodeLogFile.open(path: path)

            let runs = try log.runs()
            #expect(runs.count == 1)
            #expect(runs[0].id == run)
            #expect(runs[0].status == .complete)
            #expect(runs[0].finishedAt != nil)
            #expect(Exact.text(runs[0].metadata) == Exact.text(metadata))

            for session in sessions {
                let read = try #require(try log.session(run: run, episode: session.episode,
                                                        sessionIndex: session.sessionIndex))
                #expect(Exact.text(read) == Exact.text(session), "session \(session.key)")
            }
            #expect(try log.session(run: run, episode: 999, sessionIndex: 0) == nil)
            try log.verifyIntegrity(full: true)
        }
    }

    @Test func fullIntegrityCheckFindsOrphanRows() throws {
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            try Fixtures.writeLog(path: path, sessions: sessions)
            var unchecked = Configuration()
            unchecked.foreignKeysEnabled = false
            let queue = try DatabaseQueue(path: path, configuration: unchecked)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO impressions VALUES (1, 999, 0, 0, 0, 7, x'', 0, 0, 0.0, NULL, 0)")
            }
            try queue.close()
            let log = try EpisodeLogFile.open(path: path)
            #expect { try log.verifyIntegrity(full: true) } throws: { error in
                "\(error)".contains("1 rows without their parent row, the first in table impressions")
            }
        }
    }

    @Test func streamsReadBackEverythingInKeyOrder() throws {
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let run = try Fixtures.writeLog(path: path, sessions: sessions)
            let log = try EpisodeLogFile.open(path: path)

            // Small batches so every stream crosses several batch boundaries.
            var headers: [String] = []
            try log.sessions(run: run, batchSize: 3).forEach { batch in
                #expect(batch.count <= 3)
                headers += batch.map { session in
                    #expect(session.steps.isEmpty)
                    return Exact.header(session)
                }
            }
            #expect(headers == sessions.map(Exact.header))

            var steps: [String] = []
            try log.steps(run: run, batchSize: 5).forEach { batch in
                steps += batch.map { "\($0.episode)/\($0.sessionIndex) " + Exact.header($0.step) }
            }
            #expect(steps == sessions.flatMap { s in s.steps.map { "\(s.episode)/\(s.sessionIndex) " + Exact.header($0) } })

            var impressions: [String] = []
            try log.impressions(run: run, batchSize: 7).forEach { batch in
                impressions += batch.map { "\($0.episode)/\($0.sessionIndex)/\($0.requestIndex) " + Exact.text($0.impression) }
            }
            let expectedImpressions = sessions.flatMap { s in
                s.steps.flatMap { step in
                    step.impressions.map { "\(s.episode)/\(s.sessionIndex)/\(step.requestIndex) " + Exact.text($0) }
                }
            }
            #expect(!expectedImpressions.isEmpty)
            #expect(impressions == expectedImpressions)

            var candidates: [String] = []
            try log.candidates(run: run, batchSize: 4).forEach { batch in
                candidates += batch.map { "\($0.episode)/\($0.sessionIndex)/\($0.requestIndex) " + Exact.text($0.candidates) }
            }
            #expect(candidates == sessions.flatMap { s in
                s.steps.map { "\(s.episode)/\(s.sessionIndex)/\($0.requestIndex) " + Exact.text($0.candidates) }
            })
        }
    }

    @Test func runWithoutCandidatesAndEmptyVectors() throws {
        // Zero-length layouts are legal (e.g. a policy without reward components): they must store as empty
        // BLOBs, not NULL, and read back as [].
        var metadata = Fixtures.metadata(logsCandidates: false)
        metadata.rewardComponentNames = []
        var sessions = Fixtures.sessions(episodes: 2, metadata: metadata)
        for s in sessions.indices {
            for r in sessions[s].steps.indices { sessions[s].steps[r].rewardComponents = [] }
        }
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let run = try Fixtures.writeLog(path: path, metadata: metadata, sessions: sessions)
            let log = try EpisodeLogFile.open(path: path)
            for session in sessions {
                let read = try #require(try log.session(run: run, episode: session.episode,
                                                        sessionIndex: session.sessionIndex))
                #expect(Exact.text(read) == Exact.text(session))
            }
            #expect(try log.candidates(run: run).next() == nil)
        }
    }

    @Test func invalidMetadataIsRefused() throws {
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let writer = try EpisodeLogFile.create(path: path)
            var metadata = Fixtures.metadata()
            metadata.actionLow = [0]
            #expect { try writer.beginRun(metadata) } throws: { error in
                "\(error)".contains("actionLow/actionHigh have 1/3 values for 3 action names")
            }
            metadata = Fixtures.metadata()
            metadata.policyParameters = "{not json"
            #expect { try writer.beginRun(metadata) } throws: { error in "\(error)".contains("not JSON") }
            #expect { try writer.append(sessions: []) } throws: { error in "\(error)".contains("no run is being written") }
        }
    }
}
