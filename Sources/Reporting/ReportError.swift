import EpisodeLog

/// Why a report could not be made: one line naming the input (or output) file and what is wrong with it.
public struct ReportError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var description: String

    public init(file: String, _ reason: String) {
        self.file = file
        self.description = "\(file): \(reason)"
    }

    /// The episode log's own one-line refusal (it names the file).
    init(_ error: EpisodeLogError) {
        file = error.path
        description = error.description
    }
}
