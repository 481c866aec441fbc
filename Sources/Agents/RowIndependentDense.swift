import NeuralNet
import Numerics

/// A dense layer's forward pass `y = x·W + b` computed with one fixed order of operations per
/// output element, so that each output row is a function of its input row alone, bit for bit,
/// whatever the batch size, the row's position in it, the BLAS build or the thread count.
///
/// Every element is `((0 + x₀W₀ⱼ) + x₁W₁ⱼ) + … + bⱼ`: inputs in increasing order, each product
/// rounded and then added (no fused multiply-add, no reassociation: Swift neither contracts nor
/// reorders floating-point operations, and SIMD lanes compute exactly what the scalar loop does).
/// The bias comes last, as in `Dense.forward` after its GEMM. The work is tiled as 4 rows × 8
/// columns held in SIMD registers over the whole inner dimension, with scalar and one-row
/// versions of the same sum for the edges; the tiling changes no element's arithmetic.
public enum RowIndependentDense {
    /// `network`'s output for `input`: every layer by `forward`, then its activation (element-wise), so each output
    /// row is a function of its input row alone. What acting uses (`ActorNetwork.predictRowIndependent`, `BCQPolicy`).
    public static func predict(_ network: MLP, _ input: Matrix) -> Matrix {
        var current = input
        var next = Matrix(rows: 0, columns: 0)
        for (layer, activation) in zip(network.layers, network.activations) {
            forward(layer, current, into: &next)
            activation.apply(&next)
            swap(&current, &next)
        }
        return current
    }

    /// `output ← input·W + b` for `layer` (`input` is `rows × inputSize`; `output` resized, storage reused).
    public static func forward(_ layer: Dense, _ input: Matrix, into output: inout Matrix) {
        let (k, n, rows) = (layer.inputSize, layer.outputSize, input.rows)
        precondition(input.columns == k, "RowIndependentDense: input has \(input.columns) columns, layer expects \(k)")
        output.resize(rows: rows, columns: n)
        input.withUnsafeBufferPointer { xBuffer in
            layer.weight.value.withUnsafeBufferPointer { wBuffer in
                layer.bias.value.withUnsafeBufferPointer { bBuffer in
                    output.withUnsafeMutableBufferPointer { yBuffer in
                        guard rows > 0, n > 0, let y = yBuffer.baseAddress, let b = bBuffer.baseAddress else { return }
                        guard k > 0, let x = xBuffer.baseAddress, let w = wBuffer.baseAddress else {
                            for r in 0..<rows { for j in 0..<n { y[r * n + j] = 0 + b[j] } }
                            return
                        }
                        var r = 0
                        while r + 4 <= rows {
                            var j = 0
                            while j + 8 <= n {
                                tile4x8(x + r * k, k: k, w: w + j, n: n, y: y + r * n + j)
                                j += 8
                            }
                            for row in r..<(r + 4) {
                                for column in j..<n { y[row * n + column] = dot(x + row * k, k: k, w: w + column, n: n) }
                            }
                            r += 4
                        }
                        while r < rows {
                            var j = 0
                            while j + 8 <= n {
                                tile1x8(x + r * k, k: k, w: w + j, n: n, y: y + r * n + j)
                                j += 8
                            }
                            for column in j..<n { y[r * n + column] = dot(x + r * k, k: k, w: w + column, n: n) }
                            r += 1
                        }
                        for r in 0..<rows {
                            let row = y + r * n
                            for j in 0..<n { row[j] = row[j] + b[j] }
                        }
                    }
                }
            }
        }
    }

    /// `Σ_i x[i]·W[i, 0]` in increasing `i`, for `w` pointing at one column of row 0 (stride `n`).
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, k: Int, w: UnsafePointer<Float>, n: Int) -> Float {
        var sum: Float = 0
        for i in 0..<k { sum = sum + x[i] * w[i * n] }
        return sum
    }

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        for l in 0..<8 { p[l] = v[l] }
    }

    /// Eight columns of one row: the same sums as `dot`, eight lanes at a time.
    @inline(__always)
    static func tile1x8(_ x: UnsafePointer<Float>, k: Int, w: UnsafePointer<Float>, n: Int, y: UnsafeMutablePointer<Float>) {
        var a = SIMD8<Float>()
        for i in 0..<k { a = a + x[i] * load8(w + i * n) }
        store8(a, y)
    }

    /// Eight columns of four consecutive rows (row stride `k` in `x`, `n` in `y`), sharing each weight load.
    @inline(__always)
    static func tile4x8(_ x: UnsafePointer<Float>, k: Int, w: UnsafePointer<Float>, n: Int, y: UnsafeMutablePointer<Float>) {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        for i in 0..<k {
            let wv = load8(w + i * n)
            a0 = a0 + x[i] * wv
            a1 = a1 + x[k + i] * wv
            a2 = a2 + x[2 * k + i] * wv
            a3 = a3 + x[3 * k + i] * wv
        }
        store8(a0, y)
        store8(a1, y + n)
        store8(a2, y + 2 * n)
        store8(a3, y + 3 * n)
    }
}
