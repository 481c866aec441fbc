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
    /// The slot of each episode's first transition, ascending (the first is 0 when the dataset is not empty). An
    /// episode is one user's run of sessions, as the agents' episodes are (`LoggedTransition.episode`): its
    /// transitions are consecutive slots, and its first transition holds its initial state (unless that step was cut
    /// at the horizon, which leaves the episode out). What off-policy estimators average over, and the independent
    /// units of their intervals.
    public private(set) var episodeStarts: [Int] = []
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

    /// A dataset of the transitions of one batch (tests, and data that is already in memory); `episodeStarts` as
    /// `append(_:episodeStarts:)` takes them.
    public init(environment: AgentEnvironment, batch: TransitionBatch, episodeStarts: [Int]? = nil) {
        self.init(environment: environment, capacity: batch.count)
        append(batch, episodeStarts: episodeStarts)
    }

    /// Transitions held.
    public var count: Int { transitions.count }

    /// Whether every transition has its elapsed time, as discounting by time needs.
    public var isTimed: Bool { count > 0 && timedCount == count }

    /// Adds a batch (normalised actions); the dataset must have room for it.
    ///
    /// `episodeStarts` are the batch's rows (ascending) that begin an episode; `nil` infers them by continuity, as
    /// `TransitionRule` links the steps of an episode: a row begins an episode when it is the dataset's first, when the
    /// transition before it was terminal, or when its state is not the previous transition's next state.
    public mutating func append(_ batch: TransitionBatch, episodeStarts: [Int]? = nil) {
        precondition(transitions.count + batch.count <= transitions.capacity,
                     "OfflineDataset: \(transitions.count) + \(batch.count) transitions exceed the capacity \(transitions.capacity)")
        guard batch.count > 0 else { return }
        let starts = episodeStarts ?? inferredEpisodeStarts(batch)
        precondition(zip(starts, starts.dropFirst()).allSatisfy { $0 < $1 } && starts.allSatisfy { $0 >= 0 && $0 < batch.count }
                     && (count > 0 || starts.first == 0),
                     "OfflineDataset: episode starts \(starts.prefix(5)) must be ascending rows of the batch, the first dataset row among them")
        self.episodeStarts.append(contentsOf: starts.map { $0 + count })
        transitions.append(batch)
        observationStatistics.update(batch.states)
        for r in batch.rewards { rewardStatistics.add(Double(r)) }
        if batch.elapsedHours != nil { timedCount += batch.count }
    }

    /// The rows of `batch` that begin an episode by continuity with what the dataset holds (`append`).
    private func inferredEpisodeStarts(_ batch: TransitionBatch) -> [Int] {
        var previous: (nextState: ArraySlice<Float>, terminal: Bool)?
        if count > 0 {
            let last = transitions.transition(at: count - 1)
            previous = (last.nextState[...], last.terminal)
        }
        var starts: [Int] = []
        for r in 0..<batch.count {
            let continues = previous.map { !$0.terminal && $0.nextState.elementsEqual(batch.states.row(r)) } ?? false
            if !continues { starts.append(r) }
            previous = (batch.nextStates.row(r), batch.terminals[r])
        }
        return starts
    }

    /// The realised discounted return of every episode from its first transition, Σ_t (Π_{k<t} γ_k) r_t with γ_k the
    /// discount of transition k (`Discounting.factor(elapsedHours:)`: per request, or by the logged hours), in
    /// `episodeStarts` order: the Monte Carlo value of the behaviour policy at the initial states, which an on-policy
    /// estimate (FQE with π_e = π_b) should match. An episode cut at the horizon is cut here too (its last step,
    /// which has no next state, is not in the dataset), where a value function goes on bootstrapping.
    ///
    /// - Precondition: the dataset is timed when `discounting` discounts by time.
    public func loggedDiscountedReturns(discounting: Discounting) -> [Double] {
        precondition(!discounting.needsElapsedTime || isTimed,
                     "OfflineDataset: discounting by time needs every transition's elapsed time")
        var returns: [Double] = []
        returns.reserveCapacity(episodeStarts.count)
        for (e, start) in episodeStarts.enumerated() {
            let end = e + 1 < episodeStarts.count ? episodeStarts[e + 1] : count
            var total = 0.0, weight = 1.0
            for slot in start..<end {
                let t = transitions.outcome(at: slot)
                total += weight * Double(t.reward)
                weight *= Double(discounting.factor(elapsedHours: t.elapsedHours))
            }
            returns.append(total)
        }
        return returns
    }
}
