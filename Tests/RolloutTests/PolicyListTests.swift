import Foundation
import Rollout
import Simulator
import Testing
import TestSupport

/// Policy lists as written on the command line, and the comparison report built from one.
@Suite struct PolicyListTests {
    @Test func numbersAfterACommaContinueThePreviousSpec() {
        #expect(PolicyList.split("baseline,random") == ["baseline", "random"])
        #expect(PolicyList.split("fixed:1,0,0.5,-2,.5,baseline") == ["fixed:1,0,0.5,-2,.5", "baseline"])
        #expect(PolicyList.split("gaussian:0.1@1,0,mixture,,random") == ["gaussian:0.1@1,0", "mixture", "random"])
        #expect(PolicyList.split("models/a.ckpt,.hidden") == ["models/a.ckpt", ".hidden"])
        #expect(PolicyList.split("") == [])
    }

    @Test func globsBecomeGroupsOfTheirSortedMatches() throws {
        let files = ["m/td3-b.ckpt", "m/td3-a.ckpt"]
        let list = try PolicyList(expanding: ["baseline", "m/td3-*.ckpt", "random", "m/?ac.ckpt"]) { pattern in
            pattern.hasPrefix("m/td3") ? files : ["m/sac.ckpt"]
        }
        #expect(list.specs == ["baseline", "m/td3-a.ckpt", "m/td3-b.ckpt", "random", "m/sac.ckpt"])
        #expect(list.groups == [.init(name: "m/td3-*.ckpt", members: [1, 2]), .init(name: "m/?ac.ckpt", members: [4])])
        #expect(throws: PolicyList.NoMatch(pattern: "none*")) { try PolicyList(expanding: ["baseline", "none*"]) { _ in [] } }
        // A character class is a glob too: a group of exactly the seeds it names.
        let seeds = try PolicyList(expanding: ["m/td3-seed[13].ckpt"]) { _ in ["m/td3-seed1.ckpt", "m/td3-seed3.ckpt"] }
        #expect(seeds.groups == [.init(name: "m/td3-seed[13].ckpt", members: [0, 1])])
    }

    @Test func globsMatchFilesOnDisk() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("policy-list-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["s2.ckpt", "s1.ckpt", "other.txt"] {
            FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: Data())
        }
        let list = try PolicyList(expanding: [directory.path + "/s*.ckpt"])
        #expect(list.specs == [directory.path + "/s1.ckpt", directory.path + "/s2.ckpt"])
        #expect(throws: PolicyList.NoMatch.self) { try PolicyList(expanding: [directory.path + "/*.none"]) }
    }

    /// The same policy twice on the same users with common random numbers: a paired difference of exactly 0, and a
    /// group of identical members has their value as its mean.
    @Test func aPolicyAgainstItselfDiffersByZero() throws {
        let list = try PolicyList(expanding: ["baseline", "twice*"]) { _ in ["baseline", "baseline"] }
        let report = try PolicyComparison.report(config: SimulatorFixtures.tinyConfig, policies: list, firstSeed: 3, seeds: 2,
                                                 sessions: 120, threads: 2, users: .heldOut,
                                                 resolve: { try PolicySpec.parse($0, world: $1) })
        #expect(report.seeds == [3, 4])
        #expect(report.users == "held-out" && report.sessionsPerRun == 120)
        #expect(report.policies.count == 3)
        for entry in report.policies.dropFirst() {
            let d = try #require(entry.differenceToFirst)
            #expect(d.mean == 0)
            #expect(entry.rewardPerUserDay.mean.bitPattern == report.policies[0].rewardPerUserDay.mean.bitPattern)
            #expect(entry.pairedEpisodes > 0)
        }
        let group = try #require(report.groups.first)
        #expect(report.groups.count == 1 && group.name == "twice*" && group.members.count == 2)
        #expect(abs(group.rewardPerUserDay.mean - report.policies[0].rewardPerUserDay.mean) < 1e-12)
        #expect(group.differenceToFirst?.mean == 0)
    }
}

/// `Calibration.run` is the simulation and comparison it stands for.
@Suite struct CalibrationRunTests {
    @Test func theReportComparesTheSimulatedRunWithTheTargets() throws {
        let world = SimulatorFixtures.shrunkShortVideoWorld
        let policy = SimulatorFixtures.baselinePolicy(world)
        let report = Calibration.run(world: world, policy: policy, seed: 5, sessions: 60, threads: 2)
        let output = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config), policy: policy, seed: 5)
            .run(.init(sessions: 60, threads: 1, impressionSampleLimit: 2_000_000))
        let summary = SimulationSummary(sessions: output.sessions, config: world.config)
        let rows = Calibration.compare(summary: summary, samples: output.impressionSamples, config: world.config)
        #expect(!rows.isEmpty)
        #expect(String(describing: report.rows) == String(describing: rows))  // NaN-safe: a tiny run has NaN rates
        #expect(report.sessions == summary.sessions && report.impressions == summary.impressions)
        #expect(report.withinTolerance == rows.allSatisfy(\.withinTolerance))
        #expect(report.policy == policy.spec && report.seed == 5 && report.environment == world.config.name)

        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = try JSONSerialization.jsonObject(with: try encoder.encode(report)) as? [String: Any]
        #expect(Set(json?.keys.map { $0 } ?? []) == ["environment", "seed", "policy", "impressions", "rows"])
    }
}
