import EpisodeLog
import Numerics

/// A fixed-capacity ring buffer of transitions for off-policy agents (Lin 1992; Mnih et al. 2015),
/// stored as one flat `Float` array per field (struct of arrays).
///
/// Appending overwrites the oldest transitions once full. `sample(into:stream:)` draws a uniform
/// mini-batch with replacement into caller-owned, preallocated matrices, so the update loop does
/// not allocate. States are stored raw; agents normalise a sampled batch with their current
/// statistics.
public struct ReplayBuffer: Sendable {
    public let capacity: Int
    public let stateDimension: Int
    public let actionDimension: Int
    /// Transitions held, at most `capacity`.
    public private(set) var count = 0
    /// Transitions ever appended.
    public private(set) var totalAppended = 0
    /// Where the next transition goes.
    private var cursor = 0
    private var states: [Float]
    private var actions: [Float]
    private var rewards: [Float]
    private var nextStates: [Float]
    /// 1 for terminal transitions, else 0 (a `Float` so a gather needs no branch).
    private var terminals: [Float]
    /// Hours from each decision to the next; NaN for transitions appended without a clock.
    private var elapsedHours: [Float]

    /// An empty buffer; storage for `capacity` transitions is allocated up front.
    public init(capacity: Int, stateDimension: Int, actionDimension: Int) {
        precondition(capacity > 0 && stateDimension > 0 && actionDimension > 0,
                     "ReplayBuffer: capacity \(capacity) and dimensions \(stateDimension), \(actionDimension) must be positive")
        self.capacity = capacity
        self.stateDimension = stateDimension
        self.actionDimension = actionDimension
        states = [Float](repeating: 0, count: capacity * stateDimension)
        actions = [Float](repeating: 0, count: capacity * actionDimension)
        rewards = [Float](repeating: 0, count: capacity)
        nextStates = [Float](repeating: 0, count: capacity * stateDimension)
        terminals = [Float](repeating: 0, count: capacity)
        elapsedHours = [Float](repeating: .nan, count: capacity)
    }

    /// Appends every transition of `batch`, oldest first.
    public mutating func append(_ batch: TransitionBatch) {
        precondition(batch.states.columns == stateDimension && batch.actions.columns == actionDimension,
                     "ReplayBuffer.append: batch is \(batch.states.columns) state and \(batch.actions.columns) action "
                     + "columns, buffer holds \(stateDimension) and \(actionDimension)")
        let (s, a) = (stateDimension, actionDimension)
        batch.states.withUnsafeBufferPointer { bs in
        batch.nextStates.withUnsafeBufferPointer { bn in
        batch.actions.withUnsafeBufferPointer { ba in
        states.withUnsafeMutableBufferPointer { ds in
        nextStates.withUnsafeMutableBufferPointer { dn in
        actions.withUnsafeMutableBufferPointer { da in
            var position = cursor
            for r in 0..<batch.count {
                for j in 0..<s {
                    ds[position * s + j] = bs[r * s + j]
                    dn[position * s + j] = bn[r * s + j]
                }
                for j in 0..<a { da[position * a + j] = ba[r * a + j] }
                position = position + 1 == capacity ? 0 : position + 1
            }
        }}}}}}
        for r in 0..<batch.count {
            rewards[cursor] = batch.rewards[r]
            terminals[cursor] = batch.terminals[r] ? 1 : 0
            elapsedHours[cursor] = batch.elapsedHours?[r] ?? .nan
            cursor = cursor + 1 == capacity ? 0 : cursor + 1
        }
        count = min(capacity, count + batch.count)
        totalAppended += batch.count
    }

    /// Fills `batch` with `batch.size` transitions drawn uniformly with replacement; `batch.indices`
    /// receives their slots. Allocates nothing once `batch` is built.
    public func sample(into batch: inout ReplayBatch, stream: inout RandomStream) {
        precondition(count > 0, "ReplayBuffer.sample: the buffer is empty")
        let n = count
        batch.indices.withUnsafeMutableBufferPointer { index in
            for i in 0..<index.count { index[i] = stream.nextIndex(below: n) }
        }
        gather(into: &batch)
    }

    /// Fills `batch` with the transitions at `batch.indices` (slots in `0..<count`).
    public func gather(into batch: inout ReplayBatch) {
        precondition(batch.states.columns == stateDimension && batch.actions.columns == actionDimension,
                     "ReplayBuffer.gather: batch shape does not match the buffer")
        let (s, a, n) = (stateDimension, actionDimension, batch.size)
        batch.indices.withUnsafeBufferPointer { index in
        states.withUnsafeBufferPointer { ss in
        nextStates.withUnsafeBufferPointer { sn in
        actions.withUnsafeBufferPointer { sa in
        rewards.withUnsafeBufferPointer { sr in
        terminals.withUnsafeBufferPointer { st in
        elapsedHours.withUnsafeBufferPointer { se in
        batch.states.withUnsafeMutableBufferPointer { ds in
        batch.nextStates.withUnsafeMutableBufferPointer { dn in
        batch.actions.withUnsafeMutableBufferPointer { da in
        batch.rewards.withUnsafeMutableBufferPointer { dr in
        batch.notDone.withUnsafeMutableBufferPointer { dd in
        batch.elapsedHours.withUnsafeMutableBufferPointer { de in
            for r in 0..<n {
                let k = index[r]
                precondition(k >= 0 && k < count, "ReplayBuffer.gather: slot \(k) outside 0..<\(count)")
                for j in 0..<s {
                    ds[r * s + j] = ss[k * s + j]
                    dn[r * s + j] = sn[k * s + j]
                }
                for j in 0..<a { da[r * a + j] = sa[k * a + j] }
                dr[r] = sr[k]
                dd[r] = 1 - st[k]
                de[r] = se[k]
            }
        }}}}}}}}}}}}}
    }

    /// The transition in slot `index` (for tests and inspection).
    public func transition(at index: Int) -> (state: [Float], action: [Float], reward: Float, nextState: [Float],
                                             terminal: Bool) {
        precondition(index >= 0 && index < count, "ReplayBuffer: slot \(index) outside 0..<\(count)")
        let (s, a) = (stateDimension, actionDimension)
        return (Array(states[(index * s)..<((index + 1) * s)]), Array(actions[(index * a)..<((index + 1) * a)]),
                rewards[index], Array(nextStates[(index * s)..<((index + 1) * s)]), terminals[index] == 1)
    }

    /// The reward, terminal flag and elapsed hours (NaN without a clock) in slot `index`, without allocating.
    public func outcome(at index: Int) -> (reward: Float, terminal: Bool, elapsedHours: Float) {
        precondition(index >= 0 && index < count, "ReplayBuffer: slot \(index) outside 0..<\(count)")
        return (rewards[index], terminals[index] == 1, elapsedHours[index])
    }

    /// Slot of the most recently appended transition (`nil` when empty).
    public var newestSlot: Int? { count == 0 ? nil : (cursor + capacity - 1) % capacity }
}

/// A preallocated mini-batch drawn from a `ReplayBuffer`.
///
/// `notDone = 1 − terminal` multiplies the bootstrap term of every TD target (a churn ends the MDP; every other
/// transition in a buffer has its next state).
public struct ReplayBatch: Sendable {
    public let size: Int
    /// `size × stateDimension`.
    public var states: Matrix
    /// Normalised actions, `size × actionDimension`.
    public var actions: Matrix
    /// `size × 1`.
    public var rewards: Matrix
    /// `size × stateDimension`.
    public var nextStates: Matrix
    /// `1 − terminal`, `size × 1`.
    public var notDone: Matrix
    /// Hours from each decision to the next (NaN without a clock), `size × 1`.
    public var elapsedHours: Matrix
    /// `γ_i (1 − terminal)`, the factor of the bootstrap term of each TD target, `size × 1`; filled by
    /// `discount(with:)`.
    public var bootstrapDiscounts: Matrix
    /// Buffer slots of the rows.
    public var indices: [Int]

    public init(size: Int, stateDimension: Int, actionDimension: Int) {
        precondition(size > 0, "ReplayBatch: size must be positive, got \(size)")
        self.size = size
        states = Matrix(rows: size, columns: stateDimension)
        actions = Matrix(rows: size, columns: actionDimension)
        rewards = Matrix(rows: size, columns: 1)
        nextStates = Matrix(rows: size, columns: stateDimension)
        notDone = Matrix(rows: size, columns: 1)
        elapsedHours = Matrix(rows: size, columns: 1)
        bootstrapDiscounts = Matrix(rows: size, columns: 1)
        indices = [Int](repeating: 0, count: size)
    }

    /// Fills `bootstrapDiscounts` with `discounting.factor(elapsedHours) · notDone`.
    public mutating func discount(with discounting: Discounting) {
        notDone.withUnsafeBufferPointer { nd in
            elapsedHours.withUnsafeBufferPointer { hours in
                bootstrapDiscounts.withUnsafeMutableBufferPointer { out in
                    for r in 0..<size {
                        precondition(!discounting.needsElapsedTime || !hours[r].isNaN,
                                     "ReplayBatch: discounting by time needs transitions with elapsed times")
                        out[r] = discounting.factor(elapsedHours: hours[r]) * nd[r]
                    }
                }
            }
        }
    }
}
