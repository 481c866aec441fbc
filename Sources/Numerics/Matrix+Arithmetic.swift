/// Linear algebra and elementwise operations on `Matrix` that neural-network layers need.
extension Matrix {
    /// `C ← α·op(A)·op(B) + β·C` with `op` an optional transpose (GEMM through OpenBLAS).
    ///
    /// `c` is resized to the product's shape when `β == 0`; otherwise its shape must already match.
    public static func multiply(
        _ a: Matrix, transposed transposeA: Bool = false,
        _ b: Matrix, transposed transposeB: Bool = false,
        into c: inout Matrix, alpha: Float = 1, beta: Float = 0
    ) {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let kb = transposeB ? b.columns : b.rows
        let n = transposeB ? b.rows : b.columns
        precondition(k == kb, "Matrix.multiply: inner dimensions \(k) and \(kb) differ "
                     + "(\(a.rows)×\(a.columns)\(transposeA ? "ᵀ" : "") · \(b.rows)×\(b.columns)\(transposeB ? "ᵀ" : ""))")
        if beta == 0 {
            c.resize(rows: m, columns: n)
        } else {
            precondition(c.rows == m && c.columns == n, "Matrix.multiply: accumulator is \(c.rows)×\(c.columns), product is \(m)×\(n)")
        }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    guard let ap = pa.baseAddress, let bp = pb.baseAddress, let cp = pc.baseAddress else { return }
                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                               alpha: alpha, a: ap, lda: max(a.columns, 1), b: bp, ldb: max(b.columns, 1),
                               beta: beta, c: cp, ldc: max(n, 1))
                }
            }
        }
    }

    /// The product `op(self) · op(other)`.
    public func multiplied(transposed transposeSelf: Bool = false, by other: Matrix, transposed transposeOther: Bool = false) -> Matrix {
        var out = Matrix(rows: 0, columns: 0)
        Matrix.multiply(self, transposed: transposeSelf, other, transposed: transposeOther, into: &out)
        return out
    }

    /// `C ← α·A·op(B) + β·C`: the same as `multiply(_:transposed:_:transposed:into:alpha:beta:)` with `A`
    /// untransposed. Swift binds argument labels in order, so `multiply(a, b, transposed: true, into:)`
    /// would otherwise not compile.
    public static func multiply(_ a: Matrix, _ b: Matrix, transposed transposeB: Bool,
                                into c: inout Matrix, alpha: Float = 1, beta: Float = 0) {
        multiply(a, transposed: false, b, transposed: transposeB, into: &c, alpha: alpha, beta: beta)
    }

    /// The product `self · op(other)` (see `multiply(_:_:transposed:into:alpha:beta:)` for why this overload exists).
    public func multiplied(by other: Matrix, transposed transposeOther: Bool) -> Matrix {
        multiplied(transposed: false, by: other, transposed: transposeOther)
    }

    /// Elementwise `self ← self + α·other`.
    public mutating func add(_ other: Matrix, scaledBy alpha: Float = 1) {
        precondition(rows == other.rows && columns == other.columns,
                     "Matrix.add: shapes \(rows)×\(columns) and \(other.rows)×\(other.columns) differ")
        other.withUnsafeBufferPointer { src in
            withUnsafeMutableBufferPointer { dst in
                for i in 0..<dst.count { dst[i] += alpha * src[i] }
            }
        }
    }

    /// Elementwise `self ← α·self`.
    public mutating func scale(by alpha: Float) {
        withUnsafeMutableBufferPointer { dst in
            for i in 0..<dst.count { dst[i] *= alpha }
        }
    }

    /// Adds the vector `bias` (length `columns`) to every row.
    public mutating func addRowVector(_ bias: [Float]) {
        precondition(bias.count == columns, "Matrix.addRowVector: \(bias.count) values for \(columns) columns")
        let (rows, columns) = (self.rows, self.columns)
        bias.withUnsafeBufferPointer { b in
            withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    let base = r * columns
                    for c in 0..<columns { dst[base + c] += b[c] }
                }
            }
        }
    }

    /// Elementwise (Hadamard) product `self ← self ⊙ other`.
    public mutating func multiplyElementwise(by other: Matrix) {
        precondition(rows == other.rows && columns == other.columns,
                     "Matrix.multiplyElementwise: shapes \(rows)×\(columns) and \(other.rows)×\(other.columns) differ")
        other.withUnsafeBufferPointer { src in
            withUnsafeMutableBufferPointer { dst in
                for i in 0..<dst.count { dst[i] *= src[i] }
            }
        }
    }

    /// Applies `transform` to every element in place.
    @inlinable
    public mutating func apply(_ transform: (Float) -> Float) {
        withUnsafeMutableBufferPointer { dst in
            for i in 0..<dst.count { dst[i] = transform(dst[i]) }
        }
    }

    /// A new matrix with `transform` applied to every element.
    @inlinable
    public func map(_ transform: (Float) -> Float) -> Matrix {
        var out = self
        out.apply(transform)
        return out
    }

    /// Sum over rows: a vector of length `columns` (the bias gradient of a dense layer).
    public func columnSums() -> [Float] {
        var sums = [Float](repeating: 0, count: columns)
        let columns = self.columns
        withUnsafeBufferPointer { src in
            sums.withUnsafeMutableBufferPointer { s in
                for r in 0..<rows {
                    let base = r * columns
                    for c in 0..<columns { s[c] += src[base + c] }
                }
            }
        }
        return sums
    }

    /// Sum of each row: a vector of length `rows`.
    public func rowSums() -> [Float] {
        var sums = [Float](repeating: 0, count: rows)
        let columns = self.columns
        withUnsafeBufferPointer { src in
            for r in 0..<rows {
                var s: Float = 0
                for c in 0..<columns { s += src[r * columns + c] }
                sums[r] = s
            }
        }
        return sums
    }

    /// Largest element of each row (`-infinity` for an empty row).
    public func rowMaxima() -> [Float] {
        var out = [Float](repeating: -.infinity, count: rows)
        let columns = self.columns
        withUnsafeBufferPointer { src in
            for r in 0..<rows {
                var m = -Float.infinity
                for c in 0..<columns { m = Swift.max(m, src[r * columns + c]) }
                out[r] = m
            }
        }
        return out
    }

    /// Sum of all elements, accumulated in `Double`.
    public func sum() -> Double {
        withUnsafeBufferPointer { src in
            var s = 0.0
            for v in src { s += Double(v) }
            return s
        }
    }

    /// Numerically stable softmax of each row in place: `exp(x_j − max) / Σ exp(x_i − max)`.
    public mutating func softmaxRows() {
        let (rows, columns) = (self.rows, self.columns)
        withUnsafeMutableBufferPointer { x in
            for r in 0..<rows {
                let base = r * columns
                var m = -Float.infinity
                for c in 0..<columns { m = Swift.max(m, x[base + c]) }
                var total: Float = 0
                for c in 0..<columns {
                    let e = Elementary.exp(x[base + c] - m)
                    x[base + c] = e
                    total += e
                }
                let inv = 1 / total
                for c in 0..<columns { x[base + c] *= inv }
            }
        }
    }
}
