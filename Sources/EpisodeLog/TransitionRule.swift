/// The one rule that turns an episode's steps into RL transitions, for sessions just simulated (online training)
/// and for sessions read back from a log alike, so that both see exactly the same MDP.
///
/// Steps arrive in (episode, session, request) order, each with the ending of its session when it is the session's
/// last step. For a step `s` of episode `e`:
/// - if the next step belongs to `e` and directly follows `s` (the next request of the session, or request 0 of the
///   next session after `s` ended its session), it gives `s'`; the transition took `s`'s minutes on the clock, plus
///   the return gap when `s` ended its session;
/// - otherwise `s` is the last step of `e` seen so far: after a churn the transition is `terminal` (its minutes are
///   the request's alone: no gap follows); after a session whose next start falls past the horizon it is
///   `truncated` (minutes with the gap, as if the user came back); both put `s' = s` as a placeholder;
/// - a last step whose session ended with a return, or did not end, has no successor yet (a run still being
///   written, or one interrupted) and yields nothing.
///
/// Memory is one step of look-ahead.
public struct TransitionRule: Sendable {
    /// How a session ended, given with its last step.
    public struct SessionEnding: Sendable, Equatable {
        public var end: LoggedSession.End
        /// Minutes until the user's next session; `nil` after a churn.
        public var returnGapMinutes: Double?

        public init(end: LoggedSession.End, returnGapMinutes: Double?) {
            self.end = end
            self.returnGapMinutes = returnGapMinutes
        }
    }

    private var pending: (step: KeyedStep, ending: SessionEnding?)?

    public init() {}

    /// Adds the next step in key order (with its session's ending when it is the session's last step) and emits
    /// the transition of the step before it, if that step is complete now.
    public mutating func add(_ step: KeyedStep, ending: SessionEnding?, emit: (LoggedTransition) throws -> Void) rethrows {
        if let previous = pending {
            if Self.follows(step, previous.step) {
                try emit(LoggedTransition(step: previous.step, nextState: step.step.state, terminal: false, truncated: false,
                                          elapsedMinutes: Self.minutes(previous.step, previous.ending)))
            } else if let last = Self.final(previous.step, previous.ending) {
                try emit(last)
            }
        }
        pending = (step, ending)
    }

    /// Emits the transition of the last step added, if its episode is over.
    public mutating func finish(emit: (LoggedTransition) throws -> Void) rethrows {
        if let previous = pending.take(), let last = Self.final(previous.step, previous.ending) {
            try emit(last)
        }
    }

    /// The transitions of whole sessions (each with its steps), in the order given, which must be key order.
    public static func transitions(of sessions: [LoggedSession]) -> [LoggedTransition] {
        var rule = TransitionRule()
        var output: [LoggedTransition] = []
        output.reserveCapacity(sessions.reduce(0) { $0 + $1.steps.count })
        for session in sessions {
            let ending = SessionEnding(end: session.end, returnGapMinutes: session.returnGapMinutes)
            for step in session.steps {
                rule.add(KeyedStep(episode: session.episode, sessionIndex: session.sessionIndex, step: step),
                         ending: step.sessionEnd ? ending : nil) { output.append($0) }
            }
        }
        rule.finish { output.append($0) }
        return output
    }

    /// Whether `step` is the step right after `previous` in the same episode.
    static func follows(_ step: KeyedStep, _ previous: KeyedStep) -> Bool {
        follows(episode: step.episode, session: step.sessionIndex, request: step.step.requestIndex,
                previous: (previous.episode, previous.sessionIndex, previous.step.requestIndex, previous.step.sessionEnd))
    }

    /// Whether the step keyed (`episode`, `session`, `request`) is the step right after `previous` (its key, and
    /// whether it ended its session) in the same episode.
    @inline(__always)
    static func follows(episode: Int, session: Int, request: Int,
                        previous: (episode: Int, session: Int, request: Int, sessionEnd: Bool)) -> Bool {
        guard episode == previous.episode else { return false }
        if session == previous.session { return request == previous.request + 1 }
        return session == previous.session + 1 && request == 0 && previous.sessionEnd
    }

    /// The step's minutes, plus the return gap when its session ended there with a return (or past the horizon).
    static func minutes(_ step: KeyedStep, _ ending: SessionEnding?) -> Double? {
        minutes(request: step.step.elapsedMinutes, sessionEnd: step.step.sessionEnd, ending: ending)
    }

    /// A step's `request` minutes, plus the return gap when its session ended there (`sessionEnd`) with a return (or
    /// past the horizon).
    @inline(__always)
    static func minutes(request: Double?, sessionEnd: Bool, ending: SessionEnding?) -> Double? {
        guard let request else { return nil }
        guard sessionEnd, let gap = ending?.returnGapMinutes else { return request }
        return request + gap
    }

    /// The transition of an episode's last step: terminal after a churn, truncated at the horizon, else none yet.
    static func final(_ step: KeyedStep, _ ending: SessionEnding?) -> LoggedTransition? {
        guard let outcome = finalOutcome(sessionEnd: step.step.sessionEnd, ending: ending) else { return nil }
        return LoggedTransition(step: step, nextState: step.step.state, terminal: outcome.terminal,
                                truncated: outcome.truncated, elapsedMinutes: outcome.withGap
                                    ? minutes(step, ending) : step.step.elapsedMinutes)
    }

    /// How an episode's last step ends, from whether it ended its session and how that session ended: terminal
    /// after a churn (its minutes without a gap), truncated at the horizon (its minutes with the gap, `withGap`);
    /// nil (no transition yet) after a return or when its session did not end.
    @inline(__always)
    static func finalOutcome(sessionEnd: Bool, ending: SessionEnding?) -> (terminal: Bool, truncated: Bool, withGap: Bool)? {
        guard sessionEnd, let ending else { return nil }
        switch ending.end {
        case .churned: return (true, false, false)
        case .horizon: return (false, true, true)
        case .returned: return nil
        }
    }
}
