import EpisodeLog
import Numerics
import Simulator
import Synchronization

/// Runs simulations into an episode log: run metadata from the world and the policy, and the hand-off of
/// finished sessions to the log's writer thread.
public enum SimulationLog {
    /// The world model's step timing for upgrading logs written before schema 3: each run's browse seconds per
    /// examined impression, from the environment it recorded.
    public static let legacyStepTiming = LegacyStepTiming { yaml in
        try EnvironmentLoader.decode(yaml: yaml, file: "logged environment").dynamics.browseSecondsPerImpression
    }

    /// The metadata of a run of `policy` on `world`.
    public static func metadata(name: String, world: World, environmentText: String, seed: UInt64,
                                policy: any FusionPolicy, ranker: any Ranker, sessions: Int, lanes: Int,
                                logCandidates: Bool, randomExposure: Double = 0) -> RunMetadata {
        let config = world.config
        let parameters = policy.parametersJSON
        return RunMetadata(
            name: name, environmentName: config.name, environmentYAML: environmentText, seed: seed,
            codeVersion: MTFSimVersion.string, policySpec: policy.spec, policyParameters: parameters,
            rankerName: ranker.name, taskNames: config.taskNames, stateNames: world.stateLayout.names,
            actionNames: world.actionSpace.names, rewardComponentNames: world.reward.componentNames,
            actionLow: world.actionSpace.low, actionHigh: world.actionSpace.high, requestedSessions: sessions,
            lanes: lanes, logsCandidates: logCandidates, slateSize: config.slate.size,
            candidatesPerRequest: config.retrieval.candidates, randomExposure: randomExposure)
    }

    /// Which thread appends a simulation's sessions to its log.
    public enum Writes: Sendable {
        /// A writer thread of its own, fed through a bounded queue: the simulation threads rarely wait for SQLite,
        /// and the process uses up to one core more than its simulation threads.
        case writerThread
        /// The simulation thread that completes a block writes it, while the others wait for it: the process uses
        /// no more cores than its simulation threads, as a scheduler that counts CPUs (a Ray task's `num_cpus`,
        /// a batch job's cores) assumes.
        case inline
    }

    /// Runs `simulation` and appends its sessions, minus those in `skip` (already committed by an
    /// interrupted run), to the writer's active run. Sessions reach the writer block by block in
    /// (episode, session) order, each batch in one transaction (through a bounded queue to a writer thread, or on
    /// the simulation thread: `writes`), so a crash leaves whole sessions only. The log's content does not depend
    /// on `writes`.
    public static func run(_ simulation: Simulation, options: Simulation.Options, writer: EpisodeLogWriter,
                           skip: Set<SessionKey> = [], writes: Writes = .writerThread) throws -> Simulation.Output {
        let sink = writes == .writerThread ? EpisodeLogWriter.AsyncSink(writer: writer) : nil
        let failure = Mutex<(any Error)?>(nil)
        var options = options
        options.sessionSink = { batch in
            let fresh = skip.isEmpty ? batch : batch.filter { !skip.contains($0.key) }
            guard !fresh.isEmpty, failure.withLock({ $0 == nil }) else { return }
            do {
                if let sink { try sink.submit(fresh) } else { try writer.append(sessions: fresh) }
            } catch {
                failure.withLock { if $0 == nil { $0 = error } }
            }
        }
        let output = simulation.run(options)
        try sink?.close()
        if let error = failure.withLock({ $0 }) { throw error }
        return output
    }
}
