import EpisodeLog
import NeuralNet
import Numerics
import Simulator

/// Fitted Q Evaluation (FQE; Le, Voloshin & Yue 2019, "Batch Policy Learning under Constraints", ICML, Algorithm 3):
/// the value of a target policy π_e estimated from logged transitions alone, by fitting its action-value function
/// `Q^π` with TD regression and averaging it over the data's initial states.
///
/// Le et al. iterate `Q_k = argmin_Q (1/N) Σ_i (Q(s_i, a_i) − y_i)²` with `y_i = r_i + γ Q_{k−1}(s′_i, π(s′_i))`. Here
/// each iteration is taken by Adam steps on mini-batches drawn uniformly with replacement from the dataset, against
/// a target critic `Q̄` that holds the previous iterate: copied every M steps (`TargetUpdate.hard`, Le et al.'s
/// iterations) or Polyak-averaged (`TargetUpdate.soft`). The target of transition i is
///
///     y_i = r_i + γ_i (1 − d_i) · E_{a′∼π}[Q̄(s′_i, a′)],
///
/// with γ_i the dataset's discount of that transition (per request, or `γ·2^(−Δt_i/H)` by the logged hours:
/// `ReplayBatch.bootstrapDiscounts`) and d_i its terminal flag (a churn). With γ = 1 and no discounting by time
/// (the undiscounted return of finite episodes) nothing contracts the iteration: Q̂ converges only because every
/// episode ends in a terminal transition, after as many backups as the longest episode has steps, so γ = 1 is refused on
/// a dataset with an episode that does not end. The expectation is the critic at π's action
/// for a deterministic target (`PolicyDensity.isDeterministic`), computed once per transition before fitting since it
/// never changes; for a stochastic target it is the mean over K actions drawn afresh at every step from keyed streams.
///
/// The critic is the learners' (`Critic`: an MLP on [normalised state | normalised action]); it sees states
/// normalised by the dataset's statistics, while π acts on the raw states, as a deployed policy does. Rewards are not
/// scaled, so Q is in reward units.
///
/// The estimate is `V̂(π) = (1/E) Σ_e E_{a∼π}[Q̂(s_0^e, a)]` over the dataset's E episodes (`OfflineDataset.
/// episodeStarts`: one user's run of sessions, the agents' episode), with `s_0^e` the state of each episode's first
/// transition; the per-episode values are returned too, for intervals over episodes (the independent units).
///
/// **Conservative FQE** (`conservativeAlpha` > 0): BatchRL-MTF's Conservative-OPEstimator (Zhang et al. 2022,
/// "Multi-Task Fusion via Reinforcement Learning for Long-Term User Satisfaction in Recommender Systems", KDD, §4.3.1
/// and Algorithm 2 of Appendix A) fits `Q̂` by FQE with the CQL regulariser of Kumar et al. 2020 ("Conservative
/// Q-Learning for Offline Reinforcement Learning", eq. 2: policy evaluation with μ = π_e), which pushes Q down at the
/// evaluated policy's actions and up at the logged ones:
///
///     Q_{k+1} = argmin_Q  α · ( E_{s∼D} E_{a∼π_e}[Q(s, a)] − E_{(s,a)∼D}[Q(s, a)] )  +  ½ E_D[(Q(s, a) − y)²].
///
/// Algorithm 2 computes exactly these three quantities per mini-batch (`Q_k(s_i, π_e(s_i))`, `Q_k(s_i, a_i)`, the
/// targets `y_i`); its printed equations did not survive in the text found, so the form of the objective is CQL's
/// eq. 2, which the paper cites. Minimised here as `(1/B) Σ (Q − y)² + 2α·(mean Q(s, π_e(s)) − mean Q(s, a))` (the
/// same objective doubled, to reuse the TD loss without ½). Kumar et al.'s Theorem 3.2: in the tabular case every
/// backup subtracts `α(π_e(a|s)/π̂_β(a|s) − 1)` from FQE's, whose mean under π_e is a χ²-divergence ≥ 0, so
/// `E_{π_e}[Q̂(s, ·)]` lower-bounds `V^π(s)` and FQE's estimate, the more the further π_e strays from the logged
/// actions.
/// Its default α = 0.5·10⁻³ is the paper's (`FittedQEvaluationConfiguration.batchRLMTF`). For a deterministic π_e
/// whose actions lie away from the logged ones, π_e/π̂_β is infinite and the regulariser has no finite fixed point:
/// nothing in the data holds `Q(s, π_e(s))` up, Adam moves the weights that only the regulariser reaches at full
/// speed whatever α, and the estimate keeps falling with the steps (the paper's Table 1 gives TD3 −648 where its
/// in-support policies score about 4). Read a large negative conservative value as "outside the data", not as a value.
///
/// Deterministic: the critic's weights come from `seed`, its mini-batches and a stochastic target's draws from streams
/// keyed by the seed, the step and the row, and it runs on one thread (BLAS products are the learners').
///
/// Cost per gradient step: one forward pass of the target critic on B·K rows and a forward and backward pass of the
/// critic on B rows (and on B·K more with the regulariser); a stochastic target also acts K times on B states per step.
public struct FittedQEvaluation: Sendable {
    public static let name = "fqe"

    public let configuration: FittedQEvaluationConfiguration
    public let dataset: OfflineDataset
    /// The target policy π_e; it acts on raw states, its raw actions are normalised into the dataset's action box.
    public let policy: any FusionPolicy
    public let seed: UInt64
    /// Whether π_e is a point mass (its action is a function of the state): one action per state instead of K. Only a
    /// `PolicyDensity` can say so; any other policy may draw from its streams (BCQ's sampled proposals draw although it
    /// states no exploration) and is averaged over K draws.
    public let isDeterministicTarget: Bool
    /// Q̂, on normalised states and normalised actions.
    public private(set) var critic: Critic
    /// Q̄ of the TD targets.
    public private(set) var targetCritic: Critic
    /// Gradient steps taken.
    public private(set) var updateCount = 0

    private var optimizer: Adam
    private var experience: ExperienceStore
    private var batchStream: RandomStream
    /// A deterministic π_e's normalised actions at every transition's state and next state, `count × A`.
    private let stateActions: Matrix?
    private let nextStateActions: Matrix?
    private var scratch = Scratch()

    /// One point of the learning curve of `fit()`.
    public struct CurvePoint: Codable, Sendable, Equatable {
        /// Gradient steps taken so far.
        public var steps: Int
        /// Means over the steps since the previous point.
        public var diagnostics: Diagnostics
        /// The estimate `V̂(π)` after these steps.
        public var value: Double
    }

    /// Means over the gradient steps of one `update` call.
    public struct Diagnostics: Codable, Sendable, Equatable {
        public var steps = 0
        /// `(1/B) Σ (Q(s, a) − y)²`.
        public var temporalDifferenceLoss = 0.0
        /// Mean `Q̂(s, a)` on the logged pairs of the mini-batches.
        public var meanQ = 0.0
        /// Mean TD target `y`.
        public var meanTarget = 0.0
        /// Conservative FQE: mean `Q̂(s, a)` at π_e's actions on the mini-batches' states; the regulariser's gap is
        /// `meanPolicyQ − meanQ`. `nil` for plain FQE.
        public var meanPolicyQ: Double?
    }

    /// The value estimate.
    public struct Estimate: Codable, Sendable, Equatable {
        /// `V̂(π) = (1/E) Σ_e V̂(s_0^e)`, the discounted return of π_e from the data's initial states, reward units.
        public var value: Double
        /// `V̂(s_0^e) = E_{a∼π}[Q̂(s_0^e, a)]` for every episode, in `OfflineDataset.episodeStarts` order.
        public var episodeValues: [Double]
        /// Gradient steps behind the estimate.
        public var steps: Int
    }

    /// A fresh evaluation of `policy` on `dataset`; the critic's weights are drawn from `seed`.
    ///
    /// Refused (`AgentConfigurationError`): a configuration out of range, an empty dataset, a policy of another
    /// action dimension, and discounting by time on a dataset whose transitions lack their elapsed times.
    public init(dataset: OfflineDataset, policy: any FusionPolicy,
                configuration: FittedQEvaluationConfiguration = FittedQEvaluationConfiguration(),
                seed: UInt64) throws(AgentConfigurationError) {
        try configuration.validate()
        guard dataset.count > 0 else { throw AgentConfigurationError(field: "dataset", message: "holds no transitions") }
        let (s, a) = (dataset.environment.stateDimension, dataset.environment.actionDimension)
        guard policy.actionSpace.dimension == a else {
            throw AgentConfigurationError(field: "policy", message: "'\(policy.spec)' has \(policy.actionSpace.dimension) "
                                          + "action dimensions, the dataset \(a)")
        }
        if configuration.discount == 1 && !configuration.discounting.needsElapsedTime,
           let open = Self.firstEpisodeWithoutEnd(dataset) {
            throw AgentConfigurationError(field: "discount", message: "γ = 1 (undiscounted) needs episodes that end: every "
                                          + "episode's last transition terminal, but episode \(open.episode) (slots "
                                          + "\(open.slots)) ends without one")
        }
        if configuration.discounting.needsElapsedTime && !dataset.isTimed {
            throw AgentConfigurationError(field: "discountHalfLifeHours", message: "discounting by time needs every "
                                          + "transition's elapsed time; \(dataset.count - dataset.timedCount) of "
                                          + "\(dataset.count) have none")
        }
        self.configuration = configuration
        self.dataset = dataset
        self.policy = policy
        self.seed = seed
        isDeterministicTarget = (policy as? any PolicyDensity)?.isDeterministic ?? false
        var settings = ActorCriticConfiguration()
        settings.hiddenSizes = configuration.hiddenSizes
        settings.batchSize = configuration.batchSize
        settings.discount = configuration.discount
        settings.discountHalfLifeHours = configuration.discountHalfLifeHours
        settings.normalizeObservations = configuration.normalizeObservations
        settings.observationClip = configuration.observationClip
        experience = ExperienceStore(dataset: dataset, configuration: settings)
        var stream = RandomStream(seed: seed, keys: streamKey("agents.initialization"), streamKey(FittedQEvaluation.name))
        critic = Critic(stateDimension: s, actionDimension: a, hiddenSizes: configuration.hiddenSizes, stream: &stream)
        targetCritic = critic
        optimizer = Adam(learningRate: configuration.learningRate)
        batchStream = RandomStream(seed: seed, keys: Self.batchKey)
        if isDeterministicTarget {
            var states = Matrix(rows: dataset.count, columns: a), next = Matrix(rows: dataset.count, columns: a)
            Self.forEachChunk(of: dataset.transitions) { slots, batch in
                let chunk = Self.actions(of: policy, at: batch.states, draws: 1, actionSpace: dataset.environment.actionSpace) {
                    RandomStream(seed: seed, keys: Self.stateActionKey, UInt64(slots.lowerBound + $0))
                }
                let nextChunk = Self.actions(of: policy, at: batch.nextStates, draws: 1,
                                             actionSpace: dataset.environment.actionSpace) {
                    RandomStream(seed: seed, keys: Self.nextStateActionKey, UInt64(slots.lowerBound + $0))
                }
                for (r, slot) in slots.enumerated() {
                    for j in 0..<a {
                        states[slot, j] = chunk[r, j]
                        next[slot, j] = nextChunk[r, j]
                    }
                }
            }
            stateActions = states
            nextStateActions = next
        } else {
            stateActions = nil
            nextStateActions = nil
        }
    }

    /// The discounting of the TD targets.
    public var discounting: Discounting { configuration.discounting }

    /// The first episode (`OfflineDataset.episodeStarts`) whose last transition is not terminal, with its slots.
    static func firstEpisodeWithoutEnd(_ dataset: OfflineDataset) -> (episode: Int, slots: Range<Int>)? {
        let starts = dataset.episodeStarts
        for (e, start) in starts.enumerated() {
            let end = e + 1 < starts.count ? starts[e + 1] : dataset.count
            if !dataset.transitions.outcome(at: end - 1).terminal { return (e, start..<end) }
        }
        return nil
    }

    /// The normalisation the critic sees states through.
    public var statistics: NormalizerStatistics { experience.statistics }

    // MARK: Fitting

    /// Takes `steps` gradient steps and returns their mean diagnostics.
    public mutating func update(steps: Int) -> Diagnostics {
        var d = Diagnostics()
        guard steps > 0 else { return d }
        let conservative = configuration.conservativeAlpha > 0
        var policyQ = 0.0
        for _ in 0..<steps {
            let step = updateOnce()
            d.temporalDifferenceLoss += step.loss
            d.meanQ += step.meanQ
            d.meanTarget += step.meanTarget
            policyQ += step.meanPolicyQ ?? 0
        }
        let n = Double(steps)
        d.steps = steps
        d.temporalDifferenceLoss /= n
        d.meanQ /= n
        d.meanTarget /= n
        if conservative { d.meanPolicyQ = policyQ / n }
        return d
    }

    /// Runs the configuration's `steps`, recording the learning curve every `curveInterval` steps and after the last.
    @discardableResult
    public mutating func fit() -> [CurvePoint] {
        var curve: [CurvePoint] = []
        var remaining = configuration.steps
        while remaining > 0 {
            let n = min(configuration.curveInterval, remaining)
            let diagnostics = update(steps: n)
            remaining -= n
            curve.append(CurvePoint(steps: updateCount, diagnostics: diagnostics, value: estimate().value))
        }
        return curve
    }

    /// One gradient step: a mini-batch, its TD targets, the regression (with the conservative regulariser when α > 0),
    /// and the target critic's update.
    private mutating func updateOnce() -> (loss: Double, meanQ: Double, meanTarget: Double, meanPolicyQ: Double?) {
        let k = isDeterministicTarget ? 1 : configuration.actionSamples
        let alpha = configuration.conservativeAlpha
        experience.replay.sample(into: &experience.batch, stream: &batchStream)
        let b = experience.batch.size
        let step = UInt64(updateCount)
        if let nextStateActions, let stateActions {
            scratch.nextActions = nextStateActions.gatherRows(experience.batch.indices)
            if alpha > 0 { scratch.policyActions = stateActions.gatherRows(experience.batch.indices) }
        } else {
            let space = dataset.environment.actionSpace
            scratch.nextActions = Self.actions(of: policy, at: experience.batch.nextStates, draws: k, actionSpace: space) {
                RandomStream(seed: seed, keys: Self.nextStateActionKey, step, UInt64($0))
            }
            if alpha > 0 {
                scratch.policyActions = Self.actions(of: policy, at: experience.batch.states, draws: k, actionSpace: space) {
                    RandomStream(seed: seed, keys: Self.stateActionKey, step, UInt64($0))
                }
            }
        }
        experience.statistics.apply(to: &experience.batch.states)
        experience.statistics.apply(to: &experience.batch.nextStates)
        experience.batch.discount(with: discounting)

        Self.repeatRows(experience.batch.nextStates, times: k, into: &scratch.repeatedStates)
        let nextQ = targetCritic.forward(states: scratch.repeatedStates, actions: scratch.nextActions)
        scratch.targets.resize(rows: b, columns: 1)
        var targetSum = 0.0
        for r in 0..<b {
            var mean = 0.0
            for j in 0..<k { mean += Double(nextQ[r * k + j, 0]) }
            mean /= Double(k)
            let y = Double(experience.batch.rewards[r, 0]) + Double(experience.batch.bootstrapDiscounts[r, 0]) * mean
            scratch.targets[r, 0] = Float(y)
            targetSum += y
        }

        critic.zeroGradients()
        let loss: (loss: Double, meanQ: Double, meanPolicyQ: Double?)
        if alpha > 0 {
            if k > 1 { Self.repeatRows(experience.batch.states, times: k, into: &scratch.repeatedStates) }
            let value = Self.accumulateConservativeLoss(
                critic: &critic, states: experience.batch.states, actions: experience.batch.actions, targets: scratch.targets,
                policyStates: k > 1 ? scratch.repeatedStates : experience.batch.states, policyActions: scratch.policyActions,
                alpha: alpha, workspace: &scratch.conservative)
            loss = (value.temporalDifferenceLoss, value.meanQ, value.meanPolicyQ)
        } else {
            let value = critic.accumulateTemporalDifferenceLoss(states: experience.batch.states,
                                                                actions: experience.batch.actions, targets: scratch.targets)
            loss = (value.loss, value.meanQ, nil)
        }
        optimizer.step(&critic)
        updateCount += 1
        switch configuration.targetUpdate {
        case .soft(let rate):
            targetCritic.softUpdate(toward: critic, tau: rate)
        case .hard(let interval):
            if updateCount % interval == 0 { targetCritic = critic }
        }
        return (loss.loss, loss.meanQ, targetSum / Double(b), loss.meanPolicyQ)
    }

    /// One value of the conservative objective.
    public struct ConservativeLoss: Sendable, Equatable {
        /// `(1/B) Σ_b (Q(s_b, a_b) − y_b)²`.
        public var temporalDifferenceLoss: Double
        /// `(1/B) Σ_b Q(s_b, a_b)`, the logged pairs.
        public var meanQ: Double
        /// `(1/M) Σ_m Q(s̃_m, ã_m)`, the evaluated policy's pairs.
        public var meanPolicyQ: Double
        /// The whole loss, `temporalDifferenceLoss + 2α (meanPolicyQ − meanQ)`.
        public var loss: Double
    }

    /// The conservative FQE loss of one mini-batch (the type's documentation; CQL's eq. 2 doubled),
    ///
    ///     L(θ) = (1/B) Σ_b (Q_θ(s_b, a_b) − y_b)² + 2α [ (1/M) Σ_m Q_θ(s̃_m, ã_m) − (1/B) Σ_b Q_θ(s_b, a_b) ],
    ///
    /// with `(s̃_m, ã_m)` the M = B·K pairs of the mini-batch's states with π_e's actions (K per state; one for a
    /// deterministic π_e). Accumulates `∂L/∂θ` in `critic` (zero its gradients first) and returns `L` with its parts.
    /// Gradients with respect to Q: `2(Q − y)/B − 2α/B` on the logged pairs, `2α/M` on the policy's.
    public static func accumulateConservativeLoss(critic: inout Critic, states: Matrix, actions: Matrix, targets: Matrix,
                                                  policyStates: Matrix, policyActions: Matrix, alpha: Float,
                                                  workspace: inout ConservativePenalty.Workspace) -> ConservativeLoss {
        precondition(policyStates.rows == policyActions.rows && policyStates.rows > 0,
                     "FittedQEvaluation: \(policyStates.rows) policy states for \(policyActions.rows) policy actions")
        let data = ConservativePenalty.accumulateDataTerm(critic: &critic, states: states, actions: actions, targets: targets,
                                                          weight: 2 * alpha, workspace: &workspace)
        let m = policyStates.rows
        let q = critic.forward(states: policyStates, actions: policyActions)
        let meanPolicyQ = q.sum() / Double(m)
        workspace.candidateGradient.resize(rows: m, columns: 1)
        let g = 2 * alpha / Float(m)
        workspace.candidateGradient.withUnsafeMutableBufferPointer { $0.update(repeating: g) }
        critic.accumulateParameterGradients(workspace.candidateGradient)
        return ConservativeLoss(temporalDifferenceLoss: data.loss, meanQ: data.meanQ, meanPolicyQ: meanPolicyQ,
                                loss: data.loss + 2 * Double(alpha) * (meanPolicyQ - data.meanQ))
    }

    // MARK: Values

    /// The estimate `V̂(π)` over the dataset's episodes, with each episode's `V̂(s_0)`.
    public func estimate() -> Estimate {
        let starts = dataset.episodeStarts
        let values = loggedStateValues(slots: starts)
        let value = values.isEmpty ? Double.nan : values.reduce(0, +) / Double(values.count)
        return Estimate(value: value, episodeValues: values, steps: updateCount)
    }

    /// `Q̂(s, a)` for raw states (`batch × state`) and normalised actions in [−1, 1]^A: what the per-decision doubly
    /// robust estimator needs at the logged steps.
    public func qValues(states: Matrix, actions: Matrix) -> [Double] {
        let q = critic.predict(states: statistics.applied(to: states), actions: actions)
        return (0..<q.rows).map { Double(q[$0, 0]) }
    }

    /// `V̂(s) = E_{a∼π}[Q̂(s, a)]` for raw states: the critic at π's action, or the mean over K actions drawn from a
    /// stream keyed by the row's index.
    public func stateValues(states: Matrix) -> [Double] {
        let k = isDeterministicTarget ? 1 : configuration.actionSamples
        let actions = Self.actions(of: policy, at: states, draws: k, actionSpace: dataset.environment.actionSpace) {
            RandomStream(seed: seed, keys: Self.valueKey, UInt64($0))
        }
        return meanQ(states: states, actions: actions, draws: k)
    }

    /// `Q̂(s_i, a_i)` at every logged transition, in slot order.
    public func loggedQValues() -> [Double] {
        var out = [Double](repeating: 0, count: dataset.count)
        Self.forEachChunk(of: dataset.transitions) { slots, batch in
            for (r, q) in qValues(states: batch.states, actions: batch.actions).enumerated() { out[slots.lowerBound + r] = q }
        }
        return out
    }

    /// `V̂(s_i) = E_{a∼π}[Q̂(s_i, a)]` at every logged transition's state, in slot order; a stochastic target's draws
    /// are keyed by the slot, so that an episode's value in `estimate()` is its first slot's here (up to the last bits,
    /// which BLAS makes depend on how many rows share a product).
    public func loggedStateValues() -> [Double] {
        loggedStateValues(slots: Array(0..<dataset.count))
    }

    /// `V̂(s)` at the states of `slots`.
    private func loggedStateValues(slots: [Int]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(slots.count)
        let k = isDeterministicTarget ? 1 : configuration.actionSamples
        var start = 0
        while start < slots.count {
            let chunk = Array(slots[start..<min(start + Self.chunkSize, slots.count)])
            var batch = ReplayBatch(size: chunk.count, stateDimension: dataset.environment.stateDimension,
                                    actionDimension: dataset.environment.actionDimension)
            batch.indices = chunk
            dataset.transitions.gather(into: &batch)
            let actions: Matrix
            if let stateActions {
                actions = stateActions.gatherRows(chunk)
            } else {
                actions = Self.actions(of: policy, at: batch.states, draws: k, actionSpace: dataset.environment.actionSpace) {
                    RandomStream(seed: seed, keys: Self.valueKey, UInt64(chunk[$0]))
                }
            }
            out.append(contentsOf: meanQ(states: batch.states, actions: actions, draws: k))
            start += chunk.count
        }
        return out
    }

    /// The mean over each raw state's K consecutive action rows of `Q̂`.
    private func meanQ(states: Matrix, actions: Matrix, draws k: Int) -> [Double] {
        var repeated = Matrix(rows: 0, columns: 0)
        Self.repeatRows(statistics.applied(to: states), times: k, into: &repeated)
        let q = critic.predict(states: repeated, actions: actions)
        return (0..<states.rows).map { r in (0..<k).reduce(0.0) { $0 + Double(q[r * k + $1, 0]) } / Double(k) }
    }

    // MARK: Helpers

    static let batchKey = streamKey("fqe.batches")
    static let stateActionKey = streamKey("fqe.state-actions")
    static let nextStateActionKey = streamKey("fqe.next-state-actions")
    static let valueKey = streamKey("fqe.values")
    /// Slots read from the dataset at a time when acting or predicting over all of it.
    static let chunkSize = 4_096

    /// Scratch matrices reused from step to step.
    struct Scratch: Sendable {
        var nextActions = Matrix(rows: 0, columns: 0)
        var policyActions = Matrix(rows: 0, columns: 0)
        var repeatedStates = Matrix(rows: 0, columns: 0)
        var targets = Matrix(rows: 0, columns: 0)
        var conservative = ConservativePenalty.Workspace()
    }

    /// π's actions at raw `states`, `draws` per state (row `r·draws + j` is draw j at state r), normalised into
    /// `actionSpace` and clamped to [−1, 1]. State r acts with `stream(r)`, its draws one after another from it.
    static func actions(of policy: any FusionPolicy, at states: Matrix, draws: Int, actionSpace: ActionSpace,
                        stream: (Int) -> RandomStream) -> Matrix {
        let (n, a) = (states.rows, actionSpace.dimension)
        var output = PolicyOutput(batch: n, actionDimension: a)
        var streams = (0..<n).map(stream)
        var actions = Matrix(rows: n * draws, columns: a)
        for j in 0..<draws {
            streams.withUnsafeMutableBufferPointer { policy.act(states: states, streams: $0.baseAddress!, into: &output) }
            output.actions.withUnsafeBufferPointer { x in
                actions.withUnsafeMutableBufferPointer { y in
                    for r in 0..<n {
                        for i in 0..<a {
                            y[(r * draws + j) * a + i] = min(max(actionSpace.normalize(x[r * a + i], dimension: i), -1), 1)
                        }
                    }
                }
            }
        }
        return actions
    }

    /// `out` = every row of `states` repeated `times` times in a row.
    static func repeatRows(_ states: Matrix, times: Int, into out: inout Matrix) {
        let (n, s) = (states.rows, states.columns)
        out.resize(rows: n * times, columns: s)
        states.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                for r in 0..<n {
                    for j in 0..<times {
                        for c in 0..<s { y[(r * times + j) * s + c] = x[r * s + c] }
                    }
                }
            }
        }
    }

    /// Calls `body` with consecutive slot ranges of `replay` and their transitions (raw states), `chunkSize` at a time.
    static func forEachChunk(of replay: ReplayBuffer, _ body: (Range<Int>, ReplayBatch) -> Void) {
        var start = 0
        while start < replay.count {
            let slots = start..<min(start + chunkSize, replay.count)
            var batch = ReplayBatch(size: slots.count, stateDimension: replay.stateDimension,
                                    actionDimension: replay.actionDimension)
            batch.indices = Array(slots)
            replay.gather(into: &batch)
            body(slots, batch)
            start = slots.upperBound
        }
    }
}

extension FittedQEvaluation: ValueEstimating {}
