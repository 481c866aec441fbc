import NeuralNet
import Numerics

/// The multi-task training loss `L = Σ_k ω_k · L_k` over a `batch × tasks` matrix of network
/// outputs, one term per `TaskSpec`:
///
/// - `.binary`: binary cross-entropy on the logit (NeuralNet's `Loss.binaryCrossEntropyWithLogits`);
/// - `.regression`: squared error on the raw output (NeuralNet's `Loss.meanSquaredError`);
/// - `.cascade(parent:)`: ESMM's entire-space loss on `σ(z_parent)·σ(z_task)` against the joint
///   label (`ESMMHead`, Ma et al. SIGIR 2018, eq. 3).
///
/// Per-task weights `ω`, optional per-element (or per-sample) weights and 0/1 masks for labels that
/// were never observed follow `LossWeighting`; `normalization` is shared by all terms (`.batch`
/// averages over the batch, `.observedPerTask` over each task's observed rows). Buffers are reused
/// between calls.
public struct MultiTaskLoss: Sendable {
    public let tasks: [TaskSpec]
    public var taskWeights: [Float]
    public var normalization: LossWeighting.Normalization

    private var kindMask = Matrix(rows: 0, columns: 0)
    private var partialGradient = Matrix(rows: 0, columns: 0)
    private var scales: [Float] = []

    public init(tasks: [TaskSpec], taskWeights: [Float]? = nil, normalization: LossWeighting.Normalization = .batch) {
        TaskSpec.validate(tasks)
        precondition(taskWeights.map { $0.count == tasks.count && $0.allSatisfy { $0 >= 0 && $0.isFinite } } ?? true,
                     "MultiTaskLoss: need \(tasks.count) non-negative task weights, got \(taskWeights!)")
        self.tasks = tasks
        self.taskWeights = taskWeights ?? [Float](repeating: 1, count: tasks.count)
        self.normalization = normalization
    }

    /// The loss of `outputs` against `targets` (both `batch × tasks`), writing `∂L/∂outputs` into
    /// `gradient` (resized).
    ///
    /// - Parameters:
    ///   - targets: labels in {0, 1} for binary tasks, real targets for regression, joint labels
    ///     ("parent and this") for cascade tasks.
    ///   - mask: 0/1 per element (`batch × tasks`) or per row (`batch × 1`); masked elements add
    ///     neither loss nor gradient.
    ///   - weights: per-element or per-row weights.
    public mutating func evaluate(outputs: Matrix, targets: Matrix, mask: Matrix? = nil, weights: Matrix? = nil,
                                  gradient: inout Matrix) -> Double {
        let (batch, t) = (outputs.rows, tasks.count)
        precondition(outputs.columns == t && targets.rows == batch && targets.columns == t,
                     "MultiTaskLoss: outputs \(outputs.rows)×\(outputs.columns), targets \(targets.rows)×\(targets.columns), "
                     + "\(t) tasks")
        ColumnBlocks.zero(&gradient, rows: batch, columns: t)
        var total = 0.0
        for kind in [TaskSpec.Kind.binary, .regression] where tasks.contains(where: { $0.kind == kind }) {
            fillKindMask(kind, batch: batch, userMask: mask)
            let weighting = LossWeighting(weights: weights, taskWeights: taskWeights, mask: kindMask,
                                          normalization: normalization)
            if kind == .binary {
                total += Loss.binaryCrossEntropyWithLogits(logits: outputs, targets: targets, weighting: weighting,
                                                           gradient: &partialGradient)
            } else {
                total += Loss.meanSquaredError(predictions: outputs, targets: targets, weighting: weighting,
                                               gradient: &partialGradient)
            }
            gradient.add(partialGradient)
        }
        for (j, task) in tasks.enumerated() {
            guard case .cascade(let parent) = task.kind else { continue }
            fillScales(task: j, batch: batch, mask: mask, weights: weights)
            let head = ESMMHead(clickTask: parent, conversionTask: j)
            total += targets.withUnsafeBufferPointer { y in
                scales.withUnsafeBufferPointer { s in
                    head.accumulateJointLoss(logits: outputs, labels: y.baseAddress! + j, labelStride: t,
                                             scales: s.baseAddress!, scaleStride: 1, gradient: &gradient)
                }
            }
        }
        return total
    }

    /// Per-task predictions from network outputs: `σ(z)` for binary tasks, the raw value for
    /// regression, `σ(z_parent)·σ(z)` for cascade tasks.
    public func predictions(outputs: Matrix) -> Matrix {
        MultiTaskLoss.predictions(outputs: outputs, tasks: tasks)
    }

    /// `predictions(outputs:)` for a task list.
    public static func predictions(outputs: Matrix, tasks: [TaskSpec]) -> Matrix {
        let t = tasks.count
        precondition(outputs.columns == t, "MultiTaskLoss.predictions: \(outputs.columns) outputs for \(t) tasks")
        var out = outputs
        outputs.withUnsafeBufferPointer { z in
            out.withUnsafeMutableBufferPointer { p in
                for (j, task) in tasks.enumerated() {
                    for i in 0..<outputs.rows {
                        let k = i * t + j
                        switch task.kind {
                        case .binary: p[k] = Elementary.sigmoid(z[k])
                        case .regression: p[k] = z[k]
                        case .cascade(let parent):
                            p[k] = ESMMHead.jointProbability(clickLogit: z[i * t + parent], conversionLogit: z[k])
                        }
                    }
                }
            }
        }
        return out
    }

    /// `kindMask[i, j] = mask[i, j]` (or 1) where task `j` is of `kind`, else 0.
    private mutating func fillKindMask(_ kind: TaskSpec.Kind, batch: Int, userMask: Matrix?) {
        let t = tasks.count
        kindMask.resize(rows: batch, columns: t)
        let selected = tasks.map { $0.kind == kind ? Float(1) : 0 }
        let ones = Matrix(rows: 0, columns: 0)
        let m = userMask ?? ones
        precondition(userMask == nil || (m.rows == batch && (m.columns == t || m.columns == 1)),
                     "MultiTaskLoss: mask is \(m.rows)×\(m.columns), expected \(batch)×\(t) or \(batch)×1")
        let (rowStride, columnStride) = userMask == nil ? (0, 0) : (m.columns, m.columns == 1 ? 0 : 1)
        m.withUnsafeBufferPointer { src in
            kindMask.withUnsafeMutableBufferPointer { dst in
                for i in 0..<batch {
                    for j in 0..<t {
                        dst[i * t + j] = userMask == nil ? selected[j] : selected[j] * src[i * rowStride + j * columnStride]
                    }
                }
            }
        }
    }

    /// `scales[i] = w_ij · m_ij · ω_j / N_j` for task `j`, with `N_j` as `normalization` says.
    private mutating func fillScales(task j: Int, batch: Int, mask: Matrix?, weights: Matrix?) {
        if scales.count != batch { scales = [Float](repeating: 0, count: batch) }
        func value(_ m: Matrix?, _ i: Int) -> Float {
            guard let m else { return 1 }
            return m.columns == 1 ? m[i, 0] : m[i, j]
        }
        var observed: Float = 0
        for i in 0..<batch {
            let mij = value(mask, i)
            observed += mij
            scales[i] = value(weights, i) * mij * taskWeights[j]
        }
        let norm: Float = normalization == .batch ? (batch > 0 ? 1 / Float(batch) : 0) : 1 / max(1, observed)
        for i in 0..<batch { scales[i] *= norm }
    }
}
