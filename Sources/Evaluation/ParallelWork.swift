import Dispatch
import Synchronization

/// Independent tasks spread over a few threads, each task writing only its own outputs (`ParallelSlots`), so that
/// results are the same for any thread count: the evaluation's per-step loops over 10⁶ logged steps (reward-model
/// folds and values, target action moments).
enum ParallelWork {
    /// Calls `body(task)` once for every task in `0..<tasks`, on up to `threads` threads (the caller's thread alone
    /// when 1); tasks are handed out in order.
    static func run(tasks: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        let workers = min(max(threads, 1), tasks)
        guard workers > 1 else {
            for task in 0..<tasks { body(task) }
            return
        }
        let next = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let task = next.add(1, ordering: .relaxed).oldValue
                guard task < tasks else { return }
                body(task)
            }
        }
    }
}

/// A fixed number of output slots that parallel tasks write without locks: each slot is written by one task only,
/// and read (`values`) after `ParallelWork.run` returns.
final class ParallelSlots<Element>: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<Element>

    init(count: Int, initial: Element) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: initial)
    }

    deinit {
        buffer.deinitialize()
        buffer.deallocate()
    }

    subscript(index: Int) -> Element {
        get { buffer[index] }
        set { buffer[index] = newValue }
    }

    /// Every slot, in order.
    var values: [Element] { Array(buffer) }
}
