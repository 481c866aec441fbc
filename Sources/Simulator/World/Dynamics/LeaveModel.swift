import Numerics

/// Whether the user leaves after the t-th request of a session (t = 1, 2, …), and the request cap.
///
/// The leave hazard (coefficients from `LeaveConfig`, o_u the user's latent impatience offset):
///   h_t = σ(β₀ + o_u + β_F·F − β_S·S + β_d·t − η_t·(plays_t / N − r)),  η_t = β_e·e^{−(t−1)/τ}
/// with F and S the fatigue and satisfaction after the request, plays_t the plays among its N shown items and
/// τ = `hookRequests`. The engagement ("hook") weight η_t starts at β_e and fades by a factor e every τ requests
/// (τ = ∞ keeps it constant): at a session's start users leave unless something catches their eye; once immersed,
/// satisfaction and fatigue drive the hazard. The user leaves when U < h_t (one uniform per request); a session
/// that reaches `maxRequests` without leaving is truncated (a safety cap, recorded as such).
///
/// The logit is summed in `Float` in the order written; η_t is computed in `Double` and rounded once.
public struct LeaveModel: Sendable {
    /// β₀, β_F, β_S, β_d.
    public let intercept: Float, fatigue: Float, satisfaction: Float, depth: Float
    /// β_e and r of the hook term, and its fading scale τ in requests.
    public let engagement: Double
    public let engagementReference: Float
    public let hookRequests: Double
    /// o_u per user.
    public let userOffset: [Float]
    /// N, the items shown per request.
    public let slateSize: Int
    /// Requests after which a session is truncated.
    public let maxRequests: Int

    public init(config: EnvironmentConfig, population: UserPopulation) {
        let leave = config.leave
        intercept = Float(leave.intercept)
        fatigue = Float(leave.fatigue)
        satisfaction = Float(leave.satisfaction)
        depth = Float(leave.depth)
        engagement = leave.engagement
        engagementReference = Float(leave.engagementReference)
        hookRequests = leave.hookRequests
        userOffset = population.latentLeaveOffset
        slateSize = config.slate.size
        maxRequests = config.episode.maxRequestsPerSession
    }

    /// What happens after a request.
    public enum Decision: Sendable, Equatable {
        /// The session goes on.
        case stays
        /// The user leaves (U < h_t).
        case leaves
        /// The user would stay, but the session reached the request cap.
        case capped

        /// Whether the session ends here.
        public var endsSession: Bool { self != .stays }
    }

    /// η_t = β_e·e^{−(t−1)/τ}, the weight of the engagement term after request t.
    @inlinable
    public func hookWeight(request t: Int) -> Float {
        Float(engagement * Elementary.exp(-Double(t - 1) / hookRequests))
    }

    /// The logit of h_t for `user` after request t with `plays` plays, fatigue F and satisfaction S.
    @inlinable
    public func logit(user: Int, fatigue F: Float, satisfaction S: Float, request t: Int, plays: Int) -> Float {
        intercept + userOffset[user] + fatigue * F - satisfaction * S + depth * Float(t)
            - hookWeight(request: t) * (Float(plays) / Float(slateSize) - engagementReference)
    }

    /// h_t = σ(logit), the probability of leaving after request t.
    @inlinable
    public func hazard(user: Int, fatigue F: Float, satisfaction S: Float, request t: Int, plays: Int) -> Float {
        Elementary.sigmoid(logit(user: user, fatigue: F, satisfaction: S, request: t, plays: plays))
    }

    /// The decision after request t given its hazard and the uniform U: leave if U < h_t, else truncate if t ≥ the cap.
    @inlinable
    public func decision(hazard: Float, request t: Int, uniform: Float) -> Decision {
        if uniform < hazard { return .leaves }
        return t >= maxRequests ? .capped : .stays
    }

    /// Draws the decision after request t from `stream`: exactly one `nextUnitFloat()`, whatever the outcome.
    @inlinable
    public func decide(user: Int, fatigue F: Float, satisfaction S: Float, request t: Int, plays: Int,
                       stream: inout RandomStream) -> Decision {
        let h = hazard(user: user, fatigue: F, satisfaction: S, request: t, plays: plays)
        return decision(hazard: h, request: t, uniform: stream.nextUnitFloat())
    }
}
