import EpisodeLog
import Foundation
import Numerics
import Simulator

/// A run of simulated sessions under one policy, as `mtfsim simulate` makes it: optionally logged to a new episode
/// log, or continuing an interrupted logged run to the sessions (or episodes) it asked for; summarised at the end.
///
/// A run either stops after `sessions` sessions (the last episode cut), or, when `episodes` is set, simulates exactly
/// those episodes to their ends: a shard. Episode `e` meets the same user with the same streams in any run of the
/// same world and seed, so disjoint ranges together are one run over their union (what `ray_simulate.py` relies on).
public struct SimulationRun: Sendable {
    public var world: World
    /// The environment file's text, recorded in the log's metadata.
    public var environmentText: String
    public var policy: any FusionPolicy
    public var ranker: any Ranker
    public var seed: UInt64
    /// Sessions to simulate (ignored when `episodes` is set).
    public var sessions: Int
    /// Simulate exactly these episodes instead of `sessions` sessions (`simulate --episodes LOW..HIGH`). Recorded in
    /// the run's name (`…-episodesLOW..HIGH`, with 0 requested sessions) so that `--resume` continues the range.
    public var episodes: Range<Int>?
    /// Worker threads (results do not depend on it).
    public var threads: Int
    /// Episodes advanced together (fixed, so that results do not depend on `threads`).
    public var lanes = 64
    /// Log every request's full candidate set with its predictions (`replay --rerank`).
    public var logCandidates = false
    /// Probability that a slate slot shows a uniformly random candidate.
    public var randomExposure = 0.0
    /// Which thread writes the log (`SimulationLog.Writes`; the log's content does not depend on it).
    public var logWrites = SimulationLog.Writes.writerThread

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
    /// rebuilds it), its policy through `resolve` (spec, world), its ranker by name, its sessions or episode range,
    /// lanes, candidates and exposure. A run that asked for neither (a training run) is refused (`LoggedRun.Refusal`).
    public init(resuming logged: LoggedRun, threads: Int,
                policy resolve: (String, World) throws -> any FusionPolicy) throws {
        let m = logged.run.metadata
        let episodes = Self.episodes(of: m)
        guard m.requestedSessions > 0 || episodes != nil else {
            throw LoggedRun.Refusal(description: "\(logged.path): run \(logged.run.id) (\(m.name)) asked for no sessions "
                                    + "and no episode range (not a simulate run); nothing to resume")
        }
        let world = try logged.world()
        self.init(world: world, environmentText: m.environmentYAML, policy: try resolve(m.policySpec, world),
                  ranker: try SimulationRanker.make(m.rankerName, world: world), seed: m.seed,
                  sessions: m.requestedSessions, threads: threads)
        self.episodes = episodes
        lanes = m.lanes
        logCandidates = m.logsCandidates
        randomExposure = m.randomExposure
    }

    /// `<environment>-seed<S>`, plus `-episodes<LOW>..<HIGH>` for a range run: the run's name in its log and the
    /// stem of the default log file name.
    public var name: String {
        "\(world.config.name)-seed\(seed)" + (episodes.map { "\(Self.rangeMarker)\($0.lowerBound)..\($0.upperBound)" } ?? "")
    }

    private static let rangeMarker = "-episodes"

    /// The episode range of a range run, read back from its metadata (the name's `-episodesLOW..HIGH` suffix with
    /// 0 requested sessions), or `nil` for a run of a number of sessions (or anything else).
    public static func episodes(of metadata: RunMetadata) -> Range<Int>? {
        guard metadata.requestedSessions == 0, let marker = metadata.name.range(of: rangeMarker, options: .backwards)
        else { return nil }
        let bounds = metadata.name[marker.upperBound...].components(separatedBy: "..")
        guard bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), 0 <= low, low < high else { return nil }
        return low..<high
    }

    /// The simulation options of this run (progress counts sessions, or episodes in a range run).
    func options(logCandidates: Bool, progress: (@Sendable (Int) -> Void)?) -> Simulation.Options {
        Simulation.Options(sessions: sessions, threads: threads, lanes: lanes, progress: progress,
                           logCandidates: logCandidates, randomExposure: randomExposure, episodes: episodes)
    }

    /// What the log records about this run.
    public var metadata: RunMetadata {
        SimulationLog.metadata(name: name, world: world, environmentText: environmentText, seed: seed, policy: policy,
                               ranker: ranker, sessions: episodes == nil ? sessions : 0, lanes: lanes, logCandidates: logCandidates,
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
        let options = options(logCandidates: log != nil && logCandidates, progress: progress)
        let output: Simulation.Output
        if let log {
            output = try LoggedRun.create(path: log, metadata: metadata).record {
                try $0.simulate(simulation, options: options, writes: logWrites)
            }
        } else {
            output = simulation.run(options)
        }
        return result(output, log: log, seconds: (clock.now - start).seconds)
    }

    /// Continues `logged` (from `LoggedRun.resume`) to the sessions (or episodes) its run asked for, with the same world, policy,
    /// ranker and streams, so that the finished log is the one an uninterrupted run writes; the run ends `complete`,
    /// or `interrupted` again on failure.
    ///
    /// - Parameters:
    ///   - resolve: the policy of a spec in a world (e.g. `PolicyResolver.resolve`, which also reads checkpoints).
    ///   - progress: complete sessions so far (of the run's requested sessions; episodes of a range run), from worker
    ///     threads.
    public static func resume(_ logged: LoggedRun, threads: Int, policy resolve: (String, World) throws -> any FusionPolicy,
                              writes: SimulationLog.Writes = .writerThread,
                              progress: (@Sendable (Int) -> Void)? = nil) throws -> Result {
        let clock = ContinuousClock(), start = clock.now
        return try logged.record { logged in
            let run = try SimulationRun(resuming: logged, threads: threads, policy: resolve)
            let output = try logged.simulate(
                Simulation(world: run.world, ranker: run.ranker, policy: run.policy, seed: run.seed),
                options: run.options(logCandidates: run.logCandidates, progress: progress), writes: writes)
            return run.result(output, log: logged.path, seconds: (clock.now - start).seconds)
        }
    }

    private func result(_ output: Simulation.Output, log: String?, seconds: Double) -> Result {
        Result(run: self, output: output, summary: SimulationSummary(sessions: output.sessions, config: world.config),
               log: log, wallSeconds: seconds)
    }
}
