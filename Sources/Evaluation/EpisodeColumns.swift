import EpisodeLog
import Numerics
import Simulator

/// Turns RL transitions in step order (`TransitionRule`'s, from a log or from sessions just simulated) into the
/// episode columns of `LoggedDecisions`: per step the reward, the discount d_t to apply to it and the behaviour
/// log-density, optionally the raw state and action; episodes as offsets.
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
///
/// **Transitions** (with the features): each step's hours to the next decision (NaN when unknown), and a check that
/// each step's state is the previous step's next state, so that the steps of an episode are its transitions in order
/// (what `EpisodeLogDecisions.offlineDataset()` builds FQE's data from).
struct EpisodeColumns: Sendable {
    let discounting: Discounting?
    /// Whether raw states and actions are kept.
    let keepsFeatures: Bool
    var rewards: [Double] = []
    var discounts: [Double] = []
    var behaviourLogDensities: [Double] = []
    var offsets: [Int] = [0]
    /// The run's episode number of each complete episode, in order.
    var episodeIDs: [Int] = []
    var states: [Float] = []
    var actions: [Float] = []
    /// Hours from each step's decision to the next (`Discounting.hours(minutes:)`), NaN when not logged; kept with
    /// the features.
    var elapsedHours: [Float] = []
    /// The first complete episode (its logged index) with a step whose state is not the previous step's next state.
    var unlinkedEpisode: Int?
    var incompleteEpisodes = 0
    /// The exploration group of the first step read that states no density (deterministic or implicit).
    var groupWithoutDensity: ExplorationGroup?
    /// A step of unknown time met while discounting by time.
    var untimedStep = false

    private var episode: Int?
    private var start = (steps: 0, states: 0, actions: 0)
    private var nextDiscount = 1.0
    private var expected: (session: Int, request: Int)?
    private var ended = false
    private var broken = false
    private var previousNextState: [Float]?
    private var unlinked = false

    init(discounting: Discounting?, keepsFeatures: Bool, expectedSteps: Int = 0, stateDimension: Int = 0,
         actionDimension: Int = 0) {
        self.discounting = discounting
        self.keepsFeatures = keepsFeatures
        rewards.reserveCapacity(expectedSteps)
        discounts.reserveCapacity(expectedSteps)
        behaviourLogDensities.reserveCapacity(expectedSteps)
        if keepsFeatures {
            states.reserveCapacity(expectedSteps * stateDimension)
            actions.reserveCapacity(expectedSteps * actionDimension)
            elapsedHours.reserveCapacity(expectedSteps)
        }
    }

    /// Adds the next transition in step order.
    mutating func add(_ t: LoggedTransition) {
        if t.episode != episode {
            closeEpisode()
            episode = t.episode
            start = (rewards.count, states.count, actions.count)
            nextDiscount = 1
            expected = nil
            ended = false
            broken = t.sessionIndex != 0 || t.requestIndex != 0
            previousNextState = nil
            unlinked = false
        }
        if ended { broken = true }
        if let e = expected, e.session != t.sessionIndex || e.request != t.requestIndex { broken = true }
        rewards.append(t.reward)
        discounts.append(nextDiscount)
        behaviourLogDensities.append(t.logDensity)
        if keepsFeatures {
            states.append(contentsOf: t.state)
            actions.append(contentsOf: t.action)
            elapsedHours.append(t.elapsedMinutes.map(Discounting.hours(minutes:)) ?? .nan)
            if let previous = previousNextState, previous != t.state { unlinked = true }
            previousNextState = t.nextState
        }
        let group = ExplorationGroup(rawValue: t.explorationGroup)
        if groupWithoutDensity == nil && (group == .deterministic || group == .implicit) { groupWithoutDensity = group }
        if let discounting {
            if let factor = discounting.factor(for: t) {
                nextDiscount *= Double(factor)
            } else {
                untimedStep = true
            }
        }
        expected = t.sessionEnd ? (t.sessionIndex + 1, 0) : (t.sessionIndex, t.requestIndex + 1)
        if t.terminal || t.truncated { ended = true }
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
            if unlinked && unlinkedEpisode == nil { unlinkedEpisode = closing }
            return
        }
        incompleteEpisodes += 1
        rewards.removeLast(rewards.count - start.steps)
        discounts.removeLast(discounts.count - start.steps)
        behaviourLogDensities.removeLast(behaviourLogDensities.count - start.steps)
        states.removeLast(states.count - start.states)
        actions.removeLast(actions.count - start.actions)
        if keepsFeatures { elapsedHours.removeLast(elapsedHours.count - start.steps) }
    }
}
