import EpisodeLog
import Foundation
import Numerics
import TestSupport
import Testing

/// The inspect summary against values computed here, independently, from the sessions written.
@Suite struct SummaryTests {
    @Test func summaryMatchesHandComputedValues() throws {
        var metadata = Fixtures.metadata()
        metadata.name = "summary"
        var sessions = Fixtures.sessions(episodes: 7, metadata: metadata, seed: 9)
        // Finite actions and rewards so the moments are comparable.
        var stream = RandomStream(seed: 5)
        for s in sessions.indices {
            for r in sessions[s].steps.indices {
                sessions[s].steps[r].action = (0..<3).map { _ in stream.normalFloat() }
            }
        }
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let run = try Fixtures.writeLog(path: path, metadata: metadata, sessions: sessions)
            let log = try EpisodeLogFile.open(path: path)
            let summary = try EpisodeLogSummary(log: log, run: run)

            let steps = sessions.flatMap(\.steps)
            let impressions = steps.flatMap(\.impressions)
            #expect(summary.runCount == 1)
            #expect(summary.run.metadata.name == "summary")
            #expect(summary.sessions == sessions.count)
            #expect(summary.steps == steps.count)
            #expect(summary.impressions == impressions.count)
            #expect(summary.candidateSets == steps.count)
            #expect(summary.sessionEnds == [0, 1, 2].map { end in sessions.filter { Int($0.end.rawValue) == end }.count })
            #expect(summary.fileBytes == (try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int))

            assertClose(summary.examinedRate,
                        Double(impressions.filter(\.examined).count) / Double(impressions.count))
            #expect(summary.taskRates.map(\.name) == Fixtures.taskNames)
            for (k, rate) in summary.taskRates.enumerated() {
                let positives = impressions.filter { $0.tasks & (1 << UInt32(k)) != 0 }.count
                #expect(rate.positives == positives, "task \(k)")
                assertClose(rate.rate, Double(positives) / Double(impressions.count))
            }

            let rewards = RunningStatistics(steps.map(\.reward))
            assertClose(summary.rewardMean, rewards.mean, relative: 1e-12, absolute: 1e-14)
            assertClose(summary.rewardStandardDeviation, rewards.standardDeviation, relative: 1e-12)
            assertClose(summary.sessionRewardMean, sessions.map(\.reward).reduce(0, +) / Double(sessions.count),
                        relative: 1e-12, absolute: 1e-14)

            #expect(summary.actions.map(\.name) == metadata.actionNames)
            for (d, dimension) in summary.actions.enumerated() {
                let values = steps.map { Double($0.action[d]) }
                let mean = values.reduce(0, +) / Double(values.count)
                let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
                assertClose(dimension.mean, mean, relative: 1e-12, absolute: 1e-14, "action \(d)")
                assertClose(dimension.standardDeviation, sd, relative: 1e-12, "action \(d)")
                #expect(dimension.minimum == values.min() && dimension.maximum == values.max())
            }
        }
    }
}
