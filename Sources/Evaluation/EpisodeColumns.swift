import EpisodeLog
import Numerics
import Simulator

/// Turns RL transitions in step order (`TransitionRule`'s, from a log or from sessions just simulated) into the
/// episode columns of `LoggedDecisions`: per step the reward, the discount d_t to apply to it and the behaviour
/// log-density; episodes as offsets, and which rows of the transitions given they keep (`keptRows`: the log reader
/// keeps the states and actions of those rows).
///
/// **Which episodes count**: complete ones only, as `compare`'s reward per user-day: an episode whose last transition
/// ended in churn (`terminal`) or at the horizon (`truncated`), with no step missing (each step the next request of
/// its session, or request 0 of the next session after a session's end). An episode cut by the run's session budget
/// (the last episodes of a run), or still being written, is left out whole and counted in `incompleteEpisodes`.
///
/// **Discount** d_t = Π_{u<t} γ_u (d_0 = 1), with γ_u = `Discounting.factor(for:)` of step u's transition: γ per
/// request gives γ^t; by time γ·2^(−Δt_u/H) gives γ^t·2^(−hours since the episode began/H), Δt the request's minutes
/// plus the return gap after a session's last request, in the hours (`Float`) that the offline learners store.
/// Without a discounting every d_t = 1.
struct EpisodeColumns: Sendable {
    let discounting: Discounting?
    var rewards: [Double] = []
    var discounts: [Double] = []
    var behaviourLogDensities: [Double] = []
    var offsets: [Int] = [0]
    /// The run's episode number of each complete episode, in order.
    var episodeIDs: [Int] = []
    var incompleteEpisodes = 0
    /// The exploration group of the first step read that states no density (deterministic or implicit).
    var groupWithoutDensity: ExplorationGroup?
    /// A step of unknown time met while discounting by time.
    var untimedStep = false

    private var episode: Int?
    /// Rows added (every transition given, kept or not).
    private var added = 0
    /// The rows added of each complete episode so far, in order (ranges of the transitions given).
    private(set) var keptRows: [Range<Int>] = []
    private var start = (steps: 0, added: 0)
    private var nextDiscount = 1.0
    private var expected: (session: Int, request: Int)?
    private var ended = false
    private var broken = false

    init(discounting: Discounting?, expectedSteps: Int = 0) {
        self.discounting = discounting
        rewards.reserveCapacity(expectedSteps)
        discounts.reserveCapacity(expectedSteps)
        behaviourLogDensities.reserveCapacity(expectedSteps)
    }

    /// Adds the next transition in step order.
    mutating func add(_ t: LoggedTransition) {
        add(episode: t.episode, sessionIndex: t.sessionIndex, requestIndex: t.requestIndex, reward: t.reward,
            logDensity: t.logDensity, explorationGroup: t.explorationGroup, sessionEnd: t.sessionEnd, terminal: t.terminal,
            truncated: t.truncated, elapsedMinutes: t.elapsedMinutes)
    }

    /// Adds transition `row` of `columns` (in step order), without its state and action: `keptRows` says which
    /// rows to keep of them.
    mutating func add(_ columns: TransitionColumns, row r: Int) {
        let minutes = columns.elapsedMinutes[r]
        add(episode: columns.episodes[r], sessionIndex: columns.sessionIndices[r], requestIndex: columns.requestIndices[r],
            reward: columns.rewards[r], logDensity: columns.logDensities[r], explorationGroup: columns.explorationGroups[r],
            sessionEnd: columns.sessionEnds[r], terminal: columns.terminals[r], truncated: columns.truncations[r],
            elapsedMinutes: minutes.isNaN ? nil : minutes)
    }

    /// The fields of one transition (`LoggedTransition`'s).
    private mutating func add(episode: Int, sessionIndex: Int, requestIndex: Int, reward: Double, logDensity: Double,
                              explorationGroup: UInt8, sessionEnd: Bool, terminal: Bool, truncated: Bool,
                              elapsedMinutes: Double?) {
        if episode != self.episode {
            closeEpisode()
            self.episode = episode
            start = (rewards.count, added)
            nextDiscount = 1
            expected = nil
            ended = false
            broken = sessionIndex != 0 || requestIndex != 0
        }
        added += 1
        if ended { broken = true }
        if let e = expected, e.session != sessionIndex || e.request != requestIndex { broken = true }
        rewards.append(reward)
        discounts.append(nextDiscount)
        behaviourLogDensities.append(logDensity)
        let group = ExplorationGroup(rawValue: explorationGroup)
        if groupWithoutDensity == nil && (group == .deterministic || group == .implicit) { groupWithoutDensity = group }
        if let discounting {
            if let factor = discounting.factor(elapsedMinutes: elapsedMinutes) {
                nextDiscount *= Double(factor)
            } else {
                untimedStep = true
            }
        }
        expected = sessionEnd ? (sessionIndex + 1, 0) : (sessionIndex, requestIndex + 1)
        if terminal || truncated { ended = true }
    }

    /// Closes the last episode.
    mutating func finish() { closeEpisode() }

    /// Complete episodes.
    var episodes: Int { offsets.count - 1 }

    private mutating func closeEpisode() {
        guard let closing = episode else { return }
        episode = nil
        if ended && !broken {
            offsets.append(rewards.count)
            episodeIDs.append(closing)
            if let last = keptRows.last, last.upperBound == start.added {
                keptRows[keptRows.count - 1] = last.lowerBound..<added
            } else {
                keptRows.append(start.added..<added)
            }
            return
        }
        incompleteEpisodes += 1
        rewards.removeLast(rewards.count - start.steps)
        discounts.removeLast(discounts.count - start.steps)
        behaviourLogDensities.removeLast(behaviourLogDensities.count - start.steps)
    }
}
