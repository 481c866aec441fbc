import Evaluation
import Numerics
import Simulator
import Testing
import TestSupport

/// The truncated, renormalised product kernel of `KernelSmoothing` integrates to 1 over the action box, in normalised
/// and in raw units, and Scott's rule gives the stated bandwidths.
@Suite("Kernel smoothing")
struct KernelSmoothingTests {
    /// Locations of `d` dimensions: in the interior, near the faces (one exactly on a face) and in a corner.
    static func locations(_ d: Int) -> [(String, [Double])] {
        [("interior", (0..<d).map { 0.4 * Elementary.sin(Double($0 + 1)) }),
         ("near faces", (0..<d).map { $0 == 0 ? 1 : ($0 % 2 == 0 ? 0.97 : -0.9) })]
    }

    /// Draws from the proposal of one dimension and returns (draw, log-density of the proposal there). The proposal
    /// is computed here, independently of `KernelSmoothing`: for the Gaussian kernel a normal 1.5× wider than the
    /// kernel, truncated to [−1, 1] (by rejection; its mass by `StandardNormal.cdf`), so that the ratio K̃/q is
    /// bounded; for Epanechnikov the uniform density on the kernel's support within the box.
    static func propose(_ kernel: KernelSmoothing.Kernel, mean: Double, h: Double,
                        _ stream: inout RandomStream) -> (Double, Double) {
        switch kernel {
        case .gaussian:
            let sigma = 1.5 * h
            var x: Double
            repeat { x = stream.normal(mean: mean, standardDeviation: sigma) } while x < -1 || x > 1
            let mass = StandardNormal.cdf((1 - mean) / sigma) - StandardNormal.cdf((-1 - mean) / sigma)
            return (x, Synthetic.logNormalDensity(x, mean: mean, sigma: sigma) - Elementary.log(mass))
        case .epanechnikov:
            let (lo, hi) = (max(-1, mean - h), min(1, mean + h))
            return (lo + (hi - lo) * stream.nextUniform(), -Elementary.log(hi - lo))
        }
    }

    /// ∫_{[−1,1]^d} K̃ by importance sampling, for d = 1…7: the mean of K̃(y)/q(y) over 40,000 draws y from the
    /// product proposal q. The ratio is bounded, so the standard error is about 1%; the test asks for
    /// |Î − 1| < 5 standard errors and a standard error below 2%. An untruncated kernel near a face would integrate to
    /// about half per dimension there, and a wrong normalising constant is off by a fixed factor: both far outside.
    @Test(arguments: KernelSmoothing.Kernel.allCases)
    func integratesToOneOverTheBox(kernel: KernelSmoothing.Kernel) throws {
        var stream = RandomStream(seed: 11, keys: streamKey(kernel.rawValue))
        let draws = 40_000
        for d in 1...7 {
            let smoothing = try KernelSmoothing(kernel: kernel, bandwidths: (0..<d).map { 0.15 + 0.05 * Double($0) })
            for (label, location) in Self.locations(d) {
                var statistics = RunningStatistics()
                var y = [Double](repeating: 0, count: d)
                for _ in 0..<draws {
                    var logProposal = 0.0
                    for j in 0..<d {
                        let (x, logQ) = Self.propose(kernel, mean: location[j], h: smoothing.bandwidths[j], &stream)
                        y[j] = x
                        logProposal += logQ
                    }
                    let logK = smoothing.logDensity(normalizedAction: y, location: location)
                    statistics.add(logK == -.infinity ? 0 : Elementary.exp(logK - logProposal))
                }
                let context = "\(kernel) d=\(d) \(label): ∫ = \(statistics.mean) ± \(statistics.standardError)"
                #expect(statistics.standardError < 0.02, "\(context)")
                #expect(abs(statistics.mean - 1) < 5 * statistics.standardError, "\(context)")
            }
        }
    }

    /// In raw units the density carries the box's Jacobian: on the box [−1, 3] (width 4, normalised width 2) the raw
    /// density integrates to 1 over raw actions (midpoint rule, 20,000 cells), at a location inside and one on a face.
    @Test(arguments: KernelSmoothing.Kernel.allCases)
    func rawUnitsIntegrateToOne(kernel: KernelSmoothing.Kernel) throws {
        let line = ActionSpace(names: ["w.click"], low: [-1], high: [3], baseline: [1])
        let smoothing = try KernelSmoothing(kernel: kernel, bandwidths: [0.2])
        let cells = 20_000
        let width = 4.0 / Double(cells)
        for location: Float in [1.3, 3] {
            let actions = Matrix(rows: cells, columns: 1) { r, _ in Float(-1 + (Double(r) + 0.5) * width) }
            let locations = Matrix(rows: cells, columns: 1, repeating: location)
            let densities = try smoothing.logDensities(actions: actions, locations: locations, actionSpace: line)
            let integral = densities.reduce(0) { $0 + Elementary.exp($1) } * width
            assertClose(integral, 1, relative: 0, absolute: 2e-4, "\(kernel) at \(location)")
        }
        // An action outside the box has density 0; a location outside it is refused.
        let outside = try smoothing.logDensities(actions: Matrix(rows: 1, columns: 1, elements: [3.5]),
                                                 locations: Matrix(rows: 1, columns: 1, elements: [1]), actionSpace: line)
        #expect(outside == [-.infinity])
        #expect(throws: EvaluationError.self) {
            try smoothing.logDensities(actions: Matrix(rows: 1, columns: 1, elements: [1]),
                                       locations: Matrix(rows: 1, columns: 1, elements: [4]), actionSpace: line)
        }
    }

    /// Scott's rule: h_j = σ_j n^{−1/(d+4)} in normalised units, × δ_E/δ_G ≈ 2.214 for Epanechnikov.
    @Test func scottsRule() throws {
        let plane = ActionSpace(names: ["w.a", "w.b"], low: [0, -2], high: [2, 4], baseline: [1, 1])
        // Raw actions (0.5, −2), (1.5, 4), (0.5, 1), (1.5, 1): normalised (−0.5, −1), (0.5, 1), (−0.5, 0), (0.5, 0).
        let actions = Matrix(rows: 4, columns: 2, elements: [0.5, -2, 1.5, 4, 0.5, 1, 1.5, 1])
        let sigma = [(1.0 / 3).squareRoot(), (2.0 / 3).squareRoot()]  // sample standard deviations
        let factor = Elementary.pow(4, -1.0 / 6)
        let gaussian = try KernelSmoothing.scottsRule(kernel: .gaussian, loggedActions: actions, actionSpace: plane)
        assertClose(gaussian.bandwidths, sigma.map { $0 * factor }, relative: 1e-6)
        let epanechnikov = try KernelSmoothing.scottsRule(kernel: .epanechnikov, loggedActions: actions, actionSpace: plane)
        assertClose(epanechnikov.bandwidths, sigma.map { $0 * factor * Elementary.pow(15, 0.2) / Elementary.pow(1 / (2 * Double.pi.squareRoot()), 0.2) },
                    relative: 1e-6)
        let constant = Matrix(rows: 3, columns: 2, elements: [1, 0, 1, 1, 1, 2])
        #expect(throws: EvaluationError.self) { try KernelSmoothing.scottsRule(kernel: .gaussian, loggedActions: constant, actionSpace: plane) }
    }

    /// A deterministic target smoothed by the kernel, with the behaviour uniform on the box: the weights are the
    /// kernel's density over the uniform one, and IPS with them recovers a reward that is constant near the target.
    @Test func smoothedWeightsForADeterministicTarget() throws {
        let line = ActionSpace(names: ["w.click"], low: [-1], high: [3], baseline: [1])
        var stream = RandomStream(seed: 12)
        let n = 4000
        let actions = Matrix(rows: n, columns: 1) { _, _ in Float(-1 + 4 * stream.nextUniform()) }
        let locations = Matrix(rows: n, columns: 1, repeating: 1)
        let smoothing = try KernelSmoothing(kernel: .epanechnikov, bandwidths: [0.25])
        let target = try smoothing.logDensities(actions: actions, locations: locations, actionSpace: line)
        // Reward 1 within the kernel's support (|a − 1| < 0.5 raw), 0 elsewhere: the smoothed value is exactly 1.
        let rewards = (0..<n).map { abs(Double(actions[$0, 0]) - 1) < 0.5 ? 1.0 : 0 }
        let data = try LoggedDecisions(rewards: rewards, episodeOffsets: Array(0...n),
                                       behaviourLogDensities: [Double](repeating: -Elementary.log(4), count: n),
                                       target: .logDensities(target))
        let input = try EvaluationInput(data)
        let ips = try InverseProbabilityWeighting().estimate(input, estimand: .perRequestReward)
        let interval = ips.statistic.tInterval(level: 0.999)
        #expect(interval.contains(1), "\(interval)")
        assertClose(try SelfNormalizedInverseProbabilityWeighting().estimate(input, estimand: .perRequestReward).value, 1,
                    relative: 1e-12)
    }
}

/// `TargetDensities`: a stochastic target gives its own density, a deterministic one the kernel around its action.
@Suite("Target densities")
struct TargetDensitiesTests {
    static let plane = ActionSpace(names: ["w.a", "w.b"], low: [0, -2], high: [2, 4], baseline: [1, 1])

    @Test func stochasticAndDeterministicTargets() throws {
        let states = Matrix(rows: 2, columns: 3, repeating: 0)
        let actions = Matrix(rows: 2, columns: 2, elements: [1, 1, 1.5, 0])
        let gaussian = GaussianPolicy(mean: [1, 1], sigma: 0.3, actionSpace: Self.plane)
        let own = try TargetDensities.logDensities(of: gaussian, states: states, actions: actions, smoothing: nil)
        #expect(own == [gaussian.logDensity(state: [0, 0, 0], action: [1, 1]), gaussian.logDensity(state: [0, 0, 0], action: [1.5, 0])])

        let fixed = FixedPolicy(action: [1, 1], actionSpace: Self.plane)
        #expect(throws: EvaluationError.self) { try TargetDensities.logDensities(of: fixed, states: states, actions: actions, smoothing: nil) }
        let smoothing = try KernelSmoothing(kernel: .gaussian, bandwidths: [0.2, 0.3])
        let smoothed = try TargetDensities.logDensities(of: fixed, states: states, actions: actions, smoothing: smoothing)
        // Row 0 sits at the location, the centre of both normalised dimensions (0, 0): the kernel's peak over the
        // Jacobian log(1 · 3).
        let peak = smoothing.logDensity(normalizedAction: [0, 0], location: [0, 0]) - Elementary.log(3)
        assertClose(smoothed[0], peak, relative: 1e-12)
        assertClose(smoothed[1], smoothing.logDensity(normalizedAction: [0.5, -1.0 / 3], location: [0, 0]) - Elementary.log(3),
                    relative: 1e-6)
    }
}
