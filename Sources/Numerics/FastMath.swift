/// Branch-free single-precision kernels that the compiler can vectorise with baseline SSE2
/// (no libm calls, no `floor`): used where a simulator evaluates thousands of logistic
/// probabilities per request.
public enum FastMath {
    /// eˣ with relative error below 2·10⁻⁷ on [−87, 88] (inputs are clamped there; NaN stays NaN).
    ///
    /// Cephes `expf` (Moshier 1989): x = n·ln 2 + r with |r| ≤ ½ln 2 (Cody–Waite split of ln 2),
    /// eʳ by its degree-5 minimax polynomial, 2ⁿ assembled in the exponent bits. n is rounded with the
    /// 1.5·2²³ trick instead of `floor`, which baseline x86-64 would call out of line.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        // Comparisons that send NaN to a finite value, so the integer conversion below cannot trap.
        let low: Float = x > -87.3 ? x : -87.3
        let clamped: Float = low < 88.3 ? low : 88.3
        let shifter: Float = 12_582_912  // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
        let n = (clamped * 1.442_695_04 + shifter) - shifter
        let r = (clamped - n * 0.693_359_375) + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let er = p * r * r + r + 1
        let scale = Float(bitPattern: UInt32(bitPattern: Int32(n) &+ 127) << 23)
        return x.isNaN ? x : er * scale
    }

    /// `exp` on eight values at once, with the same operations (so the same results, lane by lane): for short
    /// row-wise reductions such as a gate's softmax, where the scalar calls would cost more than the arithmetic
    /// around them. 2ⁿ comes from the bits of the shifted sum instead of an integer conversion.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let low = x.replacing(with: -87.3, where: .!(x .> -87.3))
        let clamped = low.replacing(with: 88.3, where: .!(low .< 88.3))
        let shifter = SIMD8<Float>(repeating: 12_582_912)
        let shifted = clamped * 1.442_695_04 + shifter
        let n = shifted - shifter
        let r = (clamped - n * 0.693_359_375) + n * 2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let er = p * r * r + r + 1
        // bits(1.5·2²³ + n) − bits(1.5·2²³) = n for |n| < 2²², the exponent of 2ⁿ is n + 127.
        let exponent = unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- unsafeBitCast(shifter, to: SIMD8<UInt32>.self)
        let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: SIMD8<Float>.self)
        return (er * scale).replacing(with: x, where: x .!= x)
    }

    /// The logistic function 1 / (1 + e^{−x}) through `exp`; absolute error below 10⁻⁷.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        1 / (1 + exp(-x))
    }

    /// Replaces each of `count` values by its logistic function.
    @inlinable
    public static func sigmoid(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { values[i] = 1 / (1 + exp(-values[i])) }
    }
}
