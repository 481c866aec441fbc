import EpisodeLog

/// Why a session was the last one of its episode, or that the user came back.
public typealias SessionEnd = LoggedSession.End

/// The totals of one simulated session; its `steps` are filled only while the run is being logged, and are
/// dropped once handed to the log, so summaries keep the totals alone.
public typealias SessionRecord = LoggedSession

/// One shown item's ranker predictions and realised labels, kept to measure ranker AUCs.
public struct ImpressionSample: Sendable {
    public var predictions: [Float]
    public var truth: [Float]
    public var tasks: UInt32
}

/// Everything one block of episodes produced.
public struct BlockResult: Sendable {
    /// The sessions in (episode, session) order, with their steps when the run is logged.
    public var sessions: [SessionRecord]
    public var impressionSamples: [ImpressionSample]
}
