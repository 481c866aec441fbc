import Numerics

/// A value that owns trainable parameters: a dense layer, an MLP, or any model composed of them
/// (MMoE experts and gates, actor and critic networks).
///
/// Conformers visit their tensors in one fixed, deterministic order; optimisers keep their state
/// aligned with that order and checkpoints store tensors in it. A composite model conforms by
/// visiting its parts in turn, so everything below (zeroing, clipping, Polyak updates,
/// checkpoints, optimisers) works for it unchanged, and it can prefix its parts' parameter names
/// once at construction (`expert1.dense0.weight`). Visiting is in place: no tensor is copied.
public protocol ParameterStore {
    /// Calls `body` on every parameter, in place, in the store's fixed order.
    mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows

    /// Calls `body` on every parameter, read-only, in the same order as `updateParameters`.
    func forEachParameter(_ body: (Parameter) throws -> Void) rethrows
}

extension ParameterStore {
    /// Total number of trainable scalars.
    public var parameterCount: Int {
        var total = 0
        forEachParameter { total += $0.count }
        return total
    }

    /// Number of parameter tensors.
    public var parameterTensorCount: Int {
        var total = 0
        forEachParameter { _ in total += 1 }
        return total
    }

    /// Names and shapes of all tensors, in visiting order.
    public var parameterDescriptors: [TensorDescriptor] {
        var out = [TensorDescriptor]()
        forEachParameter { out.append($0.descriptor) }
        return out
    }

    /// Sets every accumulated gradient to zero (call before each mini-batch's `backward`).
    public mutating func zeroGradients() {
        updateParameters { p in
            p.gradient.withUnsafeMutableBufferPointer { g in
                g.update(repeating: 0)
            }
        }
    }

    /// Global L2 norm of all gradients, `sqrt(Σ g²)`, accumulated in `Double`.
    public func gradientNorm() -> Double {
        var sumOfSquares = 0.0
        forEachParameter { p in
            p.gradient.withUnsafeBufferPointer { g in
                for x in g { sumOfSquares += Double(x) * Double(x) }
            }
        }
        return sumOfSquares.squareRoot()
    }

    /// Global-norm gradient clipping (Pascanu, Mikolov & Bengio 2013, Algorithm 1): when the global
    /// norm ‖g‖ exceeds `maxNorm`, every gradient is scaled by `maxNorm / ‖g‖`, which keeps the
    /// update's direction.
    ///
    /// - Returns: the norm before clipping (for logging exploding gradients).
    @discardableResult
    public mutating func clipGradients(maxNorm: Float) -> Float {
        precondition(maxNorm > 0, "clipGradients: maxNorm must be positive, got \(maxNorm)")
        let norm = gradientNorm()
        if norm > Double(maxNorm) {
            let scale = Float(Double(maxNorm) / norm)
            updateParameters { p in p.gradient.scale(by: scale) }
        }
        return Float(norm)
    }

    /// Soft (Polyak) target update `θ' ← τ·θ + (1 − τ)·θ'` with `self` as the target `θ'`
    /// (Lillicrap et al. 2016, DDPG; τ ≈ 0.005). `τ = 1` copies `source`.
    ///
    /// `source` must have the same architecture. No heap allocation.
    public mutating func softUpdate(toward source: Self, tau: Float) {
        precondition(tau >= 0 && tau <= 1, "softUpdate: tau must be in [0, 1], got \(tau)")
        let count = source.parameterTensorCount
        withUnsafeTemporaryAllocation(of: Matrix.self, capacity: count) { sources in
            var n = 0
            source.forEachParameter { p in
                (sources.baseAddress! + n).initialize(to: p.value)
                n += 1
            }
            defer { sources.baseAddress!.deinitialize(count: n) }
            var i = 0
            updateParameters { p in
                precondition(i < n, "softUpdate: target has more tensors than the source")
                let s = sources[i]
                precondition(s.rows == p.value.rows && s.columns == p.value.columns,
                             "softUpdate: \(p.name) is \(p.value.rows)×\(p.value.columns), source is \(s.rows)×\(s.columns)")
                s.withUnsafeBufferPointer { src in
                    p.value.withUnsafeMutableBufferPointer { dst in
                        for j in 0..<dst.count { dst[j] += tau * (src[j] - dst[j]) }
                    }
                }
                i += 1
            }
            precondition(i == n, "softUpdate: target has \(i) tensors, source has \(n)")
        }
    }

    /// All parameter values concatenated in visiting order (for evolution strategies, tests and
    /// checkpoints).
    public func parameterVector() -> [Float] {
        var out = [Float]()
        out.reserveCapacity(parameterCount)
        forEachParameter { p in p.value.withUnsafeBufferPointer { out.append(contentsOf: $0) } }
        return out
    }

    /// All gradients concatenated in visiting order.
    public func gradientVector() -> [Float] {
        var out = [Float]()
        out.reserveCapacity(parameterCount)
        forEachParameter { p in p.gradient.withUnsafeBufferPointer { out.append(contentsOf: $0) } }
        return out
    }

    /// Overwrites all parameter values from a vector laid out as `parameterVector()`.
    public mutating func setParameterVector(_ vector: [Float]) {
        precondition(vector.count == parameterCount,
                     "setParameterVector: \(vector.count) values for \(parameterCount) parameters")
        vector.withUnsafeBufferPointer { src in
            var offset = 0
            updateParameters { p in
                let n = p.count
                p.value.withUnsafeMutableBufferPointer { dst in
                    for j in 0..<n { dst[j] = src[offset + j] }
                }
                offset += n
            }
        }
    }

    /// `true` when every parameter value is finite.
    public var parametersAreFinite: Bool {
        var finite = true
        forEachParameter { p in finite = finite && p.value.isFinite }
        return finite
    }
}
