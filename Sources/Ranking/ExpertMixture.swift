import Numerics

/// The gated mixture of expert outputs, `y = Σ_j g_j · E_{e_j}` (MMoE, Ma et al. KDD 2018, eq. 5;
/// CGC, Tang et al. RecSys 2020, eq. 2), for a batch at once.
///
/// Expert outputs come from an `ExpertBank` (`batch × (experts · d)`, expert `k` in columns
/// `k·d ..< (k+1)·d`); a gate selects experts by index ranges (`[own, shared]` in CGC, everything
/// in MMoE) and holds one weight per selected expert and example, `g` (`batch × selected`).
/// Cost `O(batch · selected · d)`; no allocation.
public enum ExpertMixture {
    /// Number of experts in `selection`.
    public static func selectedCount(_ selection: [Range<Int>]) -> Int {
        selection.reduce(0) { $0 + $1.count }
    }

    /// `output[i] ← Σ_j gates[i, j] · experts[i, block(e_j)]`, `batch × d` (resized).
    public static func forward(gates: Matrix, experts: Matrix, expertWidth d: Int, selection: [Range<Int>],
                               into output: inout Matrix) {
        let batch = gates.rows
        let m = selectedCount(selection)
        precondition(gates.columns == m && experts.rows == batch
                     && selection.allSatisfy { $0.upperBound * d <= experts.columns },
                     "ExpertMixture.forward: gates \(gates.rows)×\(gates.columns), experts \(experts.rows)×\(experts.columns), "
                     + "width \(d), selection \(selection)")
        output.resize(rows: batch, columns: d)
        let stride = experts.columns
        gates.withUnsafeBufferPointer { g in
            experts.withUnsafeBufferPointer { e in
                output.withUnsafeMutableBufferPointer { y in
                    for i in 0..<batch {
                        let row = y.baseAddress! + i * d
                        row.update(repeating: 0, count: d)
                        var j = i * m
                        for range in selection {
                            for k in range {
                                let w = g[j]
                                let src = e.baseAddress! + i * stride + k * d
                                for c in 0..<d { row[c] += w * src[c] }
                                j += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Backward of `forward`: writes `∂L/∂g[i, j] = ⟨E_{e_j}[i], ∂L/∂y[i]⟩` into `gateGradient`
    /// (resized) and accumulates `∂L/∂E_{e_j}[i] += g[i, j] · ∂L/∂y[i]` into `expertGradient`
    /// (which must be shaped like the expert outputs).
    public static func backward(gates: Matrix, experts: Matrix, expertWidth d: Int, selection: [Range<Int>],
                                outputGradient: Matrix, gateGradient: inout Matrix, expertGradient: inout Matrix) {
        let batch = gates.rows
        let m = gates.columns
        precondition(outputGradient.rows == batch && outputGradient.columns == d
                     && expertGradient.rows == experts.rows && expertGradient.columns == experts.columns,
                     "ExpertMixture.backward: output gradient \(outputGradient.rows)×\(outputGradient.columns), "
                     + "expert gradient \(expertGradient.rows)×\(expertGradient.columns) for experts \(experts.rows)×\(experts.columns)")
        gateGradient.resize(rows: batch, columns: m)
        let stride = experts.columns
        gates.withUnsafeBufferPointer { g in
            experts.withUnsafeBufferPointer { e in
                outputGradient.withUnsafeBufferPointer { dy in
                    gateGradient.withUnsafeMutableBufferPointer { dg in
                        expertGradient.withUnsafeMutableBufferPointer { de in
                            for i in 0..<batch {
                                let upstream = dy.baseAddress! + i * d
                                var j = i * m
                                for range in selection {
                                    for k in range {
                                        let offset = i * stride + k * d
                                        let src = e.baseAddress! + offset
                                        let dst = de.baseAddress! + offset
                                        let w = g[j]
                                        for c in 0..<d { dst[c] += w * upstream[c] }
                                        // A Float reduction does not auto-vectorise; sdot does.
                                        dg[j] = BLAS.dot(count: d, src, upstream)
                                        j += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
