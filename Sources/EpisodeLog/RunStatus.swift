/// Where a run stands, stored as text in `runs.status`.
public enum RunStatus: String, Sendable, CaseIterable {
    /// A writer began the run and has not finished it. A run left `running` by a killed process is marked
    /// `interrupted` the next time the file is opened for writing.
    case running
    /// The run reached its requested session count.
    case complete
    /// The run stopped early (error, signal, kill); its committed sessions are whole and it can be resumed.
    case interrupted
}
