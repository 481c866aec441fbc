import Foundation

extension EpisodeLogWriter {
    /// Hands batches of sessions to a dedicated writer thread through a bounded queue, so simulation threads
    /// pay for a copy into the queue, not for SQLite and the disk.
    ///
    /// `submit` returns at once while fewer than `capacity` batches wait; beyond that it blocks until the writer
    /// catches up (back-pressure bounds memory). The writer thread appends each batch in one transaction, in
    /// submission order. The first append error stops the thread: later `submit`s throw it, queued batches are
    /// dropped, and `close()` rethrows it. Batches committed before the error stay whole in the file.
    ///
    /// Always call `close()`: the thread keeps the sink alive until then.
    public final class AsyncSink: @unchecked Sendable {
        // All mutable state is guarded by `condition`.
        private let condition = NSCondition()
        private var pending: [[LoggedSession]] = []
        private var closing = false
        private var finished = false
        private var failure: (any Error)?
        private let capacity: Int
        private let writer: EpisodeLogWriter

        /// Starts the writer thread. `capacity` is the number of batches that may wait (at least 1).
        public init(writer: EpisodeLogWriter, capacity: Int = 4) {
            self.writer = writer
            self.capacity = max(1, capacity)
            let thread = Thread { [self] in run() }
            thread.name = "EpisodeLog.AsyncSink"
            thread.start()
        }

        /// Queues `batch` for writing (one transaction). Blocks while the queue is full; throws the writer's
        /// error if it has stopped, or `.sinkClosed` after `close()`.
        public func submit(_ batch: [LoggedSession]) throws {
            condition.lock()
            defer { condition.unlock() }
            while pending.count >= capacity && failure == nil && !closing {
                condition.wait()
            }
            if let failure { throw failure }
            guard !closing else { throw EpisodeLogError(path: writer.path, kind: .sinkClosed) }
            pending.append(batch)
            condition.broadcast()
        }

        /// Writes every queued batch, stops the thread and throws the first append error, if any.
        public func close() throws {
            condition.lock()
            closing = true
            condition.broadcast()
            while !finished {
                condition.wait()
            }
            let failure = self.failure
            condition.unlock()
            if let failure { throw failure }
        }

        /// The writer thread: take the oldest batch, append it outside the lock, repeat until closed and empty.
        private func run() {
            while true {
                condition.lock()
                while pending.isEmpty && !closing {
                    condition.wait()
                }
                if pending.isEmpty || failure != nil {
                    finished = true
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                let batch = pending.removeFirst()
                condition.broadcast()
                condition.unlock()

                do {
                    try writer.append(sessions: batch)
                } catch {
                    condition.lock()
                    failure = error
                    pending.removeAll()
                    condition.broadcast()
                    condition.unlock()
                }
            }
        }
    }
}
