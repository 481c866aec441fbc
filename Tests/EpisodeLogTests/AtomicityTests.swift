import EpisodeLog
import Foundation
import Testing

/// One `append` is one transaction: a failure anywhere in a batch leaves none of the batch in the file; appends
/// are idempotent; an interrupted run is marked and resumes to the same content as an uninterrupted one.
@Suite struct AtomicityTests {
    let metadata = Fixtures.metadata()
    let sessions = Fixtures.sessions(episodes: 10, metadata: Fixtures.metadata())

    /// Counts of sessions, steps, impressions and candidate sets of run `run`.
    func counts(_ log: EpisodeLogReader, run: Int) throws -> [Int] {
        let summary = try EpisodeLogSummary(log: log, run: run)
        return [summary.sessions, summary.steps, summary.impressions, summary.candidateSets]
    }

    func expectedCounts(_ sessions: some Collection<LoggedSession>) -> [Int] {
        [sessions.count, sessions.reduce(0) { $0 + $1.requests }, sessions.reduce(0) { $0 + $1.impressions },
         sessions.reduce(0) { $0 + $1.requests }]
    }

    @Test func aBatchFailingHalfwayLeavesNothingOfTheBatch() throws {
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let writer = try EpisodeLogFile.create(path: path)
            let run = try writer.beginRun(metadata)
            let committed = Array(sessions[0..<3])
            try writer.append(sessions: committed)

            // Layout check: the 4th session of the batch has a state of the wrong length (found mid-transaction,
            // after three sessions of the batch were inserted).
            var badLayout = Array(sessions[3..<8])
            badLayout[3].steps[0].state.append(1)
            #expect { try writer.append(sessions: badLayout) } throws: { error in
                "\(error)".contains("session (episode \(badLayout[3].episode), index \(badLayout[3].sessionIndex)): "
                                    + "step 0 state has 7 values, the run's layout has 6")
            }

            // SQLite constraint: two impressions at the same position violate the primary key in the database
            // itself, in the last session of the batch.
            var badKey = Array(sessions[3..<8])
            let last = badKey.count - 1
            let stepIndex = try #require(badKey[last].steps.firstIndex { !$0.impressions.isEmpty })
            badKey[last].steps[stepIndex].impressions.append(badKey[last].steps[stepIndex].impressions[0])
            badKey[last].impressions += 1
            #expect { try writer.append(sessions: badKey) } throws: { error in
                "\(error)".contains("UNIQUE constraint failed: impressions.")
            }

            let log = try EpisodeLogFile.open(path: path)
            #expect(try writer.committedSessionKeys(run: run) == Set(committed.map(\.key)))
            #expect(try counts(log, run: run) == expectedCounts(committed))
            try log.verifyIntegrity(full: true)

            // The writer is still usable after a failed batch.
            try writer.append(sessions: Array(sessions[3..<8]))
            #expect(try writer.committedSessionCount(run: run) == 8)
            #expect(try counts(log, run: run) == expectedCounts(sessions[0..<8]))
        }
    }

    @Test func appendingCommittedSessionsAgainChangesNothing() throws {
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let run = try Fixtures.writeLog(path: path, sessions: sessions)
            let digest = try EpisodeLogFile.open(path: path).logicalDigest(run: run)
            let writer = try EpisodeLogFile.openForWriting(path: path)
            try writer.resumeRun(run)
            try writer.append(sessions: Array(sessions[2..<6]))
            try writer.finishRun()
            try writer.close()
            #expect(try EpisodeLogFile.open(path: path).logicalDigest(run: run) == digest)
        }
    }

    @Test func anAbandonedRunIsMarkedInterruptedAndResumesToTheSameContent() throws {
        try Fixtures.withTemporaryDirectory { directory in
            let reference = directory.appendingPathComponent("reference.sqlite").path
            try Fixtures.writeLog(path: reference, sessions: sessions)

            let path = directory.appendingPathComponent("log.sqlite").path
            do {
                // A writer that stops without finishing the run (as after SIGKILL: no chance to mark it).
                let writer = try EpisodeLogFile.create(path: path)
                let run = try writer.beginRun(metadata)
                try writer.append(sessions: Array(sessions[0..<4]))
                try writer.append(sessions: Array(sessions[4..<7]))
                #expect(try EpisodeLogFile.open(path: path).run(run).status == .running)
            }

            let writer = try EpisodeLogFile.openForWriting(path: path)
            let unfinished = try writer.unfinishedRuns()
            #expect(unfinished.map(\.status) == [.interrupted])
            let run = try #require(unfinished.first).id
            let info = try writer.resumeRun(run)
            #expect(Exact.text(info.metadata) == Exact.text(metadata))
            #expect(info.status == .running)
            let done = try writer.committedSessionKeys(run: run)
            #expect(done == Set(sessions[0..<7].map(\.key)))
            try writer.append(sessions: sessions.filter { !done.contains($0.key) })
            try writer.finishRun()
            try writer.close()

            let resumed = try EpisodeLogFile.open(path: path)
            #expect(try resumed.run(run).status == .complete)
            #expect(try resumed.logicalDigest() == EpisodeLogFile.open(path: reference).logicalDigest())
        }
    }
}
