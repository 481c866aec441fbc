import EpisodeLog
import Numerics
import Rollout
import Simulator
import Synchronization
import Testing
import TestSupport

func runTiny(sessions: Int, seed: UInt64 = 2024, threads: Int = 1, lanes: Int = 64,
             policy: (any FusionPolicy)? = nil) -> Simulation.Output {
    let world = Fixtures.tinyWorld
    return Simulation(world: world, ranker: OracleNoiseRanker(config: world.config),
                      policy: policy ?? Fixtures.baselinePolicy(world), seed: seed)
        .run(.init(sessions: sessions, threads: threads, lanes: lanes))
}

/// Episodes whose every session is in `records` (the last episode of a run may be cut short).
func completeEpisodes(_ records: [SessionRecord]) -> Set<Int> {
    Set(records.filter { $0.end != .returned }.map(\.episode))
}

@Suite("Simulation")
struct SimulationTests {
    @Test func sameSeedSameRecordsWhateverThreadsAndLanes() {
        let reference = runTiny(sessions: 500, threads: 1, lanes: 64).sessions
        #expect(reference.count == 500)
        #expect(runTiny(sessions: 500, threads: 2, lanes: 64).sessions == reference, "threads 1 vs 2")
        #expect(runTiny(sessions: 500, threads: 1, lanes: 8).sessions == reference, "lanes 64 vs 8")
        #expect(runTiny(sessions: 500, threads: 2, lanes: 8).sessions == reference, "threads 2, lanes 8")
        // A shorter run is a prefix of a longer one.
        #expect(Array(reference.prefix(123)) == runTiny(sessions: 123, threads: 2, lanes: 8).sessions)
    }

    @Test func stochasticPolicyIsDeterministicToo() {
        let world = Fixtures.tinyWorld
        let mixture = MixturePolicy(mean: world.actionSpace.baseline, sigma: 0.2, boxHalfWidth: 0.15, actionSpace: world.actionSpace)
        let a = runTiny(sessions: 300, threads: 1, lanes: 64, policy: mixture).sessions
        let b = runTiny(sessions: 300, threads: 2, lanes: 16, policy: mixture).sessions
        #expect(a == b)
    }

    @Test func differentSeedDiffers() {
        let a = runTiny(sessions: 300, seed: 1).sessions
        let b = runTiny(sessions: 300, seed: 2).sessions
        #expect(a.count == 300 && b.count == 300)
        #expect(a != b)
        // Not merely reordered: the per-session depths differ somewhere in the first episodes.
        #expect(zip(a, b).contains { $0.requests != $1.requests || $0.reward != $1.reward })
    }

    @Test func exactlyTheRequestedSessionsInOrder() {
        for sessions in [1, 7, 64, 1_000] {
            let records = runTiny(sessions: sessions, threads: 2, lanes: 16).sessions
            #expect(records.count == sessions)
            #expect(records.first?.episode == 0 && records.first?.sessionIndex == 0)
            for (previous, next) in zip(records, records.dropFirst()) {
                let inOrder = next.episode == previous.episode
                    ? next.sessionIndex == previous.sessionIndex + 1
                    : next.episode == previous.episode + 1 && next.sessionIndex == 0
                #expect(inOrder, "(\(previous.episode), \(previous.sessionIndex)) then (\(next.episode), \(next.sessionIndex))")
            }
        }
    }

    @Test func progressReachesTheTarget() {
        let seen = Mutex([Int]())
        let world = Fixtures.tinyWorld
        let output = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config),
                                policy: Fixtures.baselinePolicy(world), seed: 5)
            .run(.init(sessions: 200, threads: 1, lanes: 8, progress: { n in seen.withLock { $0.append(n) } }))
        let counts = seen.withLock { $0 }
        #expect(output.sessions.count == 200)
        #expect(counts.last == 200)
        #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 < $1 })
        #expect(output.simulatedRequests >= output.sessions.reduce(0) { $0 + $1.requests })
    }

    @Test func sessionInvariants() throws {
        let config = Fixtures.tinyConfig, world = Fixtures.tinyWorld
        let records = Fixtures.tinyRun.sessions
        #expect(records.count == Fixtures.tinyRunSessions)
        let t = config.tasks.count, slate = config.slate.size
        let response = world.response
        for r in records {
            let id = "episode \(r.episode) session \(r.sessionIndex)"
            #expect(r.user == r.episode % world.population.count, "\(id)")
            #expect(r.requests >= 1 && r.requests <= config.episode.maxRequestsPerSession, "\(id): \(r.requests) requests")
            if r.truncated { #expect(r.requests == config.episode.maxRequestsPerSession, "\(id)") }
            #expect(r.impressions == r.requests * slate, "\(id)")
            #expect(r.taskCounts.count == t, "\(id)")
            for k in 0..<t {
                #expect(r.taskCounts[k] >= 0 && r.taskCounts[k] <= r.impressions, "\(id) task \(k)")
                if response.parent[k] >= 0 {
                    #expect(r.taskCounts[k] <= r.taskCounts[response.parent[k]], "\(id): task \(k) exceeds its parent")
                }
            }
            // hate excludes longView, both children of click.
            #expect(r.taskCounts[1] + r.taskCounts[2] <= r.taskCounts[0], "\(id)")
            #expect(r.watchSeconds >= 0 && r.durationMinutes > 0, "\(id)")
            #expect(r.watchSeconds / 60 <= r.durationMinutes + 1e-9, "\(id): watched longer than the session")
            #expect(r.startMinutes >= 0 && r.startMinutes < config.episode.horizonDays * 1_440, "\(id)")
            #expect(r.meanSatisfaction.isFinite && r.reward.isFinite, "\(id)")
            if let gap = r.returnGapMinutes {
                #expect(gap >= config.returnModel.minimumGapMinutes, "\(id): gap \(gap)")
                #expect(r.end != .churned, "\(id)")
            } else {
                #expect(r.end == .churned, "\(id): no gap but \(r.end)")
            }
            if r.end == .horizon {
                #expect(r.startMinutes + r.durationMinutes + r.returnGapMinutes! >= config.episode.horizonDays * 1_440, "\(id)")
            }
        }
        #expect(records.contains { $0.end == .returned })
        #expect(records.contains { $0.end == .horizon })
    }

    @Test func episodesAreConsistentTimelines() throws {
        let records = Fixtures.tinyRun.sessions
        let byEpisode = Dictionary(grouping: records, by: \.episode)
        let complete = completeEpisodes(records)
        let lastEpisode = try #require(records.last?.episode)
        // Every episode but possibly the last is complete.
        #expect(Set(byEpisode.keys).subtracting(complete).isSubset(of: [lastEpisode]))
        #expect(complete.count >= byEpisode.count - 1)
        for (episode, sessions) in byEpisode {
            #expect(sessions.map(\.sessionIndex) == Array(0..<sessions.count), "episode \(episode)")
            #expect(sessions[0].startMinutes == 0, "episode \(episode)")
            #expect(Set(sessions.map(\.user)).count == 1)
            for (a, b) in zip(sessions, sessions.dropFirst()) {
                #expect(b.startMinutes > a.startMinutes, "episode \(episode)")
                #expect(a.end == .returned, "episode \(episode): session \(a.sessionIndex) ends with \(a.end) but is not the last")
                let gap = try #require(a.returnGapMinutes)
                // The next session starts one gap after this one ends.
                assertClose(b.startMinutes, a.startMinutes + a.durationMinutes + gap, relative: 1e-9,
                            "episode \(episode) session \(b.sessionIndex)")
            }
            if complete.contains(episode) {
                let last = sessions[sessions.count - 1]
                #expect(last.end == .churned || last.end == .horizon, "episode \(episode)")
            }
        }
    }

    /// Users differ: at a fixed policy, depth is not constant across users (per-user leave offsets,
    /// interests and activity), and the between-user spread of mean depth exceeds what chance gives.
    @Test func depthVariesAcrossUsers() {
        let records = Fixtures.tinyRun.sessions
        let byUser = Dictionary(grouping: records, by: \.user).filter { $0.value.count >= 5 }
        #expect(byUser.count >= 50)
        let means = byUser.mapValues { RunningStatistics($0.map { Double($0.requests) }).mean }
        let all = RunningStatistics(records.map { Double($0.requests) })
        #expect(all.standardDeviation > 1, "depth sd \(all.standardDeviation)")
        #expect(Set(records.map(\.requests)).count > 10)
        let userMeans = RunningStatistics(Array(means.values))
        #expect(userMeans.maximum - userMeans.minimum > 2, "user mean depths range \(userMeans.minimum)…\(userMeans.maximum)")
        // One-way ANOVA F statistic of depth by user.
        var within = 0.0, between = 0.0, n = 0
        for (user, sessions) in byUser {
            for s in sessions { within += (Double(s.requests) - means[user]!) * (Double(s.requests) - means[user]!) }
            let overall = all.mean
            between += Double(sessions.count) * (means[user]! - overall) * (means[user]! - overall)
            n += sessions.count
        }
        let groups = Double(byUser.count)
        let f = (between / (groups - 1)) / (within / (Double(n) - groups))
        #expect(f > 1.5, "F = \(f): user effects on depth are not visible")
    }
}

/// docs/design.md, "Leaving": depth is not a deterministic function of reward (KuaiSim's leave model makes it one).
@Suite("Depth is not a function of reward")
struct DepthVersusRewardTests {
    @Test func depthVariesAmongSessionsWithNearlyEqualReward() {
        let records = Fixtures.tinyRun.sessions
        let sorted = records.sorted { $0.reward < $1.reward }
        // "Narrow": a bin's reward range is under a tenth of the 10–90 % spread of reward.
        let q = quantiles(records.map(\.reward), [0.1, 0.9])
        let narrow = 0.1 * (q[1] - q[0])
        #expect(narrow > 0)
        // Quantile bins of reward, 50 sessions each.
        let binSize = 50
        var binsWithVariedDepth = 0, checkedBins = 0
        var report: [String] = []
        for start in stride(from: 0, to: sorted.count - binSize + 1, by: binSize) {
            let bin = sorted[start..<(start + binSize)]
            let depths = RunningStatistics(bin.map { Double($0.requests) })
            let rewardRange = bin.last!.reward - bin.first!.reward
            let distinct = Set(bin.map(\.requests)).count
            if distinct > 1 { binsWithVariedDepth += 1 }
            // Bins whose reward range is narrow relative to the reward spread (not the long right tail).
            if rewardRange < narrow && depths.mean >= 2 {
                checkedBins += 1
                #expect(depths.standardDeviation > 0.5,
                        "reward in [\(bin.first!.reward), \(bin.last!.reward)]: depth sd \(depths.standardDeviation)")
            }
            report.append("[\(bin.first!.reward), \(bin.last!.reward)] sd \(depths.standardDeviation)")
        }
        #expect(binsWithVariedDepth >= 10, "\(binsWithVariedDepth) bins with different depths: \(report)")
        #expect(checkedBins >= 5, "only \(checkedBins) narrow bins: \(report)")
    }

    /// Depth given reward: if depth were a function of reward, little would remain after a fit on reward.
    @Test func depthResidualGivenRewardIsLarge() {
        let records = Fixtures.tinyRun.sessions
        // Least-squares line of depth on reward; its residuals must keep a substantial spread.
        let x = records.map(\.reward), y = records.map { Double($0.requests) }
        let n = Double(records.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        let sxy = zip(x, y).reduce(0.0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = x.reduce(0.0) { $0 + ($1 - mx) * ($1 - mx) }
        let slope = sxy / sxx
        let residuals = RunningStatistics(zip(x, y).map { $0.1 - my - slope * ($0.0 - mx) })
        #expect(residuals.standardDeviation > 1, "residual sd \(residuals.standardDeviation)")
        // …while depth and reward are still positively related (the simulator is not pure noise).
        #expect(slope > 0)
    }
}

@Suite("Presets in simulation")
struct PresetSimulationTests {
    /// Cascade invariants of records from any world.
    func checkRecords(_ records: [SessionRecord], world: World, sessions: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let config = world.config, response = world.response
        #expect(records.count == sessions, sourceLocation: sourceLocation)
        for r in records {
            #expect(r.requests >= 1 && r.impressions == r.requests * config.slate.size, sourceLocation: sourceLocation)
            for k in 0..<response.taskCount where response.parent[k] >= 0 {
                #expect(r.taskCounts[k] <= r.taskCounts[response.parent[k]], "\(config.name) task \(k)", sourceLocation: sourceLocation)
            }
            #expect(r.reward.isFinite, sourceLocation: sourceLocation)
        }
    }

    @Test func shrunkPresetsRun() {
        for world in [Fixtures.shrunkShortVideoWorld, Fixtures.shrunkEcommerceWorld] {
            let simulation = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config),
                                        policy: Fixtures.baselinePolicy(world), seed: 3)
            let a = simulation.run(.init(sessions: 200, threads: 2, lanes: 32)).sessions
            checkRecords(a, world: world, sessions: 200)
            #expect(simulation.run(.init(sessions: 200, threads: 1, lanes: 8)).sessions == a, "\(world.config.name)")
            let summary = SimulationSummary(sessions: a, config: world.config)
            #expect(summary.ratePerImpression.keys.sorted() == world.config.taskNames.sorted())
            #expect(summary.ratePerImpression["click"]! > 0.05)
        }
    }

    /// The full short-video preset (10,000 items, 5,000 users): builds and runs a few sessions.
    @Test func shortVideoRuns() throws {
        let config = Fixtures.config("short-video")
        let world = try World(config: config, seed: 1)
        #expect(world.catalog.count == 10_000 && world.population.count == 5_000)
        #expect(world.actionSpace.dimension == 7)
        #expect(world.stateLayout.dimension == 4 + 4 + 7 + 7 + 3 * 7)
        let policy = try PolicySpec.parse("mixture", world: world)
        let output = Simulation(world: world, ranker: OracleNoiseRanker(config: config), policy: policy, seed: 1)
            .run(.init(sessions: 60, threads: 2, lanes: 16, impressionSampleLimit: 2_000))
        checkRecords(output.sessions, world: world, sessions: 60)
        #expect(output.impressionSamples.count == 2_000)
        let summary = SimulationSummary(sessions: output.sessions, config: config)
        let rows = Calibration.compare(summary: summary, samples: output.impressionSamples, config: config)
        #expect(rows.count == config.calibration?.targets.count)
        #expect(rows.allSatisfy { $0.simulated.isFinite || $0.label.hasPrefix("ranker-auc") || $0.label.hasPrefix("sessions") })
    }
}

/// Random exposure: the flagged share of impressions, and the ranked traffic it leaves alone.
@Suite struct RandomExposureTests {
    @Test func randomSlotsAreFlaggedAtTheRequestedRateAndDoNotShiftOtherStreams() throws {
        let world = Fixtures.tinyWorld
        let simulation = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config),
                                    policy: Fixtures.baselinePolicy(world), seed: 8)
        let exposed = simulation.episodes(0..<32, threads: 2, lanes: 8, trace: true, randomExposure: 0.25)
        let impressions = exposed.flatMap { $0.steps.flatMap(\.impressions) }
        let share = Double(impressions.filter(\.randomExposure).count) / Double(impressions.count)
        #expect(impressions.count > 2_000 && abs(share - 0.25) < 0.03, "random share \(share)")
        // Random items are worse than ranked ones on average: the ranking matters.
        let rate = { (xs: [LoggedImpression]) in Double(xs.filter { $0.tasks & 1 == 1 }.count) / Double(max(xs.count, 1)) }
        #expect(rate(impressions.filter(\.randomExposure)) < rate(impressions.filter { !$0.randomExposure }))
        // Without random exposure nothing is flagged, and the first request of every episode (before any response
        // differs) shows the same ranked slots in both runs wherever no random slot was drawn.
        let plain = simulation.episodes(0..<32, threads: 1, lanes: 8, trace: true)
        #expect(plain.allSatisfy { $0.steps.allSatisfy { $0.impressions.allSatisfy { !$0.randomExposure } } })
        let firstExposed = exposed.filter { $0.sessionIndex == 0 }.map { $0.steps[0] }
        let firstPlain = plain.filter { $0.sessionIndex == 0 }.map { $0.steps[0] }
        for (a, b) in zip(firstExposed, firstPlain) {
            #expect(a.state == b.state)
            for (x, y) in zip(a.impressions, b.impressions) where !x.randomExposure { #expect(x.item == y.item) }
        }
    }
}
