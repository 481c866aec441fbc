import COpenBLAS

/// Single-precision BLAS entry points used by MTFSim, backed by OpenBLAS.
///
/// This is the only file that calls the C library for arithmetic; other modules go through
/// `Matrix` or these pointer-level wrappers and never import `COpenBLAS`.
public enum BLAS {
    /// `C ← α·op(A)·op(B) + β·C` for row-major buffers (`cblas_sgemm`).
    ///
    /// - Parameters:
    ///   - m, n, k: `op(A)` is `m×k`, `op(B)` is `k×n`, `C` is `m×n`.
    ///   - lda, ldb, ldc: leading dimensions (row strides) of the stored matrices.
    /// When `m == 1` the product is a vector–matrix product and goes to `sgemv`, which OpenBLAS
    /// runs several times faster than a one-row GEMM.
    @inlinable
    public static func sgemm(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            scale(c, rows: m, columns: n, stride: ldc, by: beta)
            return
        }
        if m == 1 && !transposeA {
            // y = α·op(B)ᵀ… expressed on B as stored: y(n) = α·op(B)ᵀ x + β y with x = row of A.
            // op(B) is k×n; y = op(B)ᵀ x. With B stored row-major k×n (no transpose) that is B ᵀ x → CblasTrans.
            cblas_sgemv(CblasRowMajor, transposeB ? CblasNoTrans : CblasTrans,
                        Int32(transposeB ? n : k), Int32(transposeB ? k : n),
                        alpha, b, Int32(ldb), a, 1, beta, c, 1)
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    @usableFromInline
    static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, by beta: Float) {
        for r in 0..<rows {
            let row = c + r * stride
            for j in 0..<columns { row[j] = beta == 0 ? 0 : beta * row[j] }
        }
    }

    /// `y ← α·x + y` (`cblas_saxpy`).
    @inlinable
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }

    /// `x·y` (`cblas_sdot`).
    @inlinable
    public static func dot(count: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        cblas_sdot(Int32(count), x, 1, y, 1)
    }
}

extension BLAS {
    /// `C ← α·AᵀA + β·C` on the upper triangle of the `n×n` row-major `C`, with `A` a row-major `k×n` buffer
    /// (`cblas_ssyrk`, upper, transposed): a Gram matrix of `k` rows of `n` features at half the flops of
    /// `sgemm(transposeA: true, …)`. The strictly lower triangle of `C` is not touched.
    @inlinable
    public static func ssyrkTransposed(n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard n > 0 else { return }
        if k == 0 {
            for i in 0..<n {
                for j in i..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
            }
            return
        }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }
}
