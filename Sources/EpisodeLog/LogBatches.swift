/// A forward-only stream of record batches read from a log, with O(batch) memory.
///
/// Each `next()` runs one short read transaction that resumes after the last key it returned (keyset
/// pagination on the table's primary key), so a stream never holds a transaction open between batches, never
/// blocks the writer, and sees sessions committed while it is being read if their keys come later. Not for
/// sharing between threads.
public final class LogBatches<Element> {
    private var fetchBatch: (_ after: [Int64]?) throws -> (elements: [Element], lastKey: [Int64]?)
    private var lastKey: [Int64]?
    private var exhausted = false

    init(fetchBatch: @escaping (_ after: [Int64]?) throws -> (elements: [Element], lastKey: [Int64]?)) {
        self.fetchBatch = fetchBatch
    }

    /// The next batch in key order, or `nil` at the end.
    public func next() throws -> [Element]? {
        guard !exhausted else { return nil }
        let (elements, key) = try fetchBatch(lastKey)
        guard let key, !elements.isEmpty else {
            exhausted = true
            return nil
        }
        lastKey = key
        return elements
    }

    /// Calls `body` with every remaining batch.
    public func forEach(_ body: ([Element]) throws -> Void) throws {
        while let batch = try next() {
            try body(batch)
        }
    }
}
