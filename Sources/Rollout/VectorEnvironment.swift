import Dispatch
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
/// stepped here, reproduce its episodes. The caller acts; `act(_:into:)` lets one of MTFSim's own policies choose
/// instead, with the policy streams `simulate --policy` uses, so that baselines and checkpoints are evaluated on
/// exactly the episodes an outside agent meets.
///
/// Autoreset follows Gymnasium 1.x's default (next-step) mode: the step that ends a slot's episode returns the
/// episode's final observation, a copy of its last state (no request follows; the flags say why), and the slot's
/// next `step` starts its next episode instead of acting: its action is ignored, its reward is 0 and its flags are
/// false.
///
/// The slots are split into `threads` contiguous groups stepped concurrently, each with its own simulator; every
/// slot draws only from its own episode's streams and episode numbers are handed out in slot order before the
/// groups run, so results do not depend on `threads`. One instance belongs to one calling thread at a time. Steps
/// allocate nothing per request (the start of an episode or session allocates its small running state).
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
    public private(set) var seed: UInt64
    /// The number the next episode started will get.
    public private(set) var nextEpisode: Int
    /// Groups of slots stepped concurrently.
    public var threads: Int { groups.count }

    public var stateDimension: Int { world.stateLayout.dimension }
    public var actionDimension: Int { world.actionSpace.dimension }
    public var componentCount: Int { world.reward.componentCount }

    private let groups: [SlotGroup]
    /// Slots whose episode ended at the last step (they start the next one at the next step).
    private var ended: [Bool]
    /// Slots whose episode ended by churn or the horizon: their next episode is a new user's.
    private var userDone: [Bool]
    /// The episode each slot starts at this step (−1: none).
    private var starting: [Int]
    private var isReset = false

    /// - Parameters:
    ///   - count: slots (users stepped together).
    ///   - seed: the first seed of the keyed streams (`mtfsim simulate --seed`; the world's own seed is `world`'s).
    ///   - users: the user ids episodes are drawn from (default: the whole population).
    ///   - threads: groups of slots stepped concurrently (at most `count`; results do not depend on it).
    public init(world: World, ranker: any Ranker, count: Int, seed: UInt64, users: Range<Int>? = nil,
                firstEpisode: Int = 0, scope: EpisodeScope = .user, threads: Int = 1) {
        precondition(count > 0 && threads > 0, "VectorEnvironment: at least one slot and one thread")
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
        self.seed = seed
        nextEpisode = firstEpisode
        let groupCount = min(threads, count)
        groups = (0..<groupCount).map { g in
            let slots = (g * count / groupCount)..<((g + 1) * count / groupCount)
            return SlotGroup(world: world, ranker: ranker, slots: slots, seed: seed, users: users, scope: scope)
        }
        ended = [Bool](repeating: false, count: count)
        userDone = [Bool](repeating: true, count: count)
        starting = [Int](repeating: -1, count: count)
    }

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
            self.seed = seed
            nextEpisode = firstEpisode
            for group in groups { group.simulator.seed = seed }
        }
        for slot in 0..<count {
            if let episodes { starting[slot] = episodes[slot] } else { starting[slot] = nextEpisode; nextEpisode += 1 }
            ended[slot] = false
            userDone[slot] = false
        }
        if let episodes { nextEpisode = max(nextEpisode, (episodes.max() ?? 0) + 1) }
        isReset = true
        let starting = self.starting
        run { group in group.reset(episodes: starting, observations: observations) }
    }

    /// Answers every slot's request with its row of `actions` (`count × actionDimension` raw fusion weights, clipped
    /// to the environment's bounds) and writes what followed into `buffers`. A slot whose episode ended at the
    /// previous step starts its next episode instead (next-step autoreset).
    ///
    /// - Throws: `InputError.notFinite` for a NaN or infinite weight of an acting slot (nothing is stepped), or
    ///   `.notReset` before the first reset.
    public func step(actions: UnsafePointer<Float>, into buffers: StepBuffers) throws(InputError) {
        guard isReset else { throw .notReset }
        let a = actionDimension
        for slot in 0..<count where !ended[slot] {
            for i in 0..<a where !actions[slot * a + i].isFinite { throw .notFinite(slot: slot, dimension: i) }
        }
        for slot in 0..<count {
            if ended[slot] && userDone[slot] {
                starting[slot] = nextEpisode
                nextEpisode += 1
            } else {
                starting[slot] = -1
            }
        }
        let (ended, starting) = (self.ended, self.starting)
        run { group in group.step(actions: actions, ended: ended, starting: starting, into: buffers) }
        for group in groups {
            for slot in group.slots {
                self.ended[slot] = group.ended[slot - group.slots.lowerBound]
                userDone[slot] = group.userDone[slot - group.slots.lowerBound]
            }
        }
    }

    /// The raw fusion weights `policy` chooses for every slot's current request, into `actions`
    /// (`count × actionDimension`). Exploration draws from each episode's keyed policy stream, as in `mtfsim simulate
    /// --policy`, so stepping with these actions reproduces that run's episodes; each call advances the streams, so
    /// call it once per step. A slot whose episode ended at the last step gets the baseline (its next step ignores it).
    ///
    /// - Throws: `.notReset` before the first reset.
    public func act(_ policy: any FusionPolicy, into actions: UnsafeMutablePointer<Float>) throws(InputError) {
        guard isReset else { throw .notReset }
        precondition(policy.actionSpace.dimension == actionDimension,
                     "VectorEnvironment.act: the policy has \(policy.actionSpace.dimension) weights, the world \(actionDimension)")
        let ended = self.ended
        run { group in group.act(policy, ended: ended, into: actions) }
    }

    /// Where each slot stands: the episode, user, session and request of its next observation.
    public func position(slot: Int) -> Position {
        let group = groups.first { $0.slots.contains(slot) }!
        let lane = group.simulator.lane[slot - group.slots.lowerBound]
        return Position(episode: lane.episode, user: lane.user, sessionIndex: lane.session,
                        requestIndex: lane.observables.requestIndex)
    }

    /// Runs `body` on every group, concurrently when there are several.
    private func run(_ body: (SlotGroup) -> Void) {
        if groups.count == 1 { return body(groups[0]) }
        let groups = UnsafeSendable(groups)
        withoutActuallyEscaping(body) { body in
            let work = UnsafeSendable(body)
            DispatchQueue.concurrentPerform(iterations: groups.value.count) { g in work.value(groups.value[g]) }
        }
    }
}

/// A value handed to `concurrentPerform`'s workers, each of which touches only its own group's state.
private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A contiguous range of slots with its own block simulator (one lane per slot).
private final class SlotGroup {
    let simulator: BlockSimulator
    let slots: Range<Int>
    let scope: VectorEnvironment.EpisodeScope
    let stateDimension: Int, actionDimension: Int, componentCount: Int
    /// The workspace row of each slot's prepared request (local slot indices throughout).
    var rowOfSlot: [Int]
    var ended: [Bool]
    var userDone: [Bool]
    /// The local slots whose requests were last prepared, in the row order of `simulator.states`.
    var prepared: [Int]
    var policyOutput: PolicyOutput
    let lastObservation: UnsafeMutablePointer<Float>
    var result = BlockResult(sessions: [], impressionSamples: [])

    init(world: World, ranker: any Ranker, slots: Range<Int>, seed: UInt64, users: Range<Int>,
         scope: VectorEnvironment.EpisodeScope) {
        self.slots = slots
        self.scope = scope
        stateDimension = world.stateLayout.dimension
        actionDimension = world.actionSpace.dimension
        componentCount = world.reward.componentCount
        simulator = BlockSimulator(world: world, ranker: ranker,
                                   policy: FixedPolicy(action: world.actionSpace.baseline, actionSpace: world.actionSpace),
                                   seed: seed, lanes: slots.count, collectImpressions: false, userRange: users,
                                   reportsOutcomes: true)
        rowOfSlot = Array(0..<slots.count)
        ended = [Bool](repeating: false, count: slots.count)
        userDone = [Bool](repeating: true, count: slots.count)
        prepared = []
        prepared.reserveCapacity(slots.count)
        policyOutput = PolicyOutput(batch: slots.count, actionDimension: actionDimension)
        lastObservation = .allocate(zeroed: slots.count * stateDimension)
    }

    deinit { lastObservation.deallocate() }

    /// `episodes` and `observations` are indexed by global slot.
    func reset(episodes: [Int], observations: UnsafeMutablePointer<Float>) {
        simulator.lane = slots.enumerated().map { local, slot in simulator.startEpisode(episodes[slot], lane: local) }
        for local in 0..<slots.count {
            ended[local] = false
            userDone[local] = false
        }
        prepared.removeAll(keepingCapacity: true)
        prepared.append(contentsOf: 0..<slots.count)
        prepare(observations: observations)
    }

    /// One step of the group's slots; `ended` and `starting` (the episode a slot starts, or −1) are global.
    func step(actions: UnsafePointer<Float>, ended endedBefore: [Bool], starting: [Int],
              into buffers: VectorEnvironment.StepBuffers) {
        let c = componentCount, a = actionDimension, space = simulator.world.actionSpace
        prepared.removeAll(keepingCapacity: true)
        for (local, slot) in slots.enumerated() {
            if endedBefore[slot] {
                if starting[slot] >= 0 { simulator.lane[local] = simulator.startEpisode(starting[slot], lane: local) }
                ended[local] = false
                buffers.rewards[slot] = 0
                buffers.elapsedMinutes[slot] = 0
                buffers.terminated[slot] = 0
                buffers.truncated[slot] = 0
                buffers.sessionEnd[slot] = 0
                (buffers.components + slot * c).update(repeating: 0, count: c)
                prepared.append(local)
                continue
            }
            withClipped(actions + slot * a, space: space) { action in
                simulator.answer(lane: local, row: rowOfSlot[local], action: action, result: &result)
            }
            let outcome = simulator.lane[local].outcome
            buffers.rewards[slot] = outcome.reward
            buffers.elapsedMinutes[slot] = outcome.elapsedMinutes
            buffers.sessionEnd[slot] = outcome.sessionEnd ? 1 : 0
            (buffers.components + slot * c).update(from: simulator.outcomeComponents + local * c, count: c)
            let userEnded = !simulator.lane[local].active
            switch scope {
            case .user:
                buffers.terminated[slot] = outcome.terminated ? 1 : 0
                buffers.truncated[slot] = outcome.truncated ? 1 : 0
                ended[local] = userEnded
            case .session:
                // The session's own end: the user's leave, or its request cap.
                buffers.terminated[slot] = outcome.sessionEnd && !outcome.sessionCapped ? 1 : 0
                buffers.truncated[slot] = outcome.sessionCapped ? 1 : 0
                ended[local] = outcome.sessionEnd
            }
            userDone[local] = userEnded
            if ended[local] {
                (buffers.observations + slot * stateDimension).update(from: lastObservation + local * stateDimension,
                                                                      count: stateDimension)
            } else {
                prepared.append(local)
            }
        }
        prepare(observations: buffers.observations)
    }

    /// `policy`'s actions for the prepared requests (global rows of `actions`); the baseline for slots that `ended`.
    func act(_ policy: any FusionPolicy, ended: [Bool], into actions: UnsafeMutablePointer<Float>) {
        let a = actionDimension, baseline = simulator.world.actionSpace.baseline
        for slot in slots where ended[slot] {
            for i in 0..<a { actions[slot * a + i] = baseline[i] }
        }
        guard !prepared.isEmpty else { return }
        for (r, l) in prepared.enumerated() { simulator.streams[r] = simulator.lane[l].policyStream }
        simulator.streams.withUnsafeMutableBufferPointer { s in
            policy.act(states: simulator.states, streams: s.baseAddress!, into: &policyOutput)
        }
        for (r, l) in prepared.enumerated() { simulator.lane[l].policyStream = simulator.streams[r] }
        policyOutput.actions.withUnsafeBufferPointer { chosen in
            for (r, l) in prepared.enumerated() {
                (actions + (slots.lowerBound + l) * a).update(from: chosen.baseAddress! + r * a, count: a)
            }
        }
    }

    /// Runs `body` with `action` clipped to the box: in place when it is inside (the common case, no copy).
    private func withClipped(_ action: UnsafePointer<Float>, space: ActionSpace, _ body: (UnsafePointer<Float>) -> Void) {
        var inside = true
        for i in 0..<space.dimension where action[i] < space.low[i] || action[i] > space.high[i] { inside = false }
        if inside { return body(action) }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: space.dimension) { buffer in
            for i in 0..<space.dimension { buffer[i] = min(max(action[i], space.low[i]), space.high[i]) }
            body(buffer.baseAddress!)
        }
    }

    /// Prepares the requests of the local slots in `prepared` and writes their observations (global rows).
    private func prepare(observations: UnsafeMutablePointer<Float>) {
        let locals = prepared
        guard !locals.isEmpty else { return }
        simulator.prepare(active: locals)
        let s = stateDimension, offset = slots.lowerBound
        simulator.states.withUnsafeBufferPointer { states in
            for (row, local) in locals.enumerated() {
                rowOfSlot[local] = row
                (observations + (offset + local) * s).update(from: states.baseAddress! + row * s, count: s)
                (lastObservation + local * s).update(from: states.baseAddress! + row * s, count: s)
            }
        }
    }
}
