import Numerics

/// Per-element weights, per-task weights and masks for the elementwise losses, and how the
/// weighted sum is normalised.
///
/// For a `batch × tasks` prediction the effective weight of element `(i, j)` is
/// `e_ij = w_ij · ω_j · m_ij`, where `w` are `weights` (`batch × tasks`, or `batch × 1` for
/// per-sample weights), `ω` are `taskWeights` and `m` is `mask` (0/1, same shapes as `weights`;
/// masked elements, such as a label that was never observed, contribute neither loss nor gradient).
public struct LossWeighting: Sendable {
    /// How the weighted sum over elements is turned into the loss.
    public enum Normalization: Sendable, Equatable {
        /// `L = (1/B)·Σ_i Σ_j e_ij·ℓ_ij`: the mean over the batch of the per-sample sum over tasks.
        case batch
        /// `L = Σ_j (Σ_i e_ij·ℓ_ij) / max(1, Σ_i m_ij)`: each task averaged over the samples where it
        /// is observed (multi-task training with missing labels), then summed over tasks.
        case observedPerTask
    }

    public var weights: Matrix?
    public var taskWeights: [Float]?
    public var mask: Matrix?
    public var normalization: Normalization

    public init(weights: Matrix? = nil, taskWeights: [Float]? = nil, mask: Matrix? = nil,
                normalization: Normalization = .batch) {
        self.weights = weights
        self.taskWeights = taskWeights
        self.mask = mask
        self.normalization = normalization
    }

    /// Every element weighted 1, averaged over the batch.
    public static let none = LossWeighting()
}

extension LossWeighting {
    /// Runs `body(index, scale)` for every element of a `rows × columns` loss, where `scale` is
    /// `e_ij / N_j` (the element's weight over its normaliser), and returns `Σ scale·ℓ_ij` with
    /// `ℓ_ij` the value `body` returns. Elements of zero weight are skipped, so callers zero the
    /// gradient first.
    @inline(__always)
    func reduce(rows: Int, columns: Int, _ body: (Int, Float) -> Double) -> Double {
        func strides(_ m: Matrix?, _ name: String) -> (row: Int, column: Int) {
            guard let m else { return (0, 0) }
            precondition(m.rows == rows && (m.columns == columns || m.columns == 1),
                         "Loss \(name) is \(m.rows)×\(m.columns), expected \(rows)×\(columns) or \(rows)×1")
            return (m.columns, m.columns == 1 ? 0 : 1)
        }
        if let taskWeights {
            precondition(taskWeights.count == columns, "Loss task weights: \(taskWeights.count) for \(columns) tasks")
        }
        let ws = strides(weights, "weights")
        let ms = strides(mask, "mask")
        let ones: [Float] = [1]
        let w = weights?.elements ?? ones
        let m = mask?.elements ?? ones
        let tw = taskWeights ?? ones
        let twStride = taskWeights == nil ? 0 : 1
        return w.withUnsafeBufferPointer { w in
            m.withUnsafeBufferPointer { m in
                tw.withUnsafeBufferPointer { tw in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: max(columns, 1)) { norm in
                        switch normalization {
                        case .batch:
                            norm.initialize(repeating: rows > 0 ? 1 / Float(rows) : 0)
                        case .observedPerTask:
                            norm.initialize(repeating: 0)
                            for i in 0..<rows {
                                for j in 0..<columns { norm[j] += m[i * ms.row + j * ms.column] }
                            }
                            for j in 0..<columns { norm[j] = 1 / max(1, norm[j]) }
                        }
                        var total = 0.0
                        for i in 0..<rows {
                            for j in 0..<columns {
                                let scale = w[i * ws.row + j * ws.column] * m[i * ms.row + j * ms.column] * tw[j * twStride] * norm[j]
                                if scale == 0 { continue }
                                total += Double(scale) * body(i * columns + j, scale)
                            }
                        }
                        return total
                    }
                }
            }
        }
    }
}
