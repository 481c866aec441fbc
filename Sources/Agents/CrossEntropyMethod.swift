import Numerics

/// Hyper-parameters of `CrossEntropyMethod`.
public struct CrossEntropyMethodConfiguration: Codable, Sendable, Equatable {
    /// Candidates per iteration.
    public var populationSize: Int = 64
    /// Share of the population kept as elites (at least one).
    public var eliteFraction: Double = 0.2
    public var iterations: Int = 20
    /// σ of the first sampling distribution, normalised units (the box is [−1, 1]).
    public var initialStandardDeviation: Float = 0.5
    /// Standard deviation of the extra noise added to the elite variance, decreasing linearly to 0
    /// over the iterations (Szita & Lőrincz 2006); keeps the search from collapsing early.
    public var extraNoise: Float = 0.05
    /// σ never falls below this.
    public var minimumStandardDeviation: Float = 1e-3
    /// Update rate of mean and σ (1: replace by the elite statistics).
    public var smoothing: Float = 1

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case populationSize, eliteFraction, iterations, initialStandardDeviation, extraNoise, minimumStandardDeviation, smoothing
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        populationSize = try c.decodeIfPresent(Int.self, forKey: .populationSize) ?? populationSize
        eliteFraction = try c.decodeIfPresent(Double.self, forKey: .eliteFraction) ?? eliteFraction
        iterations = try c.decodeIfPresent(Int.self, forKey: .iterations) ?? iterations
        initialStandardDeviation = try c.decodeIfPresent(Float.self, forKey: .initialStandardDeviation) ?? initialStandardDeviation
        extraNoise = try c.decodeIfPresent(Float.self, forKey: .extraNoise) ?? extraNoise
        minimumStandardDeviation = try c.decodeIfPresent(Float.self, forKey: .minimumStandardDeviation) ?? minimumStandardDeviation
        smoothing = try c.decodeIfPresent(Float.self, forKey: .smoothing) ?? smoothing
    }

    public func validate() throws(AgentConfigurationError) {
        func check(_ ok: Bool, _ field: CodingKeys, _ message: String) throws(AgentConfigurationError) {
            if !ok { throw AgentConfigurationError(field: field.rawValue, message: message) }
        }
        try check(populationSize >= 2, .populationSize, "must be at least 2, got \(populationSize)")
        try check(eliteFraction > 0 && eliteFraction <= 1, .eliteFraction, "must be in (0, 1], got \(eliteFraction)")
        try check(iterations >= 1, .iterations, "must be at least 1, got \(iterations)")
        try check(initialStandardDeviation > 0, .initialStandardDeviation, "must be positive, got \(initialStandardDeviation)")
        try check(extraNoise >= 0, .extraNoise, "must be non-negative, got \(extraNoise)")
        try check(minimumStandardDeviation > 0, .minimumStandardDeviation, "must be positive, got \(minimumStandardDeviation)")
        try check(smoothing > 0 && smoothing <= 1, .smoothing, "must be in (0, 1], got \(smoothing)")
    }

    /// Number of elites, `max(1, ⌊ρ·N⌋)`.
    public var eliteCount: Int { max(1, Int(eliteFraction * Double(populationSize))) }
}

/// The cross-entropy method (Rubinstein 1999; de Boer et al. 2005) over a fixed vector in the
/// normalised box [−1, 1]^d, such as a state-free fusion weight vector (the industry's "search
/// the weights offline" baseline): sample a population from N(μ, diag σ²) clipped to the box,
/// evaluate it, refit μ and σ to the best `eliteCount`, with extra noise on the variance
/// (Szita & Lőrincz 2006, "Learning Tetris using the noisy cross-entropy method").
///
/// Use `run(stream:evaluate:)`, or `samplePopulation` and `tell` to evaluate populations in any
/// order or in parallel. Values are "higher is better" (e.g. mean return); NaN counts as −∞.
public struct CrossEntropyMethod: Sendable {
    public let dimension: Int
    public let configuration: CrossEntropyMethodConfiguration
    public private(set) var mean: [Float]
    public private(set) var standardDeviation: [Float]
    /// Iterations told so far.
    public private(set) var iteration = 0
    /// The best candidate evaluated so far and its value (noisy evaluations make this optimistic;
    /// prefer `mean` as the answer).
    public private(set) var best: (candidate: [Float], value: Double)?

    /// Summary of one iteration.
    public struct Iteration: Sendable {
        public var index: Int
        public var meanValue: Double
        public var eliteMeanValue: Double
        public var bestValue: Double
        /// The sampling distribution after the update.
        public var mean: [Float]
        public var standardDeviation: [Float]
    }

    public init(dimension: Int, configuration: CrossEntropyMethodConfiguration = CrossEntropyMethodConfiguration(),
                initialMean: [Float]? = nil) throws(AgentConfigurationError) {
        precondition(dimension > 0, "CrossEntropyMethod: dimension must be positive")
        try configuration.validate()
        if let initialMean {
            precondition(initialMean.count == dimension, "CrossEntropyMethod: initial mean has \(initialMean.count) values for \(dimension) dimensions")
        }
        self.dimension = dimension
        self.configuration = configuration
        mean = (initialMean ?? [Float](repeating: 0, count: dimension)).map { min(max($0, -1), 1) }
        standardDeviation = [Float](repeating: configuration.initialStandardDeviation, count: dimension)
    }

    /// `populationSize` candidates from N(μ, diag σ²), clipped to [−1, 1].
    public func samplePopulation(stream: inout RandomStream) -> [[Float]] {
        (0..<configuration.populationSize).map { _ in
            (0..<dimension).map { j in min(max(mean[j] + standardDeviation[j] * stream.normalFloat(), -1), 1) }
        }
    }

    /// Refits the sampling distribution to the elites of `population` with values `values`.
    @discardableResult
    public mutating func tell(population: [[Float]], values: [Double]) -> Iteration {
        precondition(population.count == values.count && !population.isEmpty, "CrossEntropyMethod.tell: \(population.count) candidates, \(values.count) values")
        let score = values.map { $0.isNaN ? -Double.infinity : $0 }
        let order = score.indices.sorted { score[$0] != score[$1] ? score[$0] > score[$1] : $0 < $1 }
        let elites = order.prefix(min(configuration.eliteCount, population.count))
        let progress = Float(iteration) / Float(configuration.iterations)
        let extra = configuration.extraNoise * max(0, 1 - progress)
        let alpha = configuration.smoothing
        for j in 0..<dimension {
            var m = 0.0
            for e in elites { m += Double(population[e][j]) }
            m /= Double(elites.count)
            var v = 0.0
            for e in elites { v += (Double(population[e][j]) - m) * (Double(population[e][j]) - m) }
            v /= Double(elites.count)
            let sd = max(Float((v + Double(extra * extra)).squareRoot()), configuration.minimumStandardDeviation)
            mean[j] = alpha * Float(m) + (1 - alpha) * mean[j]
            standardDeviation[j] = alpha * sd + (1 - alpha) * standardDeviation[j]
        }
        let top = order[0]
        if best == nil || score[top] > best!.value { best = (population[top], score[top]) }
        iteration += 1
        return Iteration(index: iteration - 1, meanValue: score.reduce(0, +) / Double(score.count),
                         eliteMeanValue: elites.reduce(0) { $0 + score[$1] } / Double(elites.count),
                         bestValue: score[top], mean: mean, standardDeviation: standardDeviation)
    }

    /// One iteration: sample, evaluate the whole population with `evaluate` (one value per candidate), refit.
    @discardableResult
    public mutating func step(stream: inout RandomStream, evaluate: ([[Float]]) throws -> [Double]) rethrows -> Iteration {
        let population = samplePopulation(stream: &stream)
        let values = try evaluate(population)
        return tell(population: population, values: values)
    }

    /// Runs the remaining iterations and returns their summaries; the answer is `mean`.
    @discardableResult
    public mutating func run(stream: inout RandomStream, evaluate: ([[Float]]) throws -> [Double]) rethrows -> [Iteration] {
        var history = [Iteration]()
        while iteration < configuration.iterations { history.append(try step(stream: &stream, evaluate: evaluate)) }
        return history
    }

    /// `run` with a one-candidate evaluation (e.g. the mean return of a fixed action vector).
    @discardableResult
    public mutating func run(stream: inout RandomStream, evaluateEach: ([Float]) throws -> Double) rethrows -> [Iteration] {
        try run(stream: &stream) { try $0.map(evaluateEach) }
    }
}
