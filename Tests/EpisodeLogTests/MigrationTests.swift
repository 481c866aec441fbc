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
            let writer = try EpisodeLogFile.openForWriting(path: path)
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
}
