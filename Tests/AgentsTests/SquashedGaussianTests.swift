import Agents
import Foundation
import Numerics
import Testing
import TestSupport

@Suite("Squashed Gaussian")
struct SquashedGaussianTests {
    @Test("log(1 − tanh² u) in the stable form equals the naive one and stays finite in the tails")
    func stableCorrection() {
        for u in stride(from: -6.0, through: 6.0, by: 0.25) {
            let naive = Foundation.log(1 - Foundation.tanh(u) * Foundation.tanh(u))
            assertClose(SquashedGaussian.logOneMinusTanhSquared(u), naive, relative: 1e-9, absolute: 1e-12, "u = \(u)")
        }
        for u in [-40.0, -20, 20, 40] {
            let value = SquashedGaussian.logOneMinusTanhSquared(u)
            #expect(value.isFinite)
            assertClose(value, 2 * (Elementary.log(2.0) - abs(u)), relative: 1e-12)
        }
    }

    @Test("log π(a) with the tanh correction equals the density from the CDF by finite differences",
          arguments: [(Float(0.0), Float(0.0)), (0.7, -0.5), (-1.2, 0.4), (2.0, -1.5)])
    func densityAgainstCDF(mean: Float, logStd: Float) {
        let sigma = Elementary.exp(Double(logStd))
        func cdf(_ a: Double) -> Double {
            let u = 0.5 * (Elementary.log1p(a) - Elementary.log1p(-a))
            return StandardNormal.cdf((u - Double(mean)) / sigma)
        }
        let h = 1e-5
        for a in stride(from: -0.95, through: 0.95, by: 0.05) {
            let analytic = Elementary.exp(SquashedGaussian.logDensity(action: [Float(a)], mean: [mean], logStd: [logStd]))
            // The action is rounded to Float inside; compare at that point.
            let aFloat = Double(Float(a))
            let numeric = (cdf(aFloat + h) - cdf(aFloat - h)) / (2 * h)
            assertClose(analytic, numeric, relative: 1e-5, absolute: 1e-10, "a = \(a), μ = \(mean), log σ = \(logStd)")
        }
    }

    @Test("the reparameterised and the action form of log π agree; both sum over dimensions")
    func reparameterisedForm() {
        let mean: [Float] = [0.3, -0.8, 1.1], logStd: [Float] = [-0.4, 0.2, -1.0], noise: [Float] = [0.5, -1.3, 0.9]
        let fromNoise = SquashedGaussian.logDensity(mean: mean, logStd: logStd, noise: noise)
        let action = (0..<3).map { Float(Foundation.tanh(Double(mean[$0]) + Elementary.exp(Double(logStd[$0])) * Double(noise[$0]))) }
        let fromAction = SquashedGaussian.logDensity(action: action, mean: mean, logStd: logStd)
        assertClose(fromNoise, fromAction, relative: 1e-4)
        let separately = (0..<3).reduce(0.0) { $0 + SquashedGaussian.logDensity(mean: [mean[$1]], logStd: [logStd[$1]], noise: [noise[$1]]) }
        assertClose(fromNoise, separately, relative: 1e-12)
    }

    @Test("∂ log π/∂μ and ∂ log π/∂log σ at fixed ε match finite differences")
    func logDensityGradient() {
        let h = 1e-4
        for (m, s, e) in [(0.3, -0.2, 0.7), (-1.0, 0.5, -1.4), (2.0, -1.0, 0.1)] {
            func f(_ m: Double, _ s: Double) -> Double {
                let u = m + Elementary.exp(s) * e
                return SquashedGaussian.gaussianLogDensity(noise: e, logStd: s) - SquashedGaussian.logOneMinusTanhSquared(u)
            }
            let a = Foundation.tanh(m + Elementary.exp(s) * e)
            let g = SquashedGaussian.logDensityGradient(action: a, std: Elementary.exp(s), noise: e)
            assertClose(g.mean, (f(m + h, s) - f(m - h, s)) / (2 * h), relative: 1e-6, absolute: 1e-8)
            assertClose(g.logStd, (f(m, s + h) - f(m, s - h)) / (2 * h), relative: 1e-6, absolute: 1e-8)
        }
    }

    @Test("batch sampling matches the scalar formulas and clamps log σ")
    func batchSampling() {
        let outputs = Matrix([[0.2, -0.5, 3.0, -30.0], [1.5, 0.0, -0.3, 0.1]])
        let noise = Matrix([[0.4, -1.0], [2.0, 0.3]])
        var actions = Matrix(rows: 0, columns: 0), logProbabilities = Matrix(rows: 0, columns: 0)
        SquashedGaussian.sample(outputs: outputs, noise: noise, logStdBounds: (-20, 2), actions: &actions,
                                logProbabilities: &logProbabilities)
        let expected0 = SquashedGaussian.logDensity(mean: [0.2, -0.5], logStd: [2, -20], noise: [0.4, -1.0])
        let expected1 = SquashedGaussian.logDensity(mean: [1.5, 0.0], logStd: [-0.3, 0.1], noise: [2.0, 0.3])
        assertClose(Double(logProbabilities[0, 0]), expected0, relative: 1e-5)
        assertClose(Double(logProbabilities[1, 0]), expected1, relative: 1e-5)
        assertClose(Double(actions[0, 0]), Foundation.tanh(0.2 + Elementary.exp(2.0) * 0.4), relative: 1e-6)
    }
}
