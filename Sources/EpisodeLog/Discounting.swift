import Numerics

/// How much the value of the next decision counts at this one: per decision, or by the time between them.
///
/// Per decision (the fusion MDP's default, docs/design.md): `γ_i = γ`. By time (a semi-Markov decision process,
/// Bradtke & Duff, "Reinforcement Learning Methods for Continuous-Time Markov Decision Problems", NIPS 1994, eq. 8;
/// Sutton, Precup & Singh, "Between MDPs and semi-MDPs", Artificial Intelligence 1999, eq. 6):
///
///     γ_i = γ · 2^(−Δt_i / H)
///
/// with `Δt_i` the time from decision `i` to the next (the request's browsing and watching, plus the idle gap when
/// the session ended there) and `H` the half-life. Why it matters for fusion: with a per-request discount a user
/// who leaves a session early simply reaches the next session's requests sooner, so the critic cannot see that a
/// shallow session loses reward, nor that a satisfied user who returns sooner gains it. Discounting by time makes
/// the value, for `H` much longer than a session, proportional to reward per unit of time: the long-term
/// objective, reward per user-day.
public struct Discounting: Sendable, Equatable {
    /// `γ`, applied once per decision.
    public var perDecision: Float
    /// `H` in hours; `nil` discounts per decision only.
    public var halfLifeHours: Float?

    public init(perDecision: Float, halfLifeHours: Float? = nil) {
        precondition(perDecision >= 0 && perDecision <= 1, "Discounting: γ must be in [0, 1], got \(perDecision)")
        precondition(halfLifeHours.map { $0 > 0 && $0.isFinite } ?? true,
                     "Discounting: the half-life must be positive, got \(halfLifeHours!)")
        self.perDecision = perDecision
        self.halfLifeHours = halfLifeHours
    }

    /// `γ_i` for a transition that took `elapsedHours` (ignored when discounting per decision).
    @inline(__always)
    public func factor(elapsedHours: Float) -> Float {
        guard let h = halfLifeHours else { return perDecision }
        return perDecision * Elementary.exp(-Self.ln2 * elapsedHours / h)
    }

    /// `γ_i` for a transition (`TransitionRule`): its elapsed minutes in hours, as learners store them (Float);
    /// `nil` when discounting by time and the transition's time is unknown (a log before schema 3 read as it is).
    public func factor(for transition: LoggedTransition) -> Float? {
        factor(elapsedMinutes: transition.elapsedMinutes)
    }

    /// `γ_i` for a transition that took `elapsedMinutes` (`LoggedTransition.elapsedMinutes`); `nil` when
    /// discounting by time and the time is unknown.
    @inline(__always)
    public func factor(elapsedMinutes: Double?) -> Float? {
        guard needsElapsedTime else { return perDecision }
        return elapsedMinutes.map { factor(elapsedHours: Self.hours(minutes: $0)) }
    }

    /// Minutes on the clock as the hours learners store (`Float`, rounded once).
    @inline(__always)
    public static func hours(minutes: Double) -> Float { Float(minutes / 60) }

    private static let ln2: Float = 0.693_147_18

    /// Whether `factor` needs each transition's elapsed time.
    public var needsElapsedTime: Bool { halfLifeHours != nil }
}
