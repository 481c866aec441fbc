import Numerics
import Rollout
import Simulator
import Testing
import TestSupport

@Suite("Simulation summary")
struct SummaryTests {
    let config = Fixtures.tinyConfig
    var records: [SessionRecord] { Fixtures.tinyRun.sessions }

    @Test func totalsAndRatesAreSumsOverRecords() {
        let records = self.records
        let s = SimulationSummary(sessions: records, config: config)
        let impressions = records.reduce(0) { $0 + $1.impressions }
        #expect(s.sessions == records.count)
        #expect(s.episodes == Set(records.map(\.episode)).count)
        #expect(s.requests == records.reduce(0) { $0 + $1.requests })
        #expect(s.impressions == impressions)
        for (k, name) in config.taskNames.enumerated() {
            let total = records.reduce(0) { $0 + $1.taskCounts[k] }
            assertClose(s.ratePerImpression[name] ?? .nan, Double(total) / Double(impressions), relative: 1e-12, "\(name)")
        }
        #expect(s.ratePerImpression.count == config.tasks.count)
        // The cascade shows in the rates.
        #expect(s.ratePerImpression["longView"]! <= s.ratePerImpression["click"]!)
        #expect(s.ratePerImpression["click"]! > 0.1 && s.ratePerImpression["click"]! < 0.9)
        let watch = records.reduce(0) { $0 + $1.watchSeconds }
        assertClose(s.watchSecondsPerImpression, watch / Double(impressions), relative: 1e-12)
        assertClose(s.watchSecondsPerSession, watch / Double(records.count), relative: 1e-12)
        assertClose(s.impressionsPerSession, Double(impressions) / Double(records.count), relative: 1e-12)
        let depths = RunningStatistics(records.map { Double($0.requests) })
        assertClose(s.requestsPerSession.mean, depths.mean, relative: 1e-12)
        assertClose(s.requestsPerSession.standardDeviation, depths.standardDeviation, relative: 1e-9)
        let q = quantiles(records.map { Double($0.requests) }, [0.1, 0.5, 0.9])
        #expect([s.requestsPerSession.p10, s.requestsPerSession.p50, s.requestsPerSession.p90] == q)
        #expect(s.truncatedSessions == records.filter(\.truncated).count)
    }

    /// The 95% interval for the mean session reward clustered by episode, computed here from the records as the
    /// intercept-only regression's cluster-robust (CR1) sandwich: ê_i = y_i − ȳ,
    /// Var(ȳ) = G/(G − 1) · Σ_g (Σ_{i∈g} ê_i)² / n², half-width t(0.975, G − 1) · √Var(ȳ) (Cameron & Miller,
    /// "A Practitioner's Guide to Cluster-Robust Inference", 2015, §2.3 and §4.3).
    static func clusteredOracle(_ records: [SessionRecord]) -> (mean: Double, halfWidth: Double, clusters: Int) {
        let n = Double(records.count)
        let mean = records.reduce(0) { $0 + $1.reward } / n
        var scores: [Int: Double] = [:]
        for r in records { scores[r.episode, default: 0] += r.reward - mean }
        let g = Double(scores.count)
        let meat = scores.values.reduce(0) { $0 + $1 * $1 }
        let variance = g / (g - 1) * meat / (n * n)
        return (mean, StudentT.quantile(0.975, degreesOfFreedom: g - 1) * variance.squareRoot(), scores.count)
    }

    @Test func rewardIntervalClusteredByEpisode() {
        let records = self.records
        let s = SimulationSummary(sessions: records, config: config)
        let mean = records.reduce(0) { $0 + $1.reward } / Double(records.count)
        assertClose(s.rewardPerSession.mean, mean, relative: 1e-12)
        #expect(s.rewardPerSession.lower < mean && mean < s.rewardPerSession.upper)
        assertClose(s.rewardPerSession.mean - s.rewardPerSession.lower, s.rewardPerSession.upper - s.rewardPerSession.mean,
                    relative: 1e-9)
        let oracle = Self.clusteredOracle(records)
        #expect(oracle.clusters > 30 && oracle.clusters < records.count / 2, "\(oracle.clusters) episodes")
        assertClose(s.rewardPerSession.upper - s.rewardPerSession.mean, oracle.halfWidth, relative: 1e-9,
                    "half-width of the reward interval is not the episode-clustered one")
        // Clustering by episode widens the interval relative to the naive i.i.d. t-interval when sessions of
        // a user are positively correlated; at least it is of the same order.
        let naive = tInterval(values: records.map(\.reward))
        let ratio = (s.rewardPerSession.upper - s.rewardPerSession.lower) / (naive.upper - naive.lower)
        #expect(ratio > 0.5 && ratio < 5, "clustered / naive width \(ratio)")
    }

    @Test("the reward interval follows the episodes, not the sessions, when sessions of a user are correlated")
    func rewardIntervalWidensWithinEpisodeCorrelation() {
        // Rewards that are almost all episode effect: a level per episode, spread 0…12, plus a session term of at most
        // 0.04. The intra-episode correlation is near 1, so the clustered variance is about the design effect
        // 1 + (m̄ − 1)ρ times the naive one (m̄ sessions per episode).
        let records = self.records.map { r -> SessionRecord in
            var r = r
            r.reward = Double((r.episode &* 7_919) % 13) + 0.01 * Double((r.sessionIndex &* 31 &+ r.episode) % 5)
            return r
        }
        let s = SimulationSummary(sessions: records, config: config)
        let oracle = Self.clusteredOracle(records)
        assertClose(s.rewardPerSession.mean, oracle.mean, relative: 1e-12)
        assertClose(s.rewardPerSession.upper - s.rewardPerSession.mean, oracle.halfWidth, relative: 1e-9,
                    "half-width of the reward interval is not the episode-clustered one")
        assertClose(s.rewardPerSession.mean - s.rewardPerSession.lower, oracle.halfWidth, relative: 1e-9,
                    "half-width of the reward interval is not the episode-clustered one")
        let naive = tInterval(values: records.map(\.reward))
        let ratio = (s.rewardPerSession.upper - s.rewardPerSession.lower) / (naive.upper - naive.lower)
        let sessionsPerEpisode = Double(records.count) / Double(oracle.clusters)
        #expect(sessionsPerEpisode > 8, "\(sessionsPerEpisode) sessions per episode: too few for the width test to tell the intervals apart")
        #expect(ratio > 0.5 * sessionsPerEpisode.squareRoot(),
                "clustered / naive width \(ratio) with \(sessionsPerEpisode) sessions per episode: the interval ignores the episodes")
    }

    @Test func clusteredMeanKnownAnswer() {
        // Clusters {1, 2}, {3}, {4, 5, 6}: mean 3.5; cluster residuals −4, −0.5, 4.5 (Σ² = 36.5);
        // SE = √(36.5 / (3·2)) / 2; t(0.975, 2) = 4.302653.
        let e = SimulationSummary.clusteredMean([(0, 1), (0, 2), (1, 3), (2, 4), (2, 5), (2, 6)])
        let se = (36.5 / 6).squareRoot() / 2
        assertClose(e.mean, 3.5)
        assertClose(e.upper - e.mean, 4.302653 * se, relative: 1e-5)
        assertClose(e.mean - e.lower, 4.302653 * se, relative: 1e-5)
        // Order does not matter.
        let shuffled = SimulationSummary.clusteredMean([(2, 6), (1, 3), (0, 2), (2, 4), (0, 1), (2, 5)])
        assertClose(shuffled.lower, e.lower, relative: 1e-12)
        // One cluster: no interval; none: nothing.
        let single = SimulationSummary.clusteredMean([(4, 1), (4, 3)])
        #expect(single.mean == 2 && single.lower.isNaN && single.upper.isNaN)
        #expect(SimulationSummary.clusteredMean([]).mean.isNaN)
        // Singleton clusters: the usual standard error s/√n.
        let values: [Double] = [1, 4, 2, 8, 5, 7]
        let iid = SimulationSummary.clusteredMean(values.enumerated().map { ($0.offset, $0.element) })
        let stats = RunningStatistics(values)
        let t = StudentT.quantile(0.975, degreesOfFreedom: 5)
        assertClose(iid.upper - iid.mean, t * stats.standardError, relative: 1e-9)
    }

    @Test func sessionsPerUserDayOverCompleteEpisodes() throws {
        let records = self.records
        let horizon = config.episode.horizonDays
        let complete = completeEpisodes(records)
        let lastEpisode = try #require(records.last?.episode)
        let full = records.filter { complete.contains($0.episode) }
        let expected = Double(full.count) / (Double(complete.count) * horizon)
        let s = SimulationSummary(sessions: records, config: config)
        assertClose(s.sessionsPerUserDay, expected, relative: 1e-12)
        // An incomplete last episode does not count: cutting the run inside an episode leaves the value
        // of the complete ones.
        let cut = Array(records.prefix { !($0.episode == lastEpisode && $0.sessionIndex > 0) })
        let cutComplete = completeEpisodes(cut)
        let cutFull = cut.filter { cutComplete.contains($0.episode) }
        assertClose(SimulationSummary(sessions: cut, config: config).sessionsPerUserDay,
                    Double(cutFull.count) / (Double(cutComplete.count) * horizon), relative: 1e-12)
        // Only-complete records give the plain ratio.
        let onlyComplete = SimulationSummary(sessions: full, config: config)
        assertClose(onlyComplete.sessionsPerUserDay, Double(full.count) / (Double(onlyComplete.episodes) * horizon), relative: 1e-12)
        // Reward per user-day: the mean over complete episodes of Σ reward / horizon, inside its interval.
        let perDay = Dictionary(grouping: full, by: \.episode).values.map { $0.reduce(0) { $0 + $1.reward } / horizon }
        assertClose(s.rewardPerUserDay.mean, perDay.reduce(0, +) / Double(perDay.count), relative: 1e-9)
        #expect(s.rewardPerUserDay.lower < s.rewardPerUserDay.mean && s.rewardPerUserDay.mean < s.rewardPerUserDay.upper)
    }

    @Test func sessionsPerUserDayHandExample() {
        // SessionRecord has no public initializer: edit a simulated one.
        let template = records[0]
        func record(_ episode: Int, _ index: Int, _ end: SessionEnd) -> SessionRecord {
            var r = template
            r.episode = episode
            r.user = episode
            r.sessionIndex = index
            r.startMinutes = Double(index) * 600
            r.durationMinutes = 5
            r.requests = 2
            r.impressions = 8
            r.taskCounts = [4, 2, 0]
            r.watchSeconds = 60
            r.reward = 1
            r.returnGapMinutes = end == .churned ? nil : 595
            r.end = end
            r.truncated = false
            return r
        }
        // Episode 0: 3 sessions then horizon; episode 1: 1 session then churn; episode 2: cut after 2 sessions.
        let records = [record(0, 0, .returned), record(0, 1, .returned), record(0, 2, .horizon),
                       record(1, 0, .churned), record(2, 0, .returned), record(2, 1, .returned)]
        let s = SimulationSummary(sessions: records, config: config)
        assertClose(s.sessionsPerUserDay, 4.0 / (2 * config.episode.horizonDays))
        assertClose(s.rewardPerUserDay.mean, (3.0 + 1.0) / 2 / config.episode.horizonDays)
        #expect(s.returnGaps.returned == 5)
        assertClose(s.returnGaps.churnRate, 1.0 / 6)
        assertClose(s.ratePerImpression["click"]!, 0.5)
        assertClose(s.ratePerImpression["longView"]!, 0.25)
        #expect(s.ratePerImpression["hate"] == 0)
        #expect(s.episodes == 3)
    }

    @Test func returnGaps() {
        let records = self.records
        let s = SimulationSummary(sessions: records, config: config)
        let gaps = records.compactMap(\.returnGapMinutes)
        #expect(s.returnGaps.returned == gaps.count)
        assertClose(s.returnGaps.churnRate, Double(records.filter { $0.end == .churned }.count) / Double(records.count), relative: 1e-12)
        assertClose(s.returnGaps.shareUnderTwoHours + s.returnGaps.shareTwoHoursOrMore, 1, relative: 1e-12)
        assertClose(s.returnGaps.shareUnderTwoHours, Double(gaps.filter { $0 < 120 }.count) / Double(gaps.count), relative: 1e-12)
        assertClose(s.returnGaps.medianMinutes, quantile(gaps, 0.5), relative: 1e-12)
        #expect(s.returnGaps.p90Minutes >= s.returnGaps.medianMinutes)
        #expect(s.returnGaps.medianMinutes >= config.returnModel.minimumGapMinutes)
        assertClose(s.returnGaps.meanHours, gaps.reduce(0, +) / Double(gaps.count) / 60, relative: 1e-12)
    }

    @Test func calibrationRows() throws {
        var config = self.config
        #expect(Calibration.compare(summary: SimulationSummary(sessions: records, config: config), samples: [], config: config).isEmpty)
        var targets = CalibrationTargets()
        targets.source = "test"
        targets.targets = [CalibrationTarget(metric: .rate, task: "click", value: 0.4, tolerance: 0.1),
                           CalibrationTarget(metric: .sessionsPerUserDay, value: 3, tolerance: 0.5, source: "own"),
                           CalibrationTarget(metric: .impressionsPerSession, value: 20, tolerance: 0.3)]
        config.calibration = targets
        let summary = SimulationSummary(sessions: records, config: config)
        let rows = Calibration.compare(summary: summary, samples: [], config: config)
        #expect(rows.map(\.label) == ["rate(click)", "sessions-per-user-day", "impressions-per-session"])
        #expect(rows[0].simulated == summary.ratePerImpression["click"])
        #expect(rows[1].simulated == summary.sessionsPerUserDay)
        #expect(rows[2].simulated == summary.impressionsPerSession)
        for (row, target) in zip(rows, targets.targets) {
            assertClose(row.relativeError, (row.simulated - target.value) / target.value, relative: 1e-12)
            #expect(row.withinTolerance == (abs(row.relativeError) <= target.tolerance))
            #expect(row.ceiling == nil)
        }
        #expect(rows[0].source == "test" && rows[1].source == "own")
    }
}
