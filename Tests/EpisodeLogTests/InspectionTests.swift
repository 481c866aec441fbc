import EpisodeLog
import Foundation
import Numerics
import Testing

/// What `inspect` and `replay --session` report about a log, from the library.
@Suite struct InspectionTests {
    @Test func feedbackNamesTheRealisedTasksInTaskOrder() {
        let names = ["click", "like", "follow"]
        func impression(_ tasks: UInt32) -> LoggedImpression {
            LoggedImpression(position: 0, item: 1, predictions: [0, 0, 0], tasks: tasks, examined: true, watchSeconds: 1)
        }
        #expect(impression(0).feedback(taskNames: names) == [])
        #expect(impression(0b101).feedback(taskNames: names) == ["click", "follow"])
        #expect(impression(0b111).feedback(taskNames: names) == names)
    }

    @Test func inspectionSummarisesEveryRunWithItsDigest() throws {
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let metadata = Fixtures.metadata()
            let sessions = Fixtures.sessions(episodes: 3, metadata: metadata)
            try Fixtures.writeLog(path: path, metadata: metadata, sessions: sessions)
            let reader = try EpisodeLogFile.open(path: path)
            defer { try? reader.close() }
            let plain = try EpisodeLogInspection(reader: reader, path: path, digest: false)
            let digested = try EpisodeLogInspection(reader: reader, path: path, digest: true)
            #expect(plain.path == path && plain.schemaVersion == reader.schemaVersion)
            #expect(plain.fileBytes == (try reader.fileBytes()))
            let run = try #require(plain.runs.first)
            #expect(plain.runs.count == 1)
            #expect(run.sessions == sessions.count)
            #expect(run.steps == sessions.reduce(0) { $0 + $1.requests })
            #expect(run.impressions == sessions.reduce(0) { $0 + $1.impressions })
            #expect(run.sessionEnds.values.reduce(0, +) == sessions.count)
            #expect(run.taskOrder == metadata.taskNames && Set(run.ratePerImpression.keys) == Set(metadata.taskNames))
            #expect(run.actions.map(\.name) == metadata.actionNames)
            #expect(run.status == "complete" && run.policy == metadata.policySpec && run.seed == metadata.seed)
            #expect(run.logicalDigest == nil)
            let digest = try reader.logicalDigest(run: run.id)
            #expect(digested.runs.first?.logicalDigest == String(format: "%016llx", digest))
        }
    }

    @Test func timelineKeysValuesByName() throws {
        let metadata = Fixtures.metadata()
        var stream = RandomStream(seed: 9)
        let session = Fixtures.session(episode: 2, index: 1, last: true, metadata: metadata, stream: &stream)
        let timeline = SessionTimeline(session: session, metadata: metadata)
        #expect(timeline.episode == 2 && timeline.session == 1 && timeline.requests == session.requests)
        #expect(timeline.steps.count == session.steps.count)
        for (step, logged) in zip(timeline.steps, session.steps) {
            #expect(Set(step.action.keys) == Set(metadata.actionNames))
            #expect(step.action["w_like"]?.bitPattern == logged.action[1].bitPattern)
            #expect(step.impressions.map(\.feedback) == logged.impressions.map { $0.feedback(taskNames: metadata.taskNames) })
        }
    }
}
