import EpisodeLog
import Foundation
import Numerics
import Simulator

/// A run of simulated sessions under one policy, as `mtfsim simulate` makes it: optionally logged to a new episode
/// log, or continuing an interrupted logged run to the sessions it asked for; summarised at the end.
public struct SimulationRun: Sendable {
    public var world: World
    /// The environment file's text, recorded in the log's metadata.
    public var environmentText: String
    public var policy: any FusionPolicy
    public var ranker: any Ranker
    public var seed: UInt64
    /// Sessions to simulate.
    public var sessions: Int
    /// Worker threads (results do not depend on it).
    public var threads: Int
    /// Episodes advanced together (fixed, so that results do not depend on `threads`).
    public var lanes = 64
    /// Log every request's full candidate set with its predictions (`replay --rerank`).
    public var logCandidates = false
    /// Probability that a slate slot shows a uniformly random candidate.
    public var randomExposure = 0.0

    public init(world: World, environmentText: String, policy: any FusionPolicy, ranker: any Ranker, seed: UInt64,
                sessions: Int, threads: Int) {
        self.world = world
        self.environmentText = environmentText
        self.policy = policy
        self.ranker = ranker
        self.seed = seed
        self.sessions = sessions
        self.threads = threads
    }

    /// The run a logged run asked for, rebuilt from its metadata: its world (`LoggedRun.world()`, as `replay`
    /// rebuilds it), its policy through `resolve` (spec, world), its ranker by name, its sessions, lanes, candidates
    /// and exposure.
    public init(resuming logged: LoggedRun, threads: Int,
                policy resolve: (String, World) throws -> any FusionPolicy) throws {
        let m = logged.run.metadata
        let world = try logged.world()
        self.init(world: world, environmentText: m.environmentYAML, policy: try resolve(m.policySpec, world),
                  ranker: try SimulationRanker.make(m.rankerName, world: world), seed: m.seed,
                  sessions: m.requestedSessions, threads: threads)
        lanes = m.lanes
        logCandidates = m.logsCandidates
        randomExposure = m.randomExposure
    }

    /// `<environment>-seed<S>`: the run's name in its log and the stem of the default log file name.
    public var name: String { "\(world.config.name)-seed\(seed)" }

    /// What the log records about this run.
    public var metadata: RunMetadata {
        SimulationLog.metadata(name: name, world: world, environmentText: environmentText, seed: seed, policy: policy,
                               ranker: ranker, sessions: sessions, lanes: lanes, logCandidates: logCandidates,
                               randomExposure: randomExposure)
    }

    /// What a run did.
    public struct Result: Sendable {
        public var run: SimulationRun
        public var output: Simulation.Output
        public var summary: SimulationSummary
        /// The episode log written, if any.
        public var log: String?
        /// Seconds from the start of the simulation to the end of logging.
        public var wallSeconds: Double
    }

    /// Simulates the sessions, into a new episode log at `log` when given (`LoggedRun.create`).
    ///
    /// - Parameter progress: complete sessions so far, from worker threads.
    public func run(log: String? = nil, progress: (@Sendable (Int) -> Void)? = nil) throws -> Result {
        let clock = ContinuousClock(), start = clock.now
        let simulation = Simulation(world: world, ranker: ranker, policy: policy, seed: seed)
        let options = Simulation.Options(sessions: sessions, threads: threads, lanes: lanes, progress: progress,
                                         logCandidates: log != nil && logCandidates, randomExposure: randomExposure)
        let output: Simulation.Output
        if let log {
            output = try LoggedRun.create(path: log, metadata: metadata).record { try $0.simulate(simulation, options: options) }
        } else {
            output = simulation.run(options)
        }
        return result(output, log: log, seconds: (clock.now - start).seconds)
    }

    /// Continues `logged` (from `LoggedRun.resume`) to the sessions its run asked for, with the same world, policy,
    /// ranker and streams, so that the finished log is the one an uninterrupted run writes; the run ends `complete`,
    /// or `interrupted` again on failure.
    ///
    /// - Parameters:
    ///   - resolve: the policy of a spec in a world (e.g. `PolicyResolver.resolve`, which also reads checkpoints).
    ///   - progress: complete sessions so far (of the run's requested sessions), from worker threads.
    public static func resume(_ logged: LoggedRun, threads: Int, policy resolve: (String, World) throws -> any FusionPolicy,
                              progress: (@Sendable (Int) -> Void)? = nil) throws -> Result {
        let clock = ContinuousClock(), start = clock.now
        return try logged.record { logged in
            let run = try SimulationRun(resuming: logged, threads: threads, policy: resolve)
            let output = try logged.simulate(
                Simulation(world: run.world, ranker: run.ranker, policy: run.policy, seed: run.seed),
                options: .init(sessions: run.sessions, threads: threads, lanes: run.lanes, progress: progress,
                               logCandidates: run.logCandidates, randomExposure: run.randomExposure))
            return run.result(output, log: logged.path, seconds: (clock.now - start).seconds)
        }
    }

    private func result(_ output: Simulation.Output, log: String?, seconds: Double) -> Result {
        Result(run: self, output: output, summary: SimulationSummary(sessions: output.sessions, config: world.config),
               log: log, wallSeconds: seconds)
    }
}
