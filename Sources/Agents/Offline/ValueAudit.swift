import EpisodeLog
import Numerics
import Rollout
import Simulator

/// A learner whose critic estimates `Q(s, a)`, the discounted return of taking `a` in `s` and following the learned
/// policy after it, in reward units.
public protocol ValueEstimating {
    /// `Q(s, a)` for raw states (`batch × state`) and normalised actions in [-1, 1]^A (`batch × action`); the
    /// critic the learner's policy is trained or chosen against.
    func qValues(states: Matrix, actions: Matrix) -> [Double]
}

extension ValueEstimating {
    /// `Q(s, a)` of `critics` on raw states normalised by `statistics`: the first critic's, or the minimum over
    /// the critics (clipped double Q) when `minimum`.
    static func criticValues(_ critics: [Critic], statistics: NormalizerStatistics, states: Matrix, actions: Matrix,
                             minimum: Bool) -> [Double] {
        var normalised = states
        statistics.apply(to: &normalised)
        let predictions = (minimum ? critics : [critics[0]]).map { $0.predict(states: normalised, actions: actions) }
        return (0..<states.rows).map { r in predictions.map { Double($0[r, 0]) }.min()! }
    }
}

extension OfflineTD3: ValueEstimating {
    /// The first critic's `Q(s, a)`, the one TD3's actor ascends.
    public func qValues(states: Matrix, actions: Matrix) -> [Double] {
        Self.criticValues(core.critics, statistics: core.experience.statistics, states: states, actions: actions, minimum: false)
    }
}

extension TD3PlusBC: ValueEstimating {
    /// The first critic's `Q(s, a)`, the one the actor's `λQ` term ascends.
    public func qValues(states: Matrix, actions: Matrix) -> [Double] {
        Self.criticValues(core.critics, statistics: core.experience.statistics, states: states, actions: actions, minimum: false)
    }
}

extension BCQ: ValueEstimating {
    /// `Q₁(s, a)`, the critic BCQ's policy takes its argmax over.
    public func qValues(states: Matrix, actions: Matrix) -> [Double] {
        Self.criticValues(critics, statistics: experience.statistics, states: states, actions: actions, minimum: false)
    }
}

extension ImplicitQLearning: ValueEstimating {
    /// `min(Q₁, Q₂)(s, a)`, the Q̂ of IQL's advantages.
    public func qValues(states: Matrix, actions: Matrix) -> [Double] {
        Self.criticValues(critics, statistics: experience.statistics, states: states, actions: actions, minimum: true)
    }
}

extension ConservativeQLearning: ValueEstimating {
    /// `min(Q₁, Q₂)(s, a)`, the value SAC's actor ascends.
    public func qValues(states: Matrix, actions: Matrix) -> [Double] {
        Self.criticValues(critics, statistics: experience.statistics, states: states, actions: actions, minimum: true)
    }
}

/// Does a critic believe in its own policy's value? Its `Q(s, π(s))` on the states the policy meets on held-out
/// users, set beside the discounted return that actually followed from those states (Monte Carlo, the same
/// discounting), and its `Q(s, π(s))` on logged states.
///
/// Off-policy learning from a fixed batch bootstraps from actions the data never tried, whose values nothing
/// corrects (extrapolation error: Fujimoto, Meger & Precup 2019, §3.1 and Figure 1; Kumar et al. 2020, §1): an
/// unconstrained learner's predicted values then exceed what its policy earns, while constrained ones stay near it.
/// Only the simulator can show this; a production team would see the prediction but not the realised return.
///
/// Steps within `tailHours` of the horizon are left out: their return is cut short by the horizon, while the critic
/// values an MDP that goes on.
public struct ValueAudit: Sendable {
    public var world: World
    public var ranker: any Ranker
    public var discounting: Discounting
    public var seed: UInt64 = HeldOutEvaluation.trainingSeed
    public var episodes: Int
    public var threads: Int
    /// Hours before the horizon whose steps are not audited (the discounted tail beyond them is negligible).
    public var tailHours: Double = 72

    public init(world: World, ranker: any Ranker, discounting: Discounting, episodes: Int, threads: Int) {
        self.world = world
        self.ranker = ranker
        self.discounting = discounting
        self.episodes = episodes
        self.threads = threads
    }

    public struct Result: Codable, Sendable, Equatable {
        /// Mean `Q(s, π(s))` over the audited held-out steps.
        public var predicted: Double
        /// Mean discounted return that followed those steps, with a 95% interval clustered by episode.
        public var realised: SimulationSummary.Estimate
        /// Mean `Q(s, π(s))` over logged states (the dataset's), when given.
        public var predictedOnLoggedStates: Double?
        /// Audited steps.
        public var steps: Int
    }

    /// Audits `policy` (deterministic) against `critic`; `loggedStates` (raw) adds the prediction on the data.
    public func run(policy: any FusionPolicy, critic: some ValueEstimating, actionSpace: ActionSpace,
                    loggedStates: Matrix? = nil) -> Result {
        let sessions = Simulation(world: world, ranker: ranker, policy: policy, seed: seed, users: .heldOut)
            .episodes(0..<episodes, threads: threads, trace: true)
            .filter { !$0.steps.isEmpty }
            .sorted { ($0.episode, $0.sessionIndex) < ($1.episode, $1.sessionIndex) }
        let cutoff = world.config.episode.horizonDays * 24 * 60 - tailHours * 60
        var audited = [(episode: Int, state: [Float], action: [Float], realised: Double)]()
        var start = 0
        while start < sessions.count {
            var end = start
            while end < sessions.count && sessions[end].episode == sessions[start].episode { end += 1 }
            let episodeSessions = Array(sessions[start..<end])
            let transitions = TransitionRule.transitions(of: episodeSessions)
            let eligible = episodeSessions.flatMap { s in s.steps.map { _ in s.startMinutes <= cutoff } }
            var returnToGo = 0.0, realised = [Double](repeating: 0, count: transitions.count)
            for i in transitions.indices.reversed() {
                let t = transitions[i]
                let next = t.terminal || t.truncated ? 0 : Double(discounting.factor(for: t) ?? 0) * returnToGo
                returnToGo = t.reward + next
                realised[i] = returnToGo
            }
            for (i, t) in transitions.enumerated() where eligible[i] {
                audited.append((t.episode, t.state, t.action, realised[i]))
            }
            start = end
        }
        let d = world.stateLayout.dimension, a = actionSpace.dimension
        let states = Matrix(rows: audited.count, columns: d) { r, c in audited[r].state[c] }
        let actions = Matrix(rows: audited.count, columns: a) { r, c in
            min(max(actionSpace.normalize(audited[r].action[c], dimension: c), -1), 1)
        }
        let predicted = audited.isEmpty ? Double.nan : critic.qValues(states: states, actions: actions).reduce(0, +) / Double(audited.count)
        // `audited` is in episode order: sum each episode's run of steps, in that order (reproducible bit for bit).
        var perEpisode: [(sum: Double, count: Double)] = []
        for (i, x) in audited.enumerated() {
            if i == 0 || audited[i - 1].episode != x.episode { perEpisode.append((0, 0)) }
            perEpisode[perEpisode.count - 1].sum += x.realised
            perEpisode[perEpisode.count - 1].count += 1
        }
        let realised = Self.clusteredMean(perEpisode)
        return Result(predicted: predicted,
                      realised: realised,
                      predictedOnLoggedStates: loggedStates.map { predictedOnStates($0, policy: policy, critic: critic, actionSpace: actionSpace) },
                      steps: audited.count)
    }

    /// The mean over all steps `Σ_e S_e / Σ_e n_e` of episodes with sums `S_e` over `n_e` steps, with the 95%
    /// t-interval of a ratio estimator clustered by episode (steps of one episode are not independent):
    /// `Var = E/(E−1) · Σ_e (S_e − m·n_e)² / (Σ_e n_e)²` (Cochran, "Sampling Techniques", 1977, §6.4).
    static func clusteredMean(_ episodes: [(sum: Double, count: Double)]) -> SimulationSummary.Estimate {
        let n = episodes.reduce(0) { $0 + $1.count }
        guard n > 0 else { return .init(mean: .nan, lower: .nan, upper: .nan) }
        let mean = episodes.reduce(0) { $0 + $1.sum } / n
        guard episodes.count > 1 else { return .init(mean: mean, lower: .nan, upper: .nan) }
        let e = Double(episodes.count)
        let variance = e / (e - 1) * episodes.reduce(0) { $0 + ($1.sum - mean * $1.count) * ($1.sum - mean * $1.count) } / (n * n)
        let half = StudentT.quantile(0.975, degreesOfFreedom: e - 1) * variance.squareRoot()
        return .init(mean: mean, lower: mean - half, upper: mean + half)
    }

    /// Mean `Q(s, π(s))` over the rows of `states` (raw), π acting deterministically.
    func predictedOnStates(_ states: Matrix, policy: any FusionPolicy, critic: some ValueEstimating, actionSpace: ActionSpace) -> Double {
        guard states.rows > 0 else { return .nan }
        var output = PolicyOutput(batch: states.rows, actionDimension: actionSpace.dimension)
        var streams = (0..<states.rows).map { RandomStream(seed: seed, keys: UInt64($0)) }
        streams.withUnsafeMutableBufferPointer { policy.act(states: states, streams: $0.baseAddress!, into: &output) }
        var actions = output.means
        actions.withUnsafeMutableBufferPointer { x in
            for k in 0..<x.count { x[k] = min(max(actionSpace.normalize(x[k], dimension: k % actionSpace.dimension), -1), 1) }
        }
        let q = critic.qValues(states: states, actions: actions)
        return q.reduce(0, +) / Double(q.count)
    }
}
