import Numerics
import Simulator

/// Simulated users stepped one request at a time by fusion weights chosen outside the simulator: the
/// reset/step interface of a Gymnasium vector environment over the block simulator. The C ABI (`MTFSimC`), and
/// through it Python's `mtfsim.Env` and `mtfsim.VectorEnv`, drive it.
///
/// Each of `count` slots runs one episode at a time. An episode is one user's run of sessions until churn
/// (terminated) or the horizon (truncated), as for the agents; with `EpisodeScope.session` it is one session, which
/// ends at the user's leave (terminated) or the session's request cap (truncated), and the next episode of the slot is
/// the same user's next session when the user returned. Episodes are numbered in the order slots start them, from
/// `firstEpisode`; episode `e` meets user `users.lowerBound + e mod users.count` and draws from the keyed streams
/// of (`seed`, `e`, session), exactly as `mtfsim simulate --seed` does, so the logged actions of a `simulate` log,
/// stepped here, reproduce its episodes (the streams of the policy are not used: the caller acts).
///
/// Autoreset follows Gymnasium 1.x's default (next-step) mode: the step that ends a slot's episode returns the
/// episode's final observation, a copy of its last state (no request follows; the flags say why), and the slot's
/// next `step` starts its next episode instead of acting: its action is ignored, its reward is 0 and its flags are
/// false.
///
/// One instance belongs to one thread at a time. Steps allocate nothing per request (the start of an episode or
/// session allocates its small running state).
public final class VectorEnvironment {
    /// What one episode is.
    public enum EpisodeScope: Sendable {
        /// One user's run of sessions over the horizon (the agents' episode).
        case user
        /// One session.
        case session
    }

    /// Caller-owned buffers a step writes, one row per slot.
    public struct StepBuffers {
        /// `count × stateDimension`: each slot's next observation (or final observation).
        public var observations: UnsafeMutablePointer<Float>
        /// `count`: each slot's reward.
        public var rewards: UnsafeMutablePointer<Double>
        /// `count × componentCount`: the reward components (`RewardModel.componentNames`).
        public var components: UnsafeMutablePointer<Float>
        /// `count` flags each (1 or 0).
        public var terminated: UnsafeMutablePointer<UInt8>
        public var truncated: UnsafeMutablePointer<UInt8>
        public var sessionEnd: UnsafeMutablePointer<UInt8>
        /// `count`: minutes the answered request took on the simulation clock (0 for a slot that reset).
        public var elapsedMinutes: UnsafeMutablePointer<Double>

        public init(observations: UnsafeMutablePointer<Float>, rewards: UnsafeMutablePointer<Double>,
                    components: UnsafeMutablePointer<Float>, terminated: UnsafeMutablePointer<UInt8>,
                    truncated: UnsafeMutablePointer<UInt8>, sessionEnd: UnsafeMutablePointer<UInt8>,
                    elapsedMinutes: UnsafeMutablePointer<Double>) {
            self.observations = observations
            self.rewards = rewards
            self.components = components
            self.terminated = terminated
            self.truncated = truncated
            self.sessionEnd = sessionEnd
            self.elapsedMinutes = elapsedMinutes
        }
    }

    /// Where a slot stands: the request its next observation belongs to.
    public struct Position: Sendable, Equatable {
        public var episode: Int
        public var user: Int
        public var sessionIndex: Int
        public var requestIndex: Int

        public init(episode: Int, user: Int, sessionIndex: Int, requestIndex: Int) {
            self.episode = episode
            self.user = user
            self.sessionIndex = sessionIndex
            self.requestIndex = requestIndex
        }
    }

    /// A step or reset the environment refuses, leaving its state unchanged.
    public enum InputError: Error, Equatable, CustomStringConvertible {
        case notFinite(slot: Int, dimension: Int)
        case notReset
        case negativeEpisode(Int)

        public var description: String {
            switch self {
            case let .notFinite(slot, dimension):
                "action of slot \(slot), dimension \(dimension) is not a finite number"
            case .notReset: "step before reset: call reset first"
            case let .negativeEpisode(e): "episode numbers are non-negative, got \(e)"
            }
        }
    }

    public let world: World
    public let count: Int
    public let scope: EpisodeScope
    /// The user ids episodes are drawn from.
    public let users: Range<Int>
    /// The first episode number after a reset with a seed.
    public let firstEpisode: Int
    /// The seed of the keyed streams of the episodes started from now on.
    public var seed: UInt64 { simulator.seed }
    /// The number the next episode started will get.
    public private(set) var nextEpisode: Int

    public var stateDimension: Int { world.stateLayout.dimension }
    public var actionDimension: Int { world.actionSpace.dimension }
    public var componentCount: Int { world.reward.componentCount }

    private let simulator: BlockSimulator
    /// The workspace row of each slot's prepared request.
    private var rowOfSlot: [Int]
    /// Slots whose episode ended at the last step (they start the next one at the next step).
    private var ended: [Bool]
    /// Slots whose episode ended by churn or the horizon: their next episode is a new user's.
    private var userDone: [Bool]
    private var prepared: [Int]
    private var isReset = false
    private var lastObservation: UnsafeMutablePointer<Float>
    private var result = BlockResult(sessions: [], impressionSamples: [])

    /// - Parameters:
    ///   - count: slots (users stepped together).
    ///   - users: the user ids episodes are drawn from (default: the whole population).
    ///   - seed: the first seed of the keyed streams (`mtfsim simulate --seed`; the world's own seed is `world`'s).
    public init(world: World, ranker: any Ranker, count: Int, seed: UInt64, users: Range<Int>? = nil,
                firstEpisode: Int = 0, scope: EpisodeScope = .user) {
        precondition(count > 0, "VectorEnvironment: at least one slot")
        let population = world.population.count
        let users = users ?? 0..<population
        precondition(!users.isEmpty && users.lowerBound >= 0 && users.upperBound <= population,
                     "VectorEnvironment: users \(users) outside the population 0..<\(population)")
        precondition(firstEpisode >= 0, "VectorEnvironment: episode numbers are non-negative")
        self.world = world
        self.count = count
        self.scope = scope
        self.users = users
        self.firstEpisode = firstEpisode
        nextEpisode = firstEpisode
        simulator = BlockSimulator(world: world, ranker: ranker, policy: FixedPolicy(action: world.actionSpace.baseline, actionSpace: world.actionSpace),
                                   seed: seed, lanes: count, collectImpressions: false, userRange: users, reportsOutcomes: true)
        rowOfSlot = Array(0..<count)
        ended = [Bool](repeating: false, count: count)
        userDone = [Bool](repeating: true, count: count)
        prepared = []
        prepared.reserveCapacity(count)
        lastObservation = .allocate(zeroed: count * world.stateLayout.dimension)
    }

    deinit { lastObservation.deallocate() }

    /// Starts a new episode in every slot and writes their first observations (`count × stateDimension`).
    ///
    /// - Parameters:
    ///   - seed: when given, the streams' seed from now on, and episode numbering restarts at `firstEpisode`.
    ///   - episodes: the episode numbers to start, one per slot (e.g. to step a logged episode again); by default the
    ///     next `count` numbers.
    public func reset(seed: UInt64? = nil, episodes: [Int]? = nil, observations: UnsafeMutablePointer<Float>) throws(InputError) {
        if let episodes {
            precondition(episodes.count == count, "VectorEnvironment.reset: one episode per slot")
            if let bad = episodes.first(where: { $0 < 0 }) { throw .negativeEpisode(bad) }
        }
        if let seed {
            simulator.seed = seed
            nextEpisode = firstEpisode
        }
        simulator.lane = (0..<count).map { slot in
            let e: Int
            if let episodes { e = episodes[slot] } else { e = nextEpisode; nextEpisode += 1 }
            return simulator.startEpisode(e, lane: slot)
        }
        if let episodes { nextEpisode = max(nextEpisode, (episodes.max() ?? 0) + 1) }
        for slot in 0..<count {
            ended[slot] = false
            userDone[slot] = false
        }
        isReset = true
        prepare(Array(0..<count), observations: observations)
    }

    /// Answers every slot's request with its row of `actions` (`count × actionDimension` raw fusion weights, clipped
    /// to the environment's bounds) and writes what followed into `buffers`. A slot whose episode ended at the
    /// previous step starts its next episode instead (next-step autoreset).
    ///
    /// - Throws: `InputError.notFinite` for a NaN or infinite weight of an acting slot (nothing is stepped), or
    ///   `.notReset` before the first reset.
    public func step(actions: UnsafePointer<Float>, into buffers: StepBuffers) throws(InputError) {
        guard isReset else { throw .notReset }
        let a = actionDimension, space = world.actionSpace
        for slot in 0..<count where !ended[slot] {
            for i in 0..<a where !actions[slot * a + i].isFinite { throw .notFinite(slot: slot, dimension: i) }
        }
        let c = componentCount
        prepared.removeAll(keepingCapacity: true)
        for slot in 0..<count {
            if ended[slot] {
                if userDone[slot] {
                    simulator.lane[slot] = simulator.startEpisode(nextEpisode, lane: slot)
                    nextEpisode += 1
                }
                ended[slot] = false
                buffers.rewards[slot] = 0
                buffers.elapsedMinutes[slot] = 0
                buffers.terminated[slot] = 0
                buffers.truncated[slot] = 0
                buffers.sessionEnd[slot] = 0
                (buffers.components + slot * c).update(repeating: 0, count: c)
                prepared.append(slot)
                continue
            }
            withClipped(actions + slot * a, space: space) { clippedAction in
                simulator.answer(lane: slot, row: rowOfSlot[slot], action: clippedAction, result: &result)
            }
            let outcome = simulator.lane[slot].outcome
            buffers.rewards[slot] = outcome.reward
            buffers.elapsedMinutes[slot] = outcome.elapsedMinutes
            buffers.sessionEnd[slot] = outcome.sessionEnd ? 1 : 0
            (buffers.components + slot * c).update(from: simulator.outcomeComponents + slot * c, count: c)
            let userEnded = !simulator.lane[slot].active
            switch scope {
            case .user:
                buffers.terminated[slot] = outcome.terminated ? 1 : 0
                buffers.truncated[slot] = outcome.truncated ? 1 : 0
                ended[slot] = userEnded
            case .session:
                // The session's own end: the user's leave, or its request cap.
                buffers.terminated[slot] = outcome.sessionEnd && !outcome.sessionCapped ? 1 : 0
                buffers.truncated[slot] = outcome.sessionCapped ? 1 : 0
                ended[slot] = outcome.sessionEnd
            }
            userDone[slot] = userEnded
            if !ended[slot] { prepared.append(slot) }
        }
        let s = stateDimension
        for slot in 0..<count where ended[slot] {
            (buffers.observations + slot * s).update(from: lastObservation + slot * s, count: s)
        }
        prepare(prepared, observations: buffers.observations)
    }

    /// Where each slot stands: the episode, user, session and request of its next observation.
    public func position(slot: Int) -> Position {
        let lane = simulator.lane[slot]
        return Position(episode: lane.episode, user: lane.user, sessionIndex: lane.session,
                        requestIndex: lane.observables.requestIndex)
    }

    /// Runs `body` with `action` clipped to the box: in place when it is inside (the common case, no copy).
    private func withClipped(_ action: UnsafePointer<Float>, space: ActionSpace,
                             _ body: (UnsafePointer<Float>) -> Void) {
        var inside = true
        for i in 0..<space.dimension where action[i] < space.low[i] || action[i] > space.high[i] { inside = false }
        if inside { return body(action) }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: space.dimension) { buffer in
            for i in 0..<space.dimension { buffer[i] = min(max(action[i], space.low[i]), space.high[i]) }
            body(buffer.baseAddress!)
        }
    }

    /// Prepares the requests of `slots` and writes their observations.
    private func prepare(_ slots: [Int], observations: UnsafeMutablePointer<Float>) {
        guard !slots.isEmpty else { return }
        simulator.prepare(active: slots)
        let s = stateDimension
        simulator.states.withUnsafeBufferPointer { states in
            for (row, slot) in slots.enumerated() {
                rowOfSlot[slot] = row
                (observations + slot * s).update(from: states.baseAddress! + row * s, count: s)
                (lastObservation + slot * s).update(from: states.baseAddress! + row * s, count: s)
            }
        }
    }
}
