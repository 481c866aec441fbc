import Numerics

/// The reward of the fusion MDP and the components it is logged as.
///
/// With coefficients from `RewardConfig`, the reward of request t is
///   r_t = Σ_{plays} Σ_{k realised} (v_k + [k = gmvTask]·γ·price_i) + ω·W_t / 60  (+ ρ·B at a session's last request)
/// where v_k are the task values, γ the value per unit of price of the GMV task's realisations, ω the value of a watch
/// minute, W_t the request's watch seconds, ρ = `returnWeight` and B = e^{−g / 60 / returnScaleHours} the return bonus
/// of a gap of g minutes (B = 0 when the user churns). The terms are added in `Double`, impression by impression, as
/// the response is sampled; the watch term last.
///
/// Every step is logged with its components c = (W_t / 60, count_1 … count_T, Σ price of the GMV task's
/// realisations, B) (`componentNames`, stored as `Float`), so any reward of this family, r = ω·c₀ + Σ_k v_k·c_k +
/// γ·c_{T+1} + ρ·c_{T+2}, can be recomputed offline (`reward(components:)`).
public struct RewardModel: Sendable {
    public let taskCount: Int
    /// v_k of each task in ranker order (0 for tasks without a value).
    public let taskValues: [Double]
    /// ω, γ, ρ.
    public let watchMinuteValue: Double, gmvValue: Double, returnWeight: Double
    /// Index of the GMV task (−1 for none).
    public let gmvTask: Int
    /// The return bonus's time scale in hours.
    public let returnScaleHours: Double
    /// Names of the components, in logged order.
    public let componentNames: [String]

    public init(config: EnvironmentConfig) {
        let reward = config.reward
        taskCount = config.tasks.count
        taskValues = config.taskNames.map { reward.taskValues[$0] ?? 0 }
        watchMinuteValue = reward.watchMinutes
        gmvValue = reward.gmv
        returnWeight = reward.returnWeight
        gmvTask = reward.gmvTask.flatMap { config.taskIndex($0) } ?? -1
        returnScaleHours = reward.returnScaleHours
        componentNames = Self.componentNames(taskNames: config.taskNames)
    }

    /// Watch minutes, the count of each task, the price sum of the GMV task's realisations, and the return bonus.
    public static func componentNames(taskNames: [String]) -> [String] {
        ["watchMinutes"] + taskNames.map { "count.\($0)" } + ["gmvPrice", "returnBonus"]
    }

    /// Index of each component in `componentNames`.
    public var watchMinutesIndex: Int { 0 }
    public func countIndex(task: Int) -> Int { 1 + task }
    public var gmvPriceIndex: Int { taskCount + 1 }
    public var returnBonusIndex: Int { taskCount + 2 }
    public var componentCount: Int { taskCount + 3 }

    /// The running reward of one request and the price sum of its GMV realisations.
    public struct Request: Sendable, Equatable {
        public var reward = 0.0
        public var gmvPrice = 0.0
        public init() {}
    }

    /// Adds, for each task k realised by a play (bit k of `tasks`) in ascending order, v_k and, for the GMV task,
    /// γ·price (also counted in the price sum).
    @inlinable
    public func addRealised(tasks: UInt32, price: Float, to request: inout Request) {
        taskValues.withUnsafeBufferPointer { values in
            for task in 0..<taskCount where tasks & (1 << UInt32(task)) != 0 {
                request.reward += values[task]
                if task == gmvTask {
                    request.gmvPrice += Double(price)
                    request.reward += gmvValue * Double(price)
                }
            }
        }
    }

    /// Adds ω·W / 60 for the request's W watch seconds; called once, after its impressions.
    @inlinable
    public func addWatchTime(seconds: Double, to request: inout Request) {
        request.reward += watchMinuteValue * seconds / 60
    }

    /// B = e^{−g / 60 / returnScaleHours} after a gap of g minutes; 0 when the user churns (`gapMinutes` nil).
    @inlinable
    public func returnBonus(gapMinutes g: Double?) -> Double {
        guard let g else { return 0 }
        return Elementary.exp(-g / 60 / returnScaleHours)
    }

    /// ρ·B, the reward the return bonus adds to a session's last request.
    @inlinable
    public func returnReward(bonus: Double) -> Double { returnWeight * bonus }

    /// The components of a request with W watch seconds, per-task counts `taskCounts` and GMV price sum
    /// `gmvPrice`; the return bonus is 0 until the session's end sets it.
    public func components(watchSeconds: Double, taskCounts: [Float], gmvPrice: Double) -> [Float] {
        precondition(taskCounts.count == taskCount, "RewardModel.components: one count per task")
        return [Float(watchSeconds / 60)] + taskCounts + [Float(gmvPrice), 0]
    }

    /// r = ω·c₀ + Σ_k v_k·c_{1+k} + γ·c_{T+1} + ρ·c_{T+2}, the reward of logged components c.
    ///
    /// Equal to the reward the simulator summed up to the `Float` rounding of the logged watch minutes, price sum and
    /// return bonus (relative 2⁻²⁴ each) and the order of the `Double` additions; the counts are exact.
    public func reward(components c: [Float]) -> Double {
        precondition(c.count == componentCount, "RewardModel.reward: \(componentCount) components expected")
        var r = watchMinuteValue * Double(c[watchMinutesIndex])
        for k in 0..<taskCount { r += taskValues[k] * Double(c[countIndex(task: k)]) }
        r += gmvValue * Double(c[gmvPriceIndex])
        r += returnWeight * Double(c[returnBonusIndex])
        return r
    }
}
