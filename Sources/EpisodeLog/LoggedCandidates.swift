/// The full candidate set of one request (a row of `candidates`), kept for re-ranking replay.
public struct LoggedCandidates: Sendable, Equatable {
    /// Candidate item identifiers, in the order the ranker scored them (K items).
    public var items: [Int32]
    /// The ranker's predictions, K × tasks, row-major (row `i` belongs to `items[i]`).
    public var predictions: [Float]

    public init(items: [Int32], predictions: [Float]) {
        self.items = items
        self.predictions = predictions
    }
}
