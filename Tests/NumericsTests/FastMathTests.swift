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

    @Test("exp on eight lanes equals the scalar exp lane by lane, clamps and NaN included")
    func vectorExp() {
        var values: [Float] = [0, -0.0, 1, -1, 88, 88.3, 89, 200, -87, -87.3, -88, -200, .infinity, -.infinity, .nan, 1e-8]
        var x: Float = -95
        while x < 95 {
            values.append(x)
            x += 0.0731
        }
        while values.count % 8 != 0 { values.append(0.5) }
        for base in stride(from: 0, to: values.count, by: 8) {
            let lanes = SIMD8<Float>((0..<8).map { values[base + $0] })
            let vector = FastMath.exp(lanes)
            for j in 0..<8 {
                let scalar = FastMath.exp(lanes[j])
                #expect(vector[j] == scalar || (vector[j].isNaN && scalar.isNaN), "x = \(lanes[j]): \(vector[j]) vs \(scalar)")
            }
        }
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
