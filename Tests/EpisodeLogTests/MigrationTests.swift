import EpisodeLog
import Foundation
import GRDB
import Testing

/// A version-1 log (before `impressions.true_probabilities`) is read as it is, and upgraded in place only
/// when opened for writing.
@Suite struct MigrationTests {
    /// Turns a freshly written log into the version-1 layout: drops the v2 column and sets `user_version = 1`.
    private func downgradeToVersion1(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "ALTER TABLE impressions DROP COLUMN true_probabilities")
            try db.execute(sql: "ALTER TABLE impressions DROP COLUMN random_exposure")
            try db.execute(sql: "ALTER TABLE runs DROP COLUMN random_exposure")
            try db.execute(sql: "ALTER TABLE steps DROP COLUMN elapsed_minutes")
            try db.execute(sql: "PRAGMA user_version = 1")
        }
        try queue.close()
    }

    @Test func versionOneLogReadsWithoutTruthAndUpgradesOnWrite() throws {
        let metadata = Fixtures.metadata()
        let sessions = Fixtures.sessions(episodes: 3, metadata: metadata)
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("v1.sqlite").path
            let run = try Fixtures.writeLog(path: path, sessions: Array(sessions.prefix(2)))
            try downgradeToVersion1(path)

            let v1 = try EpisodeLogFile.open(path: path)
            #expect(v1.schemaVersion == 1)
            #expect(try v1.run(run).metadata.randomExposure == 0)
            var streamed = 0
            try v1.impressions(run: run).forEach { batch in
                for keyed in batch {
                    #expect(keyed.impression.trueProbabilities == nil && !keyed.impression.randomExposure)
                    streamed += 1
                }
            }
            #expect(streamed == sessions.prefix(2).reduce(0) { $0 + $1.impressions })
            let first = try #require(try v1.session(run: run, episode: sessions[0].episode,
                                                    sessionIndex: sessions[0].sessionIndex))
            #expect(first.steps.flatMap(\.impressions).allSatisfy { $0.trueProbabilities == nil })

            // Appending migrates the file; old rows keep NULL, new rows carry their truth.
            let writer = try EpisodeLogFile.openForWriting(path: path, legacyStepTiming: Self.timing)
            let second = try writer.beginRun(metadata)
            try writer.append(sessions: [sessions[2]])
            try writer.finishRun()
            try writer.close()
            let v2 = try EpisodeLogFile.open(path: path)
            #expect(v2.schemaVersion == EpisodeLogFile.schemaVersion)
            let appended = try #require(try v2.session(run: second, episode: sessions[2].episode,
                                                       sessionIndex: sessions[2].sessionIndex))
            #expect(Exact.text(appended) == Exact.text(sessions[2]))
            let old = try #require(try v2.session(run: run, episode: sessions[0].episode,
                                                  sessionIndex: sessions[0].sessionIndex))
            #expect(old.steps.flatMap(\.impressions).allSatisfy { $0.trueProbabilities == nil })
            try v2.verifyIntegrity(full: true)
        }
    }

    /// The fixtures' world model as an upgrade sees it: every run's environment gives `Fixtures.browseSeconds`.
    static let timing = LegacyStepTiming { _ in Fixtures.browseSeconds }

    /// Turns a freshly written log into the version-2 layout: drops `steps.elapsed_minutes`, sets `user_version = 2`,
    /// and marks one step the way version 2 did for a session that hit its request cap (`truncated` without the
    /// horizon).
    private func downgradeToVersion2(_ path: String, cappedStep: (episode: Int, session: Int, request: Int)) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "ALTER TABLE steps DROP COLUMN elapsed_minutes")
            try db.execute(sql: "UPDATE steps SET truncated = 1 WHERE episode = ? AND session_index = ? AND request_index = ?",
                           arguments: [cappedStep.episode, cappedStep.session, cappedStep.request])
            try db.execute(sql: "PRAGMA user_version = 2")
        }
        try queue.close()
    }

    @Test("a version-2 log reads without step times, and opened for writing gets them as the simulator counted them")
    func versionTwoUpgradeDerivesElapsedMinutes() throws {
        let sessions = Fixtures.sessions(episodes: 4, metadata: Fixtures.metadata())
        let capped = try #require(sessions.first { $0.end == .returned })
        let cappedStep = (capped.episode, capped.sessionIndex, capped.steps.count - 1)
        // With the world model; without one; with one that cannot read the run's environment.
        let unreadable = LegacyStepTiming { _ in throw EpisodeLogError(path: "environment", kind: .emptyFile) }
        for (timing, derives) in [(Self.timing, true), (nil, false), (unreadable, false)] {
            try Fixtures.withTemporaryDirectory { directory in
                let path = directory.appendingPathComponent("v2.sqlite").path
                let run = try Fixtures.writeLog(path: path, sessions: sessions)
                try downgradeToVersion2(path, cappedStep: cappedStep)

                let v2 = try EpisodeLogFile.open(path: path)
                #expect(v2.schemaVersion == 2)
                try v2.steps(run: run).forEach { batch in #expect(batch.allSatisfy { $0.step.elapsedMinutes == nil }) }
                try v2.close()

                try EpisodeLogFile.openForWriting(path: path, legacyStepTiming: timing).close()
                let v3 = try EpisodeLogFile.open(path: path)
                #expect(v3.schemaVersion == 3)
                var read: [KeyedStep] = []
                try v3.steps(run: run).forEach { read += $0 }
                let written = sessions.flatMap { s in s.steps.map { (s.episode, s.sessionIndex, $0) } }
                #expect(read.count == written.count)
                for (keyed, (episode, session, step)) in zip(read, written) {
                    #expect(keyed.episode == episode && keyed.sessionIndex == session)
                    // Bit for bit the minutes the fixture counted as the simulator does, or unknown without a world model.
                    #expect(keyed.step.elapsedMinutes == (derives ? step.elapsedMinutes : nil),
                            "step (\(episode), \(session), \(step.requestIndex))")
                    // Version 2's request-cap mark is not a horizon cut: version 3 clears it.
                    #expect(!keyed.step.truncated)
                }
                try v3.verifyIntegrity(full: true)
            }
        }
    }
}
