import Numerics

/// What happens after a session: whether the user churns, and if not, when the next session starts.
///
/// With coefficients from `ReturnConfig`, the session's T requests, its per-request satisfactions S₁…S_T and
/// z_u the user's latent activity:
/// - remembered satisfaction (the peak-end rule; Kahneman et al., 1993): S̄ = (1 − w)·mean(S) + w·S_T,
///   mean(S) = ΣS / max(T, 1), w = `endWeight`;
/// - churn probability p = σ(c₀ − c_S·S̄); the user churns when U < p;
/// - return gap in minutes g = g_min + exp(log(median) − σ_act·z_u − β_S·(S̄ − S_ref) + σ·ε), ε ~ N(0, 1):
///   log-normal above the minimum, shorter for more active and more satisfied users;
/// - the episode ends: churned; else at the horizon when the next start (session start + duration + g) is at or
///   beyond `horizonDays` days; else the user returns.
/// Every session draws U then ε from its own stream, also when the user churns (common random numbers).
///
/// The user part log(median) − σ_act·z_u is tabulated per user in `Double`, exactly as it is first evaluated.
public struct ReturnModel: Sendable {
    /// w, c₀, c_S, β_S, S_ref, σ, g_min.
    public let endWeight: Double, churnIntercept: Double, churnSatisfaction: Double
    public let satisfaction: Double, satisfactionReference: Double, logSigma: Double, minimumGapMinutes: Double
    /// log(median) − σ_act·z_u per user.
    public let userLogExtraMinutes: [Double]
    /// The episode's horizon, `horizonDays` · 1440.
    public let horizonMinutes: Double

    public init(config: EnvironmentConfig, population: UserPopulation) {
        let ret = config.returnModel
        endWeight = ret.endWeight
        churnIntercept = ret.churnIntercept
        churnSatisfaction = ret.churnSatisfaction
        satisfaction = ret.satisfaction
        satisfactionReference = ret.satisfactionReference
        logSigma = ret.logSigma
        minimumGapMinutes = ret.minimumGapMinutes
        let logMedian = Elementary.log(ret.medianExtraMinutes), spread = config.users.activitySpread
        userLogExtraMinutes = population.latentActivity.map { logMedian - spread * Double($0) }
        horizonMinutes = config.episode.horizonDays * 1440
    }

    /// Why a session was the last of its episode, or that the user came back.
    public enum End: Sendable, Equatable {
        case churned, horizon, returned
    }

    /// What a session's end decided.
    public struct Outcome: Sendable, Equatable {
        /// mean(S) and S̄.
        public var meanSatisfaction: Double
        public var rememberedSatisfaction: Double
        public var churnProbability: Double
        /// g, drawn also when the user churns (then unused).
        public var gapMinutes: Double
        /// Session start + duration + g.
        public var nextStartMinutes: Double
        public var end: End
        public var churned: Bool { end == .churned }
    }

    /// mean(S) = ΣS / max(T, 1).
    @inlinable
    public func meanSatisfaction(sum: Double, requests: Int) -> Double {
        sum / Double(max(requests, 1))
    }

    /// S̄ = (1 − w)·mean(S) + w·S_T.
    @inlinable
    public func rememberedSatisfaction(mean: Double, end: Float) -> Double {
        (1 - endWeight) * mean + endWeight * Double(end)
    }

    /// p = σ(c₀ − c_S·S̄).
    @inlinable
    public func churnProbability(remembered: Double) -> Double {
        Elementary.sigmoid(churnIntercept - churnSatisfaction * remembered)
    }

    /// g = g_min + exp(log(median) − σ_act·z_u − β_S·(S̄ − S_ref) + σ·ε) for `user`, given S̄ and the normal deviate ε.
    @inlinable
    public func gapMinutes(user: Int, remembered: Double, normal epsilon: Double) -> Double {
        let logExtra = userLogExtraMinutes[user] - satisfaction * (remembered - satisfactionReference) + logSigma * epsilon
        return minimumGapMinutes + Elementary.exp(logExtra)
    }

    /// The end of a session of `user` that started at `startMinutes`, lasted `durationMinutes` and held `requests`
    /// requests with satisfaction sum `satisfactionSum` and final satisfaction `endSatisfaction`; draws U, then ε,
    /// from `stream`.
    public func sample(user: Int, satisfactionSum: Double, requests: Int, endSatisfaction: Float,
                       startMinutes: Double, durationMinutes: Double, stream: inout RandomStream) -> Outcome {
        let mean = meanSatisfaction(sum: satisfactionSum, requests: requests)
        let remembered = rememberedSatisfaction(mean: mean, end: endSatisfaction)
        let p = churnProbability(remembered: remembered)
        let churned = stream.nextUniform() < p
        let gap = gapMinutes(user: user, remembered: remembered, normal: stream.normal())
        let nextStart = startMinutes + durationMinutes + gap
        let end: End = churned ? .churned : (nextStart >= horizonMinutes ? .horizon : .returned)
        return Outcome(meanSatisfaction: mean, rememberedSatisfaction: remembered, churnProbability: p,
                       gapMinutes: gap, nextStartMinutes: nextStart, end: end)
    }
}
