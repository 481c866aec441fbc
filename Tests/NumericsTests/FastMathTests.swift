import Foundation
import Numerics
import Testing

@Suite("FastMath")
struct FastMathTests {
    @Test("exp matches libm within 2e-7 relative over the clamped range")
    func expAccuracy() {
        var worst: Double = 0
        var x: Float = -87
        while x < 88 {
            let reference = Foundation.exp(Double(x))
            let relative = abs(Double(FastMath.exp(x)) - reference) / reference
            worst = max(worst, relative)
            x += 0.0137
        }
        #expect(worst < 2e-7, "worst relative error \(worst)")
        #expect(FastMath.exp(0) == 1)
        #expect(FastMath.exp(-200) >= 0 && FastMath.exp(-200) < 1e-37)
        #expect(FastMath.exp(200).isFinite)
    }

    @Test("sigmoid matches the exact logistic within 1e-7 absolute, in place and elementwise")
    func sigmoidAccuracy() {
        let xs = stride(from: Float(-30), through: 30, by: 0.01).map { $0 }
        var buffer = xs
        buffer.withUnsafeMutableBufferPointer { FastMath.sigmoid($0.baseAddress!, count: $0.count) }
        for (x, s) in zip(xs, buffer) {
            let exact = 1 / (1 + Foundation.exp(-Double(x)))
            #expect(abs(Double(s) - exact) < 1e-7, "x = \(x)")
            #expect(s == FastMath.sigmoid(x))
        }
    }
}
