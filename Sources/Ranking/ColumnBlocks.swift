import Numerics

/// GEMMs on column blocks of row-major matrices, so that every expert of a bank can live in one
/// `batch × (experts · width)` matrix and still be multiplied by its own weights without copying
/// (the leading dimension of a block is the full matrix's column count).
enum ColumnBlocks {
    /// `C[:, cColumns] ← op(A[:, aColumns])·op(B[:, bColumns]) + β·C[:, cColumns]`.
    ///
    /// `C` must already have the product's row count.
    @inline(__always)
    static func multiply(_ a: Matrix, columns aColumns: Range<Int>, transposeA: Bool = false,
                         by b: Matrix, columns bColumns: Range<Int>, transposeB: Bool = false,
                         into c: inout Matrix, columns cColumns: Range<Int>, beta: Float = 0) {
        let m = transposeA ? aColumns.count : a.rows
        let k = transposeA ? a.rows : aColumns.count
        let kb = transposeB ? bColumns.count : b.rows
        let n = transposeB ? b.rows : bColumns.count
        precondition(k == kb && c.rows == m && cColumns.count == n
                     && aColumns.upperBound <= a.columns && bColumns.upperBound <= b.columns
                     && cColumns.upperBound <= c.columns,
                     "ColumnBlocks.multiply: \(a.rows)×\(aColumns)\(transposeA ? "ᵀ" : "") · "
                     + "\(b.rows)×\(bColumns)\(transposeB ? "ᵀ" : "") into \(c.rows)×\(cColumns)")
        guard m > 0, n > 0 else { return }
        let ldc = c.columns
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    let cp = pc.baseAddress! + cColumns.lowerBound
                    guard k > 0 else {
                        for r in 0..<m {
                            for j in 0..<n { cp[r * ldc + j] = beta == 0 ? 0 : beta * cp[r * ldc + j] }
                        }
                        return
                    }
                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                               a: pa.baseAddress! + aColumns.lowerBound, lda: a.columns,
                               b: pb.baseAddress! + bColumns.lowerBound, ldb: b.columns,
                               beta: beta, c: cp, ldc: ldc)
                }
            }
        }
    }

    /// `dst ← src` (same shape), reusing `dst`'s storage.
    @inline(__always)
    static func copy(_ src: Matrix, into dst: inout Matrix) {
        dst.resize(rows: src.rows, columns: src.columns)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in _ = d.update(fromContentsOf: s) }
        }
    }

    /// Resizes `m` and fills it with zeros.
    @inline(__always)
    static func zero(_ m: inout Matrix, rows: Int, columns: Int) {
        m.resize(rows: rows, columns: columns)
        m.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Column `column` of `m` into `out` (`rows × 1`).
    static func extractColumn(_ m: Matrix, _ column: Int, into out: inout Matrix) {
        out.resize(rows: m.rows, columns: 1)
        let stride = m.columns
        m.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for r in 0..<d.count { d[r] = s[r * stride + column] }
            }
        }
    }

    /// `∂L/∂b += 1ᵀ·dY` for a bias row.
    static func accumulateColumnSums(_ dy: Matrix, into gradient: inout Matrix) {
        let columns = dy.columns
        precondition(gradient.count == columns, "ColumnBlocks: bias gradient \(gradient.count) for \(columns) columns")
        dy.withUnsafeBufferPointer { d in
            gradient.withUnsafeMutableBufferPointer { g in
                for base in stride(from: 0, to: d.count, by: columns) {
                    for j in 0..<columns { g[j] += d[base + j] }
                }
            }
        }
    }
}
