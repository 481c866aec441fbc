import EpisodeLog
import Foundation
import Reporting
import Rollout
import Simulator
import Testing
import TestSupport

/// The report's statistics of a log, read back streaming, against what the simulator computed from the same
/// sessions in memory (`SimulationSummary`, what `simulate` and `calibrate` print): the same numbers, by another road.
@Suite("Episode log statistics")
struct EpisodeLogStatisticsTests {
    /// The tiny preset with calibration targets added (tiny has none), so that the charts have targets to draw.
    static let environmentText = (try! String(contentsOfFile: SimulatorFixtures.presetPath("tiny"), encoding: .utf8)) + """

    calibration:
      source: "test targets"
      targets:
        - {metric: rate, task: click, value: 0.5, tolerance: 0.15}
        - {metric: rate, task: hate, value: 0.01, tolerance: 0.3}
        - {metric: gap-share-under-2h, value: 0.5371, tolerance: 0.30, source: "KuaiRand-27K"}
        - {metric: sessions-per-user-day, value: 4.8, tolerance: 0.30}
        - {metric: impressions-per-session, value: 20, tolerance: 0.30}

    """

    /// A logged run of `policy` on the tiny world; returns the log's path and the run's in-memory summary.
    static func loggedRun(policy spec: String, sessions: Int = 300,
                          environmentText: String = environmentText) throws -> (path: String, summary: SimulationSummary, world: World) {
        let config = try EnvironmentLoader.decode(yaml: environmentText, file: "tiny+targets")
        let world = try World(config: config, seed: 3)
        let run = SimulationRun(world: world, environmentText: environmentText, policy: try PolicySpec.parse(spec, world: world),
                                ranker: OracleNoiseRanker(config: config), seed: 3, sessions: sessions, threads: 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).sqlite").path
        let result = try run.run(log: path)
        return (path, result.summary, world)
    }

    static func statistics(_ path: String, feature: String = EpisodeLogStatistics.requestIndexFeature,
                           horizonDays: Double = 2) throws -> EpisodeLogStatistics {
        let reader = try EpisodeLogFile.open(path: path)
        defer { try? reader.close() }
        let run = try #require(try reader.runs().first)
        return try EpisodeLogStatistics.collect(reader: reader, run: run, horizonDays: horizonDays, feature: feature)
    }

    @Test("counts, rates, depth, gaps and reward per user-day equal the simulator's own summary")
    func matchesSimulationSummary() throws {
        let (path, summary, _) = try Self.loggedRun(policy: "mixture")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let stats = try Self.statistics(path)
        #expect(stats.sessions == summary.sessions)
        #expect(stats.episodes == summary.episodes)
        #expect(stats.requests == summary.requests)
        #expect(stats.impressions == summary.impressions)
        for (k, task) in stats.taskNames.enumerated() {
            let rate = Double(stats.taskCounts[k]) / Double(stats.impressions)
            #expect(abs(rate - summary.ratePerImpression[task]!) < 1e-12, "rate of \(task)")
        }
        let depthMean = stats.requestsPerSession.enumerated().reduce(0.0) { $0 + Double($1.offset * $1.element) } / Double(stats.sessions)
        #expect(abs(depthMean - summary.requestsPerSession.mean) < 1e-9)
        #expect(stats.returnGapMinutes.count == summary.returnGaps.returned)
        let under = Double(stats.returnGapMinutes.filter { $0 < 120 }.count) / Double(stats.returnGapMinutes.count)
        #expect(abs(under - summary.returnGaps.shareUnderTwoHours) < 1e-12)
        let perDay = stats.completeEpisodeRewardPerDay
        #expect(abs(perDay.reduce(0, +) / Double(perDay.count) - summary.rewardPerUserDay.mean) < 1e-9)
        let sessionsPerDay = Double(stats.completeEpisodeSessions) / (Double(perDay.count) * 2)
        #expect(abs(sessionsPerDay - summary.sessionsPerUserDay) < 1e-12)
        // Every shown item is counted at its position, every realisation too.
        #expect(stats.shownByPosition.reduce(0, +) == stats.impressions)
        for k in stats.taskNames.indices {
            #expect(stats.taskCountsByPosition.reduce(0) { $0 + $1[k] } == stats.taskCounts[k])
        }
        #expect(stats.featureValues.count == stats.requests)
        #expect(stats.actions.count == stats.requests * stats.actionNames.count)
    }

    @Test("a fixed-weight policy draws flat weights at its own values; a ramp draws its two ends")
    func weightsByRequestIndex() throws {
        let fixed = try Self.loggedRun(policy: "fixed:0.5,0.25,-3", sessions: 120)
        defer { try? FileManager.default.removeItem(atPath: fixed.path) }
        let fixedStats = try Self.statistics(fixed.path)
        let weights = Dictionary(uniqueKeysWithValues: zip(fixedStats.actionNames, [0.5, 0.25, -3.0]))
        let flat = try #require(EpisodeLogCharts.weights(fixedStats, id: "w", what: "test"))
        #expect(flat.rows.count > 3 * 3)
        for row in flat.rows {
            let name = try #require(row["weight"]?.string)
            let expected = try #require(weights[name])
            for key in ["mean", "p10", "p90"] { #expect(abs(row[key]!.number! - expected) < 1e-6, "\(key) of \(row)") }
        }

        let ramp = try Self.loggedRun(policy: "ramp:session.requestIndex=1..3@1,0,0@0,1,-5", sessions: 200)
        defer { try? FileManager.default.removeItem(atPath: ramp.path) }
        let chart = try #require(EpisodeLogCharts.weights(try Self.statistics(ramp.path), id: "w", what: "test"))
        let (click, hate) = (fixedStats.actionNames[0], fixedStats.actionNames[2])
        func mean(_ weight: String, at index: Double) -> Double? {
            chart.rows.first { $0["weight"]?.string == weight && $0["feature"]!.number == index }?["mean"]?.number
        }
        #expect(try abs(#require(mean(click, at: 0)) - 1) < 1e-6)
        #expect(try abs(#require(mean(hate, at: 0)) - 0) < 1e-6)
        #expect(try abs(#require(mean(click, at: 4)) - 0) < 1e-6)
        #expect(try abs(#require(mean(hate, at: 4)) + 5) < 1e-6)
    }

    @Test("weights by a state feature with many values use 20 bins of equal step counts")
    func weightsByContinuousFeature() throws {
        let run = try Self.loggedRun(policy: "mixture", sessions: 120)
        defer { try? FileManager.default.removeItem(atPath: run.path) }
        let reader = try EpisodeLogFile.open(path: run.path)
        let info = try #require(try reader.runs().first)
        try reader.close()
        let feature = try #require(info.metadata.stateNames.first { $0.contains("satisfaction") } ?? info.metadata.stateNames.last)
        let stats = try Self.statistics(run.path, feature: feature)
        let bins = EpisodeLogCharts.binSizes(stats.featureValues)
        #expect(bins.count <= 20 || bins.count == Set(stats.featureValues).count)
        #expect(bins.reduce(0, +) == stats.featureValues.count)
        #expect(throws: ReportError.self) { try Self.statistics(run.path, feature: "no.such.feature") }
    }

    @Test("the rate chart marks each task within or outside its target's tolerance")
    func rateChartAgainstTargets() throws {
        let (path, summary, world) = try Self.loggedRun(policy: "baseline", sessions: 150)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let section = EpisodeLogCharts.section(try Self.statistics(path), config: world.config, file: path, index: 0)
        let rates = try #require(section.charts.first { $0.id.hasSuffix("-rates") })
        let click = try #require(rates.rows.first { $0["task"] == "click" })
        let simulated = summary.ratePerImpression["click"]!
        #expect(abs(click["simulated"]!.number! - simulated) < 1e-12)
        #expect(click["status"]!.string == (abs(simulated - 0.5) <= 0.075 ? "within tolerance" : "outside tolerance"))
        #expect(rates.rows.first { $0["task"] == "longView" }?["status"] == "no target")
        let sessionTargets = try #require(section.charts.first { $0.id.hasSuffix("-session-targets") })
        #expect(sessionTargets.rows.count == 3)
        #expect(section.charts.contains { $0.id.hasSuffix("-gap-bins") })
        // Every chart has rows, a title, a caption and a Vega-Lite specification with its data inline.
        for chart in section.charts {
            #expect(!chart.rows.isEmpty && !chart.title.isEmpty && !chart.caption.isEmpty, "\(chart.id)")
            #expect(chart.spec["data"]?["values"]?.array?.count == chart.rows.count, "\(chart.id)")
            #expect(chart.spec["$schema"]?.string?.contains("vega-lite") == true)
        }
    }

    @Test("a report of the same log twice has a section per input and unique chart ids (the CSV names)")
    func uniqueChartIDs() throws {
        let (path, _, _) = try Self.loggedRun(policy: "baseline", sessions: 60)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var done: [Int] = []
        let report = try ReportBuilder(inputs: [path, path]).build { done.append($0) }
        #expect(done == [1, 2])
        #expect(report.sections.count == 2)
        let ids = report.charts.map(\.id)
        #expect(Set(ids).count == ids.count && ids.count == 2 * report.sections[0].charts.count)
    }

    @Test("a run too short to complete an episode leaves out the per-episode chart and says so")
    func shortRunSaysWhatIsNotDrawn() throws {
        // Tiny has no churn; with a 30-day horizon, 20 sessions end no episode.
        let text = Self.environmentText.replacingOccurrences(of: "horizonDays: 2,", with: "horizonDays: 30,")
        let (path, summary, world) = try Self.loggedRun(policy: "baseline", sessions: 20, environmentText: text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #require(summary.rewardPerUserDay.mean.isNaN, "the run must end before any episode is complete")
        let section = EpisodeLogCharts.section(try Self.statistics(path, horizonDays: 30), config: world.config, file: path, index: 0)
        #expect(!section.charts.contains { $0.id.hasSuffix("-reward") })
        #expect(section.summary.contains("Not drawn: reward per user-day (no complete episode"))
        #expect(section.charts.allSatisfy { !$0.rows.isEmpty })
    }
}
