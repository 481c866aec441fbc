import EpisodeLog
import Synchronization
import Foundation
import Numerics
import Rollout
import Simulator
import Testing
import TestSupport

/// Logged runs re-ranked and re-simulated: identities that must hold exactly for the logging policy itself.
@Suite("Replay of logged runs")
struct ReplayTests {
    /// Logs `sessions` tiny sessions of `spec` (with candidate sets) into a fresh file; returns its path.
    static func logRun(_ spec: String, sessions: Int, directory: URL) throws -> String {
        let (config, text) = try EnvironmentLoader.resolve("tiny")
        let world = try World(config: config, seed: 21)
        let policy = try PolicySpec.parse(spec, world: world)
        let ranker = OracleNoiseRanker(config: config)
        let path = directory.appendingPathComponent("run.sqlite").path
        let writer = try EpisodeLogFile.create(path: path)
        try writer.beginRun(SimulationLog.metadata(name: "replay-test", world: world, environmentText: text, seed: 21, policy: policy,
                                                   ranker: ranker, sessions: sessions, lanes: 16, logCandidates: true))
        _ = try SimulationLog.run(Simulation(world: world, ranker: ranker, policy: policy, seed: 21),
                                  options: .init(sessions: sessions, threads: 2, lanes: 16, logCandidates: true), writer: writer)
        try writer.finishRun()
        try writer.close()
        return path
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mtfsim-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("re-ranking with the logging policy keeps every engaged item; another policy does not")
    func rerankIdentity() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.logRun("baseline", sessions: 120, directory: directory)
        let reader = try EpisodeLogFile.open(path: path)
        let run = try #require(try reader.runs().last)
        let world = try Replay.world(of: run, path: path)
        let same = try Replay.rerank(reader: reader, run: run, world: world, policy: try PolicySpec.parse("baseline", world: world))
        for row in same where row.engaged > 0 {
            #expect(row.keptShare == 1, "\(row.task): the logging policy must reproduce its own slates")
            #expect(row.ndcg > 0 && row.ndcg <= 1 + 1e-12)
        }
        #expect(same.first { $0.task == "click" }!.engaged > 100)
        let other = try Replay.rerank(reader: reader, run: run, world: world, policy: try PolicySpec.parse("fixed:0,0,-10", world: world))
        #expect(other.first { $0.task == "click" }!.keptShare < 0.9)
    }

    @Test("re-simulating with the logging policy reproduces the log exactly (common random numbers)")
    func resimulateIdentity() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.logRun("mixture", sessions: 300, directory: directory)
        let reader = try EpisodeLogFile.open(path: path)
        let run = try #require(try reader.runs().last)
        let world = try Replay.world(of: run, path: path)
        let same = try Replay.resimulate(reader: reader, run: run, world: world, policy: try PolicySpec.parse(run.metadata.policySpec, world: world), threads: 1)
        #expect(same.episodes > 5)
        #expect(same.rewardPerSession.mean == 0 && same.requestsPerSession.mean == 0 && same.sessionsPerEpisode.mean == 0)
        // Complete episodes (ended by a churn or the horizon), read from the log and from the same users re-run here.
        func complete(_ ends: [(episode: Int, sessionIndex: Int, end: SessionEnd)]) -> [Int: Bool] {
            var last: [Int: (index: Int, end: SessionEnd)] = [:]
            for e in ends where e.sessionIndex >= (last[e.episode]?.index ?? -1) { last[e.episode] = (e.sessionIndex, e.end) }
            return last.mapValues { $0.end != .returned }
        }
        var loggedSessions: [LoggedSession] = []
        try reader.sessions(run: run.id).forEach { loggedSessions += $0 }
        let logged = complete(loggedSessions.map { ($0.episode, $0.sessionIndex, $0.end) })
        #expect(same.episodes == logged.values.filter { $0 }.count, "the logging policy pairs every complete logged episode")
        let clickyPolicy = try PolicySpec.parse("fixed:1,0,0", world: world)
        let clicky = try Replay.resimulate(reader: reader, run: run, world: world, policy: clickyPolicy, threads: 2)
        let rerun = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config), policy: clickyPolicy, seed: 21)
            .run(.init(sessions: 300, threads: 1, lanes: 16)).sessions
        let fresh = complete(rerun.map { ($0.episode, $0.sessionIndex, $0.end) })
        let paired = logged.keys.filter { logged[$0]! && fresh[$0] == true }
        #expect(paired.count > 0 && paired.count <= same.episodes)
        #expect(clicky.episodes == paired.count, "paired episodes: \(clicky.episodes), complete in both runs: \(paired.count)")
        // The paired difference of mean session reward, episode by episode.
        func meanReward(_ rewards: [Double]) -> Double { rewards.reduce(0, +) / Double(rewards.count) }
        let differences = paired.sorted().map { episode in
            meanReward(rerun.filter { $0.episode == episode }.map(\.reward))
                - meanReward(loggedSessions.filter { $0.episode == episode }.map(\.reward))
        }
        assertClose(clicky.rewardPerSession.mean, differences.reduce(0, +) / Double(differences.count), relative: 1e-9,
                    "mean paired reward difference")
        #expect(clicky.rewardPerSession.mean != 0)
        #expect(clicky.rewardPerSession.lower <= clicky.rewardPerSession.mean && clicky.rewardPerSession.mean <= clicky.rewardPerSession.upper)
    }
}

/// What `simulate` writes, the readers give back exactly.
@Suite("Episode log round trip of simulated sessions")
struct SimulatedRoundTripTests {
    @Test("every simulated session reads back equal, vectors bit-identical")
    func roundTrip() throws {
        let directory = try ReplayTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try ReplayTests.logRun("mixture", sessions: 150, directory: directory)
        // The same run again, kept in memory (the simulation is deterministic).
        let (config, _) = try EnvironmentLoader.resolve("tiny")
        let world = try World(config: config, seed: 21)
        let kept = Mutex<[LoggedSession]>([])
        _ = Simulation(world: world, ranker: OracleNoiseRanker(config: config), policy: try PolicySpec.parse("mixture", world: world), seed: 21)
            .run(.init(sessions: 150, threads: 1, lanes: 16, sessionSink: { batch in kept.withLock { $0 += batch } }, logCandidates: true))
        let expected = kept.withLock { $0 }
        #expect(expected.count == 150)
        let reader = try EpisodeLogFile.open(path: path)
        let run = try #require(try reader.runs().last)
        for session in expected {
            let read = try #require(try reader.session(run: run.id, episode: session.episode, sessionIndex: session.sessionIndex))
            #expect(read == session)
            for (a, b) in zip(read.steps, session.steps) {
                #expect(a.state.map(\.bitPattern) == b.state.map(\.bitPattern))
                #expect(a.action.map(\.bitPattern) == b.action.map(\.bitPattern))
                #expect(a.logDensity.bitPattern == b.logDensity.bitPattern)
            }
        }
    }
}
