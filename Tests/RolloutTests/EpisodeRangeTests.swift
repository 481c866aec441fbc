import EpisodeLog
import Foundation
import Rollout
import Simulator
import Testing
import TestSupport

/// Range runs (`simulate --episodes LOW..HIGH`): exactly the episodes asked for, each the same as in any other run of
/// the world and seed, so that shards together are one run; recorded so that an interrupted range run resumes.
@Suite("Episode ranges")
struct EpisodeRangeTests {
    static func world() throws -> (World, String) {
        let text = try String(contentsOfFile: Fixtures.presetPath("tiny"), encoding: .utf8)
        return (try World(config: try EnvironmentLoader.decode(yaml: text, file: "tiny"), seed: 5), text)
    }

    static func simulation() throws -> Simulation {
        let (world, _) = try world()
        return Simulation(world: world, ranker: OracleNoiseRanker(config: world.config),
                          policy: try PolicySpec.parse("mixture", world: world), seed: 5)
    }

    /// The sessions of `sessions` with their episode in `range`, steps included.
    static func traced(_ simulation: Simulation, _ options: Simulation.Options) -> [SessionRecord] {
        let collected = TestBox<[SessionRecord]>([])
        var options = options
        options.sessionSink = { batch in collected.mutate { $0 += batch } }
        _ = simulation.run(options)
        return collected.value
    }

    @Test("a range run simulates exactly its episodes, each as a sessions run does, with any lanes and threads")
    func rangeEqualsTheMatchingEpisodesOfAFullRun() throws {
        let simulation = try Self.simulation()
        // Blocks of 8 starting at 0 in the full run, at 5 in the range run: an episode does not depend on its block.
        let full = Self.traced(simulation, .init(sessions: 400, threads: 2, lanes: 8))
        let range = Self.traced(simulation, .init(sessions: 1, threads: 3, lanes: 8, episodes: 5..<27))
        #expect(Set(range.map(\.episode)) == Set(5..<27))
        let lastFullEpisode = try #require(full.map(\.episode).max())
        try #require(lastFullEpisode > 27, "the full run must cover the range with whole episodes")
        #expect(range == full.filter { (5..<27).contains($0.episode) })
        #expect(range.allSatisfy { !$0.steps.isEmpty })
        // In (episode, session) order.
        #expect(zip(range, range.dropFirst()).allSatisfy { ($0.episode, $0.sessionIndex) < ($1.episode, $1.sessionIndex) })
    }

    @Test("disjoint ranges together are one run over their union")
    func unionOfRangesIsOneRun() throws {
        let simulation = try Self.simulation()
        let whole = Self.traced(simulation, .init(sessions: 1, threads: 2, lanes: 8, episodes: 0..<30))
        let a = Self.traced(simulation, .init(sessions: 1, threads: 1, lanes: 8, episodes: 0..<13))
        let b = Self.traced(simulation, .init(sessions: 1, threads: 1, lanes: 8, episodes: 13..<30))
        #expect(!a.isEmpty && !b.isEmpty)
        #expect(a + b == whole)
    }

    @Test("the range is recorded in the run and read back; other runs have none")
    func rangeRoundTripsThroughMetadata() throws {
        let (world, text) = try Self.world()
        var run = SimulationRun(world: world, environmentText: text, policy: try PolicySpec.parse("mixture", world: world),
                                ranker: OracleNoiseRanker(config: world.config), seed: 5, sessions: 100, threads: 1)
        #expect(SimulationRun.episodes(of: run.metadata) == nil && run.metadata.requestedSessions == 100)
        run.episodes = 40..<75
        #expect(run.name == "tiny-seed5-episodes40..75")
        #expect(run.metadata.requestedSessions == 0)
        #expect(SimulationRun.episodes(of: run.metadata) == 40..<75)
        var other = run.metadata
        for name in ["tiny-seed5", "tiny-seed5-episodes40..", "tiny-seed5-episodes9..3", "x-episodes-1..4"] {
            other.name = name
            #expect(SimulationRun.episodes(of: other) == nil, "\(name)")
        }
        other.name = "tiny-seed5-episodes40..75"
        other.requestedSessions = 10
        #expect(SimulationRun.episodes(of: other) == nil, "a sessions run whatever its name")
    }

    @Test("an interrupted range run resumes to the log an uninterrupted range run writes")
    func interruptedRangeRunResumes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("range-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = directory.appendingPathComponent("ref.sqlite").path
        let broken = directory.appendingPathComponent("broken.sqlite").path
        let (world, text) = try Self.world()
        var run = SimulationRun(world: world, environmentText: text, policy: try PolicySpec.parse("mixture", world: world),
                                ranker: OracleNoiseRanker(config: world.config), seed: 5, sessions: 100, threads: 2)
        run.lanes = 8
        run.episodes = 6..<31
        let complete = try run.run(log: reference)
        #expect(complete.summary.episodes == 25)

        struct Stop: Error {}
        let partial = Simulation(world: run.world, ranker: run.ranker, policy: run.policy, seed: run.seed)
            .episodes(6..<10, threads: 1, lanes: 8, trace: true)
        #expect(throws: Stop.self) {
            try LoggedRun.create(path: broken, metadata: run.metadata).record { logged in
                try logged.append(partial)
                throw Stop()
            }
        }
        let logged = try LoggedRun.resume(path: broken)
        let resumed = try SimulationRun.resume(logged, threads: 1, policy: { try PolicySpec.parse($0, world: $1) })
        #expect(resumed.run.episodes == 6..<31 && resumed.summary.sessions == complete.summary.sessions
                && resumed.summary.requests == complete.summary.requests)
        let (a, b) = (try EpisodeLogFile.open(path: reference), try EpisodeLogFile.open(path: broken))
        defer { try? a.close(); try? b.close() }
        #expect(try b.runs().map(\.status) == [.complete])
        #expect(try a.logicalDigest() == b.logicalDigest())
    }
}

/// A value shared with `@Sendable` closures in tests.
final class TestBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ body: (inout Value) -> Void) { lock.lock(); defer { lock.unlock() }; body(&stored) }
}
