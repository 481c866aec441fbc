import Dispatch
import EpisodeLog
import Numerics
import Simulator
import Synchronization

/// Runs whole episodes (users' multi-day runs of sessions) until a number of sessions is complete, or exactly a
/// range of episodes.
///
/// Episodes are grouped into fixed blocks of `lanes` episodes; blocks are spread over `threads`
/// workers, and the result keeps the first `sessions` sessions in (episode, session) order. Every
/// session draws only from its own keyed streams, so the result is identical for any thread count, and an episode
/// is the same whichever run (or range) simulates it: disjoint ranges together are one run over their union.
public struct Simulation: Sendable {
    public let world: World
    public let ranker: any Ranker
    public let policy: any FusionPolicy
    public let seed: UInt64
    /// The users episodes are drawn from.
    public let users: UserPool
    /// Recorded with every traced step.
    public let policyVersion: Int

    public init(world: World, ranker: any Ranker, policy: any FusionPolicy, seed: UInt64, users: UserPool = .all,
                policyVersion: Int = 0) {
        self.world = world
        self.ranker = ranker
        self.policy = policy
        self.seed = seed
        self.users = users
        self.policyVersion = policyVersion
    }

    /// Options of a run.
    public struct Options: Sendable {
        /// Sessions to keep (the first ones in (episode, session) order); ignored when `episodes` is set.
        public var sessions: Int
        /// Simulate exactly these episodes to their ends instead of stopping after `sessions` sessions: what a
        /// shard of a larger run does (`simulate --episodes`).
        public var episodes: Range<Int>?
        public var threads: Int
        /// Episodes advanced together in one batch (fixed, so results do not depend on `threads`).
        public var lanes: Int
        /// Keep every shown item's predictions, truth and labels (for ranker AUCs), up to this many.
        public var impressionSampleLimit: Int
        /// Called with the number of complete sessions so far, or of complete episodes in a range run (from worker
        /// threads).
        public var progress: (@Sendable (Int) -> Void)?
        /// Receives the full traces of the kept sessions, block by block in (episode, session) order, for the
        /// episode log. Called under the run's lock: a sink that hands the batch off (a writer queue) keeps the other
        /// threads going; one that writes it (`SimulationLog.Writes.inline`) makes them wait for the write.
        public var sessionSink: (@Sendable ([LoggedSession]) -> Void)?
        /// Whether traces include every request's full candidate set and predictions.
        public var logCandidates: Bool
        /// Probability that a slate slot shows a uniformly random candidate (unbiased traffic for rankers).
        public var randomExposure: Double

        public init(sessions: Int, threads: Int = 1, lanes: Int = 64, impressionSampleLimit: Int = 0,
                    progress: (@Sendable (Int) -> Void)? = nil, sessionSink: (@Sendable ([LoggedSession]) -> Void)? = nil,
                    logCandidates: Bool = false, randomExposure: Double = 0, episodes: Range<Int>? = nil) {
            self.sessions = sessions
            self.episodes = episodes
            self.threads = threads
            self.lanes = lanes
            self.impressionSampleLimit = impressionSampleLimit
            self.progress = progress
            self.sessionSink = sessionSink
            self.logCandidates = logCandidates
            self.randomExposure = randomExposure
        }
    }

    /// The sessions of a run and, optionally, sampled impressions.
    public struct Output: Sendable {
        public var sessions: [SessionRecord]
        public var impressionSamples: [ImpressionSample]
        /// Requests simulated, including those of blocks computed past the requested count and discarded.
        public var simulatedRequests: Int
    }

    private struct Shared {
        var nextBlock = 0
        var results: [Int: BlockResult] = [:]
        var prefixBlocks = 0
        var prefixSessions = 0
        var done = false
        var simulatedRequests = 0
    }

    public func run(_ options: Options) -> Output {
        precondition((options.episodes.map { !$0.isEmpty && $0.lowerBound >= 0 } ?? (options.sessions > 0))
                     && options.threads > 0 && options.lanes > 0, "Simulation: counts must be positive")
        let shared = Mutex(Shared())
        let workers = options.threads
        let lanes = options.lanes
        // A range run keeps every session of its blocks and stops after its last block.
        let target = options.episodes == nil ? options.sessions : Int.max
        let first = options.episodes?.lowerBound ?? 0
        let blockCount = options.episodes.map { ($0.count + lanes - 1) / lanes }
        let end = options.episodes?.upperBound ?? Int.max
        let collect = options.impressionSampleLimit > 0
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let simulator = BlockSimulator(world: world, ranker: ranker, policy: policy, seed: seed, lanes: lanes,
                                           collectImpressions: collect, trace: options.sessionSink != nil,
                                           logCandidates: options.logCandidates, userPool: users, policyVersion: policyVersion,
                                           randomExposure: options.randomExposure)
            while true {
                let block: Int? = shared.withLock { s in
                    guard !s.done, s.nextBlock < blockCount ?? Int.max else { return nil }
                    defer { s.nextBlock += 1 }
                    return s.nextBlock
                }
                guard let block else { return }
                let result = simulator.run(episodes: (first + block * lanes)..<min(first + (block + 1) * lanes, end))
                let complete: Int? = shared.withLock { s in
                    s.results[block] = result
                    s.simulatedRequests += result.sessions.reduce(0) { $0 + $1.requests }
                    let before = s.prefixBlocks
                    while !s.done, let next = s.results[s.prefixBlocks] {
                        if let sink = options.sessionSink {
                            sink(Array(next.sessions.prefix(target - s.prefixSessions)))
                            // Handed off: keep the totals only.
                            s.results[s.prefixBlocks]?.sessions = next.sessions.map { record in
                                var record = record
                                record.steps = []
                                return record
                            }
                        }
                        s.prefixSessions += next.sessions.count
                        s.prefixBlocks += 1
                        if s.prefixSessions >= target || s.prefixBlocks == blockCount { s.done = true }
                    }
                    guard s.prefixBlocks > before else { return nil }
                    return blockCount == nil ? min(s.prefixSessions, target) : min(s.prefixBlocks * lanes, end - first)
                }
                if let complete { options.progress?(complete) }
            }
        }
        return shared.withLock { s in
            var sessions: [SessionRecord] = []
            var samples: [ImpressionSample] = []
            for b in 0..<s.prefixBlocks {
                guard let result = s.results[b] else { continue }
                let take = min(result.sessions.count, target - sessions.count)
                sessions += result.sessions.prefix(take)
                if collect && samples.count < options.impressionSampleLimit {
                    samples += result.impressionSamples.prefix(options.impressionSampleLimit - samples.count)
                }
                if sessions.count >= target { break }
            }
            return Output(sessions: sessions, impressionSamples: samples, simulatedRequests: s.simulatedRequests)
        }
    }

    /// Simulates exactly the episodes `episodes` to their ends (whole blocks of `lanes`, spread over `threads`) and
    /// returns all their sessions in (episode, session) order, with their steps when `trace` is set (what online
    /// learners and their logs need). Identical for any thread count.
    public func episodes(_ episodes: Range<Int>, threads: Int, lanes: Int = 64, trace: Bool,
                         randomExposure: Double = 0) -> [SessionRecord] {
        precondition(threads > 0 && lanes > 0, "Simulation.episodes: counts must be positive")
        let blocks = stride(from: episodes.lowerBound, to: episodes.upperBound, by: lanes).map {
            $0..<min($0 + lanes, episodes.upperBound)
        }
        let results = Mutex([Int: [SessionRecord]]())
        let next = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: min(threads, max(blocks.count, 1))) { _ in
            let simulator = BlockSimulator(world: world, ranker: ranker, policy: policy, seed: seed, lanes: lanes,
                                           collectImpressions: false, trace: trace, userPool: users,
                                           policyVersion: policyVersion, randomExposure: randomExposure)
            while true {
                let b = next.add(1, ordering: .relaxed).oldValue
                guard b < blocks.count else { return }
                let sessions = simulator.run(episodes: blocks[b]).sessions
                results.withLock { $0[b] = sessions }
            }
        }
        return results.withLock { all in blocks.indices.flatMap { all[$0] ?? [] } }
    }
}
