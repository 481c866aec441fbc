import Numerics

/// Logged bandit feedback from outside the simulator, in obp 0.5.7's form for ranking positions (Saito et al. 2021,
/// "Open Bandit Dataset and Pipeline"): each logged row is one (round, action, position) with its reward and its
/// propensity pscore = π_b(a | x, position). Turned into `LoggedDecisions` for the per-request estimators with an
/// evaluation policy's π_e(a | x, position) (`BanditPolicy`) and, for DM and the DR family, a reward model
/// q̂(x, a, position) (`BanditRewardEstimates`).
///
/// One logged row is one step, as in obp, so every point estimate is obp's mean over rows. The unit of intervals is
/// the round: the rows of one round (its positions) share a context and are not independent, so a round is one
/// `LoggedDecisions` episode, and the bootstrap resamples rounds. With one position per round (the Open Bandit
/// Dataset) this is obp's row-wise bootstrap.
public struct BanditFeedback: Sendable {
    /// One logged row.
    public struct Row: Sendable, Equatable {
        public var round: Int
        public var action: Int
        public var position: Int
        public var reward: Double
        /// π_b(a | x, position) ∈ (0, 1].
        public var pscore: Double
        /// The row's line in its file, and the columns of its round, action and pscore fields (for messages).
        public var line: Int
        public var roundColumn: Int
        public var actionColumn: Int
        public var pscoreColumn: Int

        public init(round: Int, action: Int, position: Int, reward: Double, pscore: Double,
                    line: Int = 0, roundColumn: Int = 1, actionColumn: Int = 1, pscoreColumn: Int = 1) {
            self.round = round
            self.action = action
            self.position = position
            self.reward = reward
            self.pscore = pscore
            self.line = line
            self.roundColumn = roundColumn
            self.actionColumn = actionColumn
            self.pscoreColumn = pscoreColumn
        }
    }

    /// The logged file as named in messages.
    public var file: String
    /// The rows ordered by round, then position.
    public private(set) var rows: [Row]
    /// The names of the other (context) columns; read and checked as numbers, used by no built-in estimator or model.
    public var contextColumns: [String]

    /// Orders `rows` by round and position; refuses a (round, position) logged twice and a pscore outside (0, 1].
    public init(file: String, rows: [Row], contextColumns: [String] = []) throws(CSVError) {
        self.file = file
        self.contextColumns = contextColumns
        self.rows = rows.enumerated().sorted {
            ($0.element.round, $0.element.position, $0.offset) < ($1.element.round, $1.element.position, $1.offset)
        }.map(\.element)
        guard !rows.isEmpty else { throw CSVError(CSVLocation(file: file, line: 2, column: 1), "no logged row") }
        for (i, row) in self.rows.enumerated() {
            guard row.pscore > 0 && row.pscore <= 1 else {
                throw CSVError(CSVLocation(file: file, line: row.line, column: row.pscoreColumn), "pscore \(row.pscore) must lie in (0, 1]")
            }
            if i > 0, self.rows[i - 1].round == row.round, self.rows[i - 1].position == row.position {
                let later = self.rows[i - 1].line > row.line ? self.rows[i - 1] : row
                let (first, second) = (min(self.rows[i - 1].line, row.line), later.line)
                throw CSVError(CSVLocation(file: file, line: second, column: later.roundColumn),
                               "round \(row.round), position \(row.position) is logged twice (lines \(first) and \(second)); one row per (round, position)")
            }
        }
    }

    /// Number of distinct rounds.
    public var rounds: Int {
        var count = 0
        for i in rows.indices where i == 0 || rows[i - 1].round != rows[i].round { count += 1 }
        return count
    }

    /// The logged positions, ascending.
    public var positions: [Int] { Set(rows.map(\.position)).sorted() }

    /// The decisions for `policy`: rewards, log pscore as the behaviour log-densities, log π_e(a_i | x_i, position_i)
    /// as the target's, one episode per round, and, with `rewardModel`, q̂(x_i, a_i, position_i) and
    /// v̂_i = Σ_a π_e(a | x_i, position_i) q̂(x_i, a, position_i) (obp's `q_hat_factual` and its average of
    /// `q_hat_at_position` under `pi_e_at_position`).
    ///
    /// Refused, at the logged row's action field: an action the policy does not list at all, a logged
    /// (round, action, position) without a probability, and a missing q̂ for the logged action or any action the
    /// policy gives positive probability there.
    public func decisions(policy: BanditPolicy, rewardModel: (any BanditRewardEstimates)? = nil) throws(CSVError) -> LoggedDecisions {
        let n = rows.count
        var rewards = [Double](repeating: 0, count: n)
        var behaviour = [Double](repeating: 0, count: n)
        var target = [Double](repeating: 0, count: n)
        var loggedValues = [Double](repeating: 0, count: rewardModel == nil ? 0 : n)
        var targetValues = loggedValues
        var offsets: [Int] = []
        offsets.reserveCapacity(n + 1)
        let cacheByPosition = !policy.dependsOnRound && !(rewardModel?.dependsOnRound ?? true)
        var targetValueCache: [Int: Double] = [:]
        for (i, row) in rows.enumerated() {
            let at = CSVLocation(file: file, line: row.line, column: row.actionColumn)
            if i == 0 || rows[i - 1].round != row.round { offsets.append(i) }
            guard policy.actionSet.contains(row.action) else {
                throw CSVError(at, "action \(row.action) is not among the actions of the policy file \(policy.file)")
            }
            guard let probabilities = policy.probabilities(round: row.round, position: row.position),
                  let probability = probabilities[row.action] else {
                throw CSVError(at, "the policy file \(policy.file) has no probability for action \(row.action) at "
                                   + policy.place(round: row.round, position: row.position))
            }
            rewards[i] = row.reward
            behaviour[i] = Elementary.log(row.pscore)
            target[i] = probability > 0 ? Elementary.log(probability) : -.infinity
            guard let model = rewardModel else { continue }
            func estimate(_ action: Int) throws(CSVError) -> Double {
                guard let q = model.estimate(round: row.round, action: action, position: row.position) else {
                    throw CSVError(at, "the reward model \(model.source) has no estimate for action \(action) at round \(row.round), position \(row.position)")
                }
                return q
            }
            loggedValues[i] = try estimate(row.action)
            if cacheByPosition, let cached = targetValueCache[row.position] {
                targetValues[i] = cached
                continue
            }
            var v = 0.0
            for (action, p) in probabilities.sorted(by: { $0.key < $1.key }) where p > 0 { v += p * (try estimate(action)) }
            targetValues[i] = v
            if cacheByPosition { targetValueCache[row.position] = v }
        }
        offsets.append(n)
        do {
            return try LoggedDecisions(
                rewards: rewards, episodeOffsets: offsets, behaviourLogDensities: behaviour, target: .logDensities(target),
                rewardModel: rewardModel == nil ? nil : .init(loggedActionValues: loggedValues, targetValues: targetValues))
        } catch {
            throw CSVError(CSVLocation(file: file, line: 1, column: 1), "\(error)")
        }
    }
}

/// A reward model for logged bandit feedback: q̂(x, a, position), the expected reward of action `a` at `position`
/// in round `x`'s context.
public protocol BanditRewardEstimates: Sendable {
    /// q̂ for the round, action and position, or nil when the model has none.
    func estimate(round: Int, action: Int, position: Int) -> Double?
    /// Whether q̂ depends on the round (false: one value per (action, position), so v̂ is computed once per position
    /// for a context-free policy).
    var dependsOnRound: Bool { get }
    /// Where the estimates come from, for messages and reports.
    var source: String { get }
}

/// q̂ per (round, action, position) given in a file (`BanditRewardEstimates`).
public struct RewardModelEstimates: BanditRewardEstimates {
    public var file: String
    var values: [BanditKey: Double]

    public init(file: String, values: [BanditKey: Double]) {
        self.file = file
        self.values = values
    }

    public func estimate(round: Int, action: Int, position: Int) -> Double? {
        values[BanditKey(round: round, action: action, position: position)]
    }

    public var dependsOnRound: Bool { true }
    public var source: String { "file \(file)" }
}

/// A (round, action, position) cell; round −1 for context-free entries.
public struct BanditKey: Hashable, Sendable {
    public var round: Int
    public var action: Int
    public var position: Int

    public init(round: Int, action: Int, position: Int) {
        self.round = round
        self.action = action
        self.position = position
    }
}
