import EpisodeLog
import Foundation
import Testing

/// `inspect --json` reports what `simulate --json` simulated.
@Suite struct InspectJSONTests {
    func object(_ text: String, _ context: CLI.Result) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(parsed as? [String: Any], "not a JSON object: \(context)")
    }

    @Test func inspectJSONMatchesTheSimulationSummary() throws {
        try withTemporaryDirectory { directory in
            let sessions = 300
            let log = directory.appendingPathComponent("small.sqlite")
            let simulated = try CLI.run(["simulate", "--env", "tiny", "--sessions", "\(sessions)", "--seed", "9",
                                         "--threads", "2", "--log", log.path, "--json"], in: directory)
            try #require(simulated.succeeded, "\(simulated)")
            let report = try object(simulated.stdout, simulated)
            #expect(report["log"] as? String == log.path)
            let summary = try #require(report["summary"] as? [String: Any], "\(simulated)")
            let simulatedRates = try #require(summary["ratePerImpression"] as? [String: Double], "\(simulated)")

            let inspected = try CLI.run(["inspect", "--json", log.path], in: directory)
            try #require(inspected.succeeded, "\(inspected)")
            let inspection = try object(inspected.stdout, inspected)
            #expect(inspection["path"] as? String == log.path)
            let runs = try #require(inspection["runs"] as? [[String: Any]], "\(inspected)")
            try #require(runs.count == 1, "\(inspected)")
            let run = runs[0]
            #expect(run["status"] as? String == "complete")
            #expect(run["environment"] as? String == "tiny")
            #expect(run["sessions"] as? Int == sessions)
            #expect(run["requestedSessions"] as? Int == sessions)
            #expect(run["sessions"] as? Int == summary["sessions"] as? Int)
            #expect(run["steps"] as? Int == summary["requests"] as? Int)
            #expect(run["impressions"] as? Int == summary["impressions"] as? Int)

            let taskNames = ["click", "longView", "hate"]
            #expect(run["taskOrder"] as? [String] == taskNames)
            let rates = try #require(run["ratePerImpression"] as? [String: Double], "\(inspected)")
            #expect(Set(rates.keys) == Set(taskNames))
            #expect(Set(simulatedRates.keys) == Set(taskNames))
            let examined = try #require(run["examinedRate"] as? Double)
            #expect((0...1).contains(examined))
            for name in taskNames {
                let rate = try #require(rates[name]), expected = try #require(simulatedRates[name])
                #expect((0...1).contains(rate), "\(name) rate \(rate)")
                #expect(abs(rate - expected) <= 1e-9, "\(name): inspect \(rate), simulate \(expected)")
            }
            #expect((rates["click"] ?? 0) > 0, "no clicks in \(sessions) sessions")
        }
    }
}
