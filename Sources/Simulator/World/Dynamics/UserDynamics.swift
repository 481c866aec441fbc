import Numerics

/// How a user's in-session state moves: fatigue F, satisfaction S, boredom b_c per category, interests x and
/// the clock, impression by impression and request by request, and what a break between sessions restores.
///
/// Per examined impression (coefficients from `DynamicsConfig`):
/// - examining costs F ← F + φ_imp and browseSeconds / 60 minutes on the clock;
/// - a skip (examined, not played) is worth v = σ_skip;
/// - a play of an item with quality q and appeal a, watched for a fraction f (w seconds), is worth
///   v = σ_play + σ_f·(f − 0.5) + σ_q·q + (σ_a − σ_aF·F)·a + Σ_{k realised} σ_k  (F as after examining),
///   then F ← F + φ_play + φ_cb·(a − q)⁺ + φ_min·w / 60, the clock advances w / 60 minutes,
///   the boredom of the item's category rises b_c ← b_c + 1, and the interests drift toward the item's
///   embedding e: x ← y / ‖y‖ with y = x + ρ·f·(e − x) (no change when ρ·f = 0).
///
/// Per request:
/// - boredom fades, b_c ← δ_b·b_c for every category;
/// - satisfaction is an EWMA of the request's mean item value, S ← λ·S + (1 − λ)·v̄ with v̄ = Σv / examined
///   (v̄ = 0 when nothing was examined);
/// - the request's minutes on the clock are the browse minutes of its examined impressions plus its watch minutes.
///
/// Between sessions, after a gap of g minutes:
/// - boredom recovers, b_c ← b_c·0.5^{g / 60 / halfLifeHours};
/// - the observable history counts the session, keeps the gap in hours and updates two EWMAs with weight ½ on the
///   latest session (the first session sets them): requests per session and plays per impression.
///
/// F, S, b and x are `Float` (they feed the response model's `Float` logits); the clock and the history are `Double`.
public struct UserDynamics: Sendable {
    public let taskCount: Int
    /// φ_imp, φ_play, φ_cb, φ_min.
    public let fatiguePerImpression: Float, fatiguePerPlay: Float, fatigueClickbait: Float, fatiguePerWatchMinute: Float
    /// σ_skip, σ_play, σ_f, σ_q, σ_a, σ_aF.
    public let satisfactionSkip: Float, satisfactionPerPlay: Float, satisfactionWatchFraction: Float
    public let satisfactionQuality: Float, satisfactionAppeal: Float, satisfactionAppealFatigue: Float
    /// σ_k of each task in ranker order (0 for tasks without a value).
    public let satisfactionPerTask: [Float]
    /// λ of the satisfaction EWMA.
    public let satisfactionDecay: Float
    /// δ_b, the per-request boredom decay, and the between-sessions half-life in hours.
    public let boredomDecay: Float
    public let boredomHalfLifeHours: Double
    /// ρ, the interest drift rate at a full watch.
    public let interestDriftRate: Float
    /// Minutes an examined impression takes before it is played or skipped.
    public let browseMinutesPerImpression: Double

    public init(config: EnvironmentConfig) {
        let dynamics = config.dynamics
        taskCount = config.tasks.count
        fatiguePerImpression = Float(dynamics.fatiguePerImpression)
        fatiguePerPlay = Float(dynamics.fatiguePerPlay)
        fatigueClickbait = Float(dynamics.fatigueClickbait)
        fatiguePerWatchMinute = Float(dynamics.fatiguePerWatchMinute)
        satisfactionSkip = Float(dynamics.satisfactionSkip)
        satisfactionPerPlay = Float(dynamics.satisfactionPerPlay)
        satisfactionWatchFraction = Float(dynamics.satisfactionWatchFraction)
        satisfactionQuality = Float(dynamics.satisfactionQuality)
        satisfactionAppeal = Float(dynamics.satisfactionAppeal)
        satisfactionAppealFatigue = Float(dynamics.satisfactionAppealFatigue)
        satisfactionPerTask = config.taskNames.map { Float(dynamics.satisfactionTaskValues[$0] ?? 0) }
        satisfactionDecay = Float(dynamics.satisfactionDecay)
        boredomDecay = Float(dynamics.boredomDecay)
        boredomHalfLifeHours = dynamics.boredomHalfLifeHours
        interestDriftRate = Float(dynamics.interestDriftRate)
        browseMinutesPerImpression = dynamics.browseSecondsPerImpression / 60
    }

    /// The running totals of one request, accumulated impression by impression.
    public struct Request: Sendable, Equatable {
        /// Examined impressions and plays among them.
        public var examined = 0
        public var plays = 0
        public var watchSeconds = 0.0
        /// The request's minutes on the clock: browse minutes per examined impression plus watch minutes.
        public var minutes = 0.0
        /// Σ v over the examined impressions.
        public var itemSatisfaction: Float = 0
        public init() {}
    }

    // MARK: Per impression

    /// An impression was examined: F ← F + φ_imp, and its browse minutes go on the clock.
    @inlinable
    public func examine(fatigue: inout Float, request: inout Request) {
        request.examined += 1
        fatigue += fatiguePerImpression
        request.minutes += browseMinutesPerImpression
    }

    /// An examined impression was skipped: it is worth σ_skip.
    @inlinable
    public func skip(request: inout Request) {
        request.itemSatisfaction += satisfactionSkip
    }

    /// v = σ_play + σ_f·(f − 0.5) + σ_q·q + (σ_a − σ_aF·F)·a + Σ_{k ∈ tasks} σ_k, the value of a play (bit k of `tasks`
    /// set when task k was realised; F the fatigue before the play's own increment).
    @inlinable
    public func playValue(watchFraction f: Float, quality q: Float, appeal a: Float, fatigue: Float, tasks: UInt32) -> Float {
        var value = satisfactionPerPlay + satisfactionWatchFraction * (f - 0.5) + satisfactionQuality * q
            + (satisfactionAppeal - satisfactionAppealFatigue * fatigue) * a
        satisfactionPerTask.withUnsafeBufferPointer { perTask in
            for task in 0..<taskCount where tasks & (1 << UInt32(task)) != 0 { value += perTask[task] }
        }
        return value
    }

    /// φ_play + φ_cb·(a − q)⁺ + φ_min·w / 60, the fatigue a play of w seconds adds.
    @inlinable
    public func playFatigue(quality q: Float, appeal a: Float, watchSeconds w: Float) -> Float {
        fatiguePerPlay + fatigueClickbait * max(a - q, 0) + fatiguePerWatchMinute * w / 60
    }

    /// An examined impression was played: counts the play and its watch time (also on the clock), adds its value
    /// `playValue` to the request, then its fatigue `playFatigue` to F.
    @inlinable
    public func play(watchFraction f: Float, watchSeconds w: Float, quality q: Float, appeal a: Float, tasks: UInt32,
                     fatigue: inout Float, request: inout Request) {
        request.plays += 1
        request.watchSeconds += Double(w)
        request.minutes += Double(w) / 60
        request.itemSatisfaction += playValue(watchFraction: f, quality: q, appeal: a, fatigue: fatigue, tasks: tasks)
        fatigue += playFatigue(quality: q, appeal: a, watchSeconds: w)
    }

    /// b_c ← b_c + 1 for the category `category` of a played item (`boredom`: the user's row, one value per category).
    @inlinable
    public func bore(_ boredom: UnsafeMutablePointer<Float>, category: Int) {
        boredom[category] += 1
    }

    /// x ← y / ‖y‖ with y = x + ρ·f·(e − x): the interests `interest[0..<dimension]` drift toward the played item's
    /// embedding `embedding`, the more the larger the watched fraction f; unchanged when ρ·f ≤ 0.
    @inlinable
    public func drift(_ interest: UnsafeMutablePointer<Float>, toward embedding: UnsafePointer<Float>, dimension: Int,
                      watchFraction f: Float) {
        let rate = interestDriftRate * f
        guard rate > 0 else { return }
        var norm: Float = 0
        for j in 0..<dimension {
            let v = interest[j] + rate * (embedding[j] - interest[j])
            interest[j] = v
            norm += v * v
        }
        let inv = 1 / norm.squareRoot()
        for j in 0..<dimension { interest[j] *= inv }
    }

    // MARK: Per request

    /// b_c ← δ_b·b_c for each of the `categories` values of `boredom`, once per request.
    @inlinable
    public func decayBoredom(_ boredom: UnsafeMutablePointer<Float>, categories: Int) {
        for c in 0..<categories { boredom[c] *= boredomDecay }
    }

    /// S ← λ·S + (1 − λ)·v̄: the satisfaction after `request`, from the satisfaction `previous` before it.
    @inlinable
    public func satisfaction(after request: Request, previous: Float) -> Float {
        let decay = satisfactionDecay
        return decay * previous + (1 - decay) * (request.examined > 0 ? request.itemSatisfaction / Float(request.examined) : 0)
    }

    // MARK: Between sessions

    /// 0.5^{g / 60 / halfLifeHours}, the factor by which boredom recovers over a gap of g minutes.
    @inlinable
    public func boredomRecovery(gapMinutes g: Double) -> Float {
        Float(Elementary.pow(0.5, g / 60 / boredomHalfLifeHours))
    }

    /// Multiplies each of the `categories` values of `boredom` by `boredomRecovery(gapMinutes:)`.
    @inlinable
    public func recoverBoredom(_ boredom: UnsafeMutablePointer<Float>, categories: Int, gapMinutes g: Double) {
        let recovery = boredomRecovery(gapMinutes: g)
        for c in 0..<categories { boredom[c] *= recovery }
    }

    /// The observable history after a session of `requests` requests, `impressions` impressions and `plays` plays,
    /// followed by a gap of g minutes: one more session, the gap in hours, and the EWMAs (weight ½ on the latest) of
    /// requests per session and of plays per impression (max(impressions, 1)); the first session sets them.
    public func history(after previous: HistoryObservables, requests: Int, impressions: Int, plays: Int,
                        gapMinutes g: Double) -> HistoryObservables {
        var history = previous
        history.sessions += 1
        history.lastGapHours = g / 60
        let playRate = Double(plays) / Double(max(impressions, 1))
        if history.sessions == 1 {
            history.depthEWMA = Double(requests)
            history.playRateEWMA = playRate
        } else {
            history.depthEWMA = 0.5 * history.depthEWMA + 0.5 * Double(requests)
            history.playRateEWMA = 0.5 * history.playRateEWMA + 0.5 * playRate
        }
        return history
    }
}
