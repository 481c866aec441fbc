import EpisodeLog
import Numerics
import Simulator

/// The transitions an offline (batch RL) learner trains on: every transition with an outcome of one or more logged
/// runs, held once in a fixed-size `ReplayBuffer` (struct of arrays, raw states), with the observation and reward
/// statistics of the data itself.
///
/// Memory is `count × (2·state + action + 3)` floats and nothing else: impressions and candidates are never read.
/// Learners sample mini-batches from `transitions` uniformly with replacement, as from a replay buffer that is full
/// and never changes (Levine et al. 2020, "Offline Reinforcement Learning", §2). Copies share storage.
public struct OfflineDataset: Sendable {
    /// The state layout and action box every transition lives in.
    public let environment: AgentEnvironment
    /// The transitions; actions normalised to [-1, 1]^A.
    public private(set) var transitions: ReplayBuffer
    /// Mean and variance of the logged states (enabled; learners set their own clip).
    public private(set) var observationStatistics: ObservationNormalizer
    /// Mean, variance and range of the logged rewards.
    public private(set) var rewardStatistics = RunningStatistics()
    /// Transitions that carry their elapsed time (all of them for a schema-3 log).
    public private(set) var timedCount = 0
    /// Where the transitions came from, in load order.
    public var sources: [Source] = []

    /// One logged run in the dataset.
    public struct Source: Sendable, Equatable, Codable {
        /// The log file as given.
        public var log: String
        public var run: Int
        /// The run's environment (`runs.environment_name`).
        public var environmentName: String
        /// The run's policy spec (the behaviour policy).
        public var policySpec: String
        /// Committed sessions read.
        public var sessions: Int
        /// Transitions kept (those with an outcome).
        public var transitions: Int

        public init(log: String, run: Int, environmentName: String, policySpec: String, sessions: Int, transitions: Int) {
            self.log = log
            self.run = run
            self.environmentName = environmentName
            self.policySpec = policySpec
            self.sessions = sessions
            self.transitions = transitions
        }
    }

    /// An empty dataset with room for exactly `capacity` transitions.
    public init(environment: AgentEnvironment, capacity: Int) {
        self.environment = environment
        transitions = ReplayBuffer(capacity: max(capacity, 1), stateDimension: environment.stateDimension,
                                   actionDimension: environment.actionDimension)
        observationStatistics = ObservationNormalizer(dimension: environment.stateDimension)
    }

    /// A dataset of the transitions of one batch (tests, and data that is already in memory).
    public init(environment: AgentEnvironment, batch: TransitionBatch) {
        self.init(environment: environment, capacity: batch.count)
        append(batch)
    }

    /// Transitions held.
    public var count: Int { transitions.count }

    /// Whether every transition has its elapsed time, as discounting by time needs.
    public var isTimed: Bool { count > 0 && timedCount == count }

    /// Adds a batch (normalised actions); the dataset must have room for it.
    public mutating func append(_ batch: TransitionBatch) {
        precondition(transitions.count + batch.count <= transitions.capacity,
                     "OfflineDataset: \(transitions.count) + \(batch.count) transitions exceed the capacity \(transitions.capacity)")
        guard batch.count > 0 else { return }
        transitions.append(batch)
        observationStatistics.update(batch.states)
        for r in batch.rewards { rewardStatistics.add(Double(r)) }
        if batch.elapsedHours != nil { timedCount += batch.count }
    }
}
