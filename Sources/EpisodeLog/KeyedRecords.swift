/// A step as the streaming readers yield it: the step's session key plus the step itself (without its
/// impressions and candidates, which have their own readers).
public struct KeyedStep: Sendable, Equatable {
    public var episode: Int
    public var sessionIndex: Int
    /// `impressions` is empty and `candidates` nil here.
    public var step: LoggedStep

    public init(episode: Int, sessionIndex: Int, step: LoggedStep) {
        self.episode = episode
        self.sessionIndex = sessionIndex
        self.step = step
    }
}

/// An impression with the key of the request it belongs to.
public struct KeyedImpression: Sendable, Equatable {
    public var episode: Int
    public var sessionIndex: Int
    public var requestIndex: Int
    public var impression: LoggedImpression

    public init(episode: Int, sessionIndex: Int, requestIndex: Int, impression: LoggedImpression) {
        self.episode = episode
        self.sessionIndex = sessionIndex
        self.requestIndex = requestIndex
        self.impression = impression
    }
}

/// A candidate set with the key of the request it belongs to.
public struct KeyedCandidates: Sendable, Equatable {
    public var episode: Int
    public var sessionIndex: Int
    public var requestIndex: Int
    public var candidates: LoggedCandidates

    public init(episode: Int, sessionIndex: Int, requestIndex: Int, candidates: LoggedCandidates) {
        self.episode = episode
        self.sessionIndex = sessionIndex
        self.requestIndex = requestIndex
        self.candidates = candidates
    }
}
