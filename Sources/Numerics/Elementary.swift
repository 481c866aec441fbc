#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Elementary functions on `Float` and `Double` from the platform's libm, in one place so that
/// hot loops call the C functions directly (no Foundation, no generic dispatch).
public enum Elementary {
    @inlinable @inline(__always) public static func exp(_ x: Float) -> Float { expf(x) }
    @inlinable @inline(__always) public static func exp(_ x: Double) -> Double { Glibc_exp(x) }
    @inlinable @inline(__always) public static func log(_ x: Float) -> Float { logf(x) }
    @inlinable @inline(__always) public static func log(_ x: Double) -> Double { Glibc_log(x) }
    @inlinable @inline(__always) public static func log1p(_ x: Float) -> Float { log1pf(x) }
    @inlinable @inline(__always) public static func log1p(_ x: Double) -> Double { Glibc_log1p(x) }
    @inlinable @inline(__always) public static func expm1(_ x: Double) -> Double { Glibc_expm1(x) }
    @inlinable @inline(__always) public static func sqrt(_ x: Double) -> Double { x.squareRoot() }
    @inlinable @inline(__always) public static func tan(_ x: Double) -> Double { Glibc_tan(x) }
    @inlinable @inline(__always) public static func tanh(_ x: Float) -> Float { tanhf(x) }
    @inlinable @inline(__always) public static func erf(_ x: Double) -> Double { Glibc_erf(x) }
    @inlinable @inline(__always) public static func erfc(_ x: Double) -> Double { Glibc_erfc(x) }
    @inlinable @inline(__always) public static func pow(_ x: Double, _ y: Double) -> Double { Glibc_pow(x, y) }
    @inlinable @inline(__always) public static func lgamma(_ x: Double) -> Double { Glibc_lgamma(x) }
    @inlinable @inline(__always) public static func cos(_ x: Double) -> Double { Glibc_cos(x) }
    @inlinable @inline(__always) public static func sin(_ x: Double) -> Double { Glibc_sin(x) }

    /// Logistic sigmoid `1 / (1 + e^{−x})`, stable for large |x|.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 {
            return 1 / (1 + expf(-x))
        }
        let e = expf(x)
        return e / (1 + e)
    }

    /// Logistic sigmoid in `Double`.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Double) -> Double {
        if x >= 0 { return 1 / (1 + Glibc_exp(-x)) }
        let e = Glibc_exp(x)
        return e / (1 + e)
    }

    /// `log(p / (1 − p))`, the inverse of `sigmoid`.
    @inlinable @inline(__always)
    public static func logit(_ p: Float) -> Float { logf(p) - log1pf(-p) }

    /// `log(1 + e^x)` without overflow.
    @inlinable @inline(__always)
    public static func softplus(_ x: Float) -> Float {
        x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x))
    }

    /// `log(1 + e^x)` in `Double`.
    @inlinable @inline(__always)
    public static func softplus(_ x: Double) -> Double {
        x > 0 ? x + Glibc_log1p(Glibc_exp(-x)) : Glibc_log1p(Glibc_exp(x))
    }
}

// Double-precision libm entry points under unambiguous names (`exp` etc. would recurse into `Elementary`).
@usableFromInline @inline(__always) func Glibc_exp(_ x: Double) -> Double { exp(x) }
@usableFromInline @inline(__always) func Glibc_log(_ x: Double) -> Double { log(x) }
@usableFromInline @inline(__always) func Glibc_log1p(_ x: Double) -> Double { log1p(x) }
@usableFromInline @inline(__always) func Glibc_expm1(_ x: Double) -> Double { expm1(x) }
@usableFromInline @inline(__always) func Glibc_tan(_ x: Double) -> Double { tan(x) }
@usableFromInline @inline(__always) func Glibc_erf(_ x: Double) -> Double { erf(x) }
@usableFromInline @inline(__always) func Glibc_erfc(_ x: Double) -> Double { erfc(x) }
@usableFromInline @inline(__always) func Glibc_pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
@usableFromInline @inline(__always) func Glibc_lgamma(_ x: Double) -> Double { lgamma(x) }
@usableFromInline @inline(__always) func Glibc_cos(_ x: Double) -> Double { cos(x) }
@usableFromInline @inline(__always) func Glibc_sin(_ x: Double) -> Double { sin(x) }
