import NeuralNet
import Numerics

/// Hyper-parameters of `EvolutionStrategies`.
public struct EvolutionStrategiesConfiguration: Codable, Sendable, Equatable {
    /// Antithetic pairs per iteration (population 2 × pairs).
    public var pairs: Int = 16
    /// Perturbation scale σ, normalised units.
    public var sigma: Float = 0.1
    /// Adam step size on the mean.
    public var learningRate: Float = 0.05
    public var iterations: Int = 50

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case pairs, sigma, learningRate, iterations }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Set(CodingKeys.allCases.map(\.rawValue)))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pairs = try c.decodeIfPresent(Int.self, forKey: .pairs) ?? pairs
        sigma = try c.decodeIfPresent(Float.self, forKey: .sigma) ?? sigma
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? learningRate
        iterations = try c.decodeIfPresent(Int.self, forKey: .iterations) ?? iterations
    }

    public func validate() throws(AgentConfigurationError) {
        if pairs < 1 { throw AgentConfigurationError(field: "pairs", message: "must be at least 1, got \(pairs)") }
        if !(sigma > 0) { throw AgentConfigurationError(field: "sigma", message: "must be positive, got \(sigma)") }
        if !(learningRate > 0) { throw AgentConfigurationError(field: "learningRate", message: "must be positive, got \(learningRate)") }
        if iterations < 1 { throw AgentConfigurationError(field: "iterations", message: "must be at least 1, got \(iterations)") }
    }
}

/// State-free evolution strategies over a fixed vector in the normalised box (Salimans et al.
/// 2017, "Evolution Strategies as a Scalable Alternative to Reinforcement Learning", Algorithm 1
/// with antithetic sampling and fitness shaping): per iteration, evaluate `θ ± σε_i` for `pairs`
/// draws `ε_i ~ N(0, I)`, replace the values by centred ranks in [−½, ½], and step θ with Adam
/// along `ĝ = (1/(2nσ)) Σ_i (w⁺_i − w⁻_i) ε_i`. Candidates and θ are clipped to [−1, 1] (the
/// estimate ignores the clipping). Values are "higher is better".
public struct EvolutionStrategies: Sendable {
    public let dimension: Int
    public let configuration: EvolutionStrategiesConfiguration
    private var parameters: FlatParameters
    private var optimizer: Adam
    public private(set) var iteration = 0

    public init(dimension: Int, configuration: EvolutionStrategiesConfiguration = EvolutionStrategiesConfiguration(),
                initialMean: [Float]? = nil) throws(AgentConfigurationError) {
        precondition(dimension > 0, "EvolutionStrategies: dimension must be positive")
        try configuration.validate()
        let start = (initialMean ?? [Float](repeating: 0, count: dimension)).map { min(max($0, -1), 1) }
        precondition(start.count == dimension, "EvolutionStrategies: initial mean has \(start.count) values for \(dimension) dimensions")
        self.dimension = dimension
        self.configuration = configuration
        parameters = FlatParameters(start)
        optimizer = Adam(learningRate: configuration.learningRate)
    }

    /// The current search point θ.
    public var mean: [Float] { parameters.value.value.elements }

    /// Summary of one iteration.
    public struct Iteration: Sendable {
        public var index: Int
        public var meanValue: Double
        public var bestValue: Double
        /// θ after the update.
        public var mean: [Float]
    }

    /// One iteration: `evaluate` receives the `2·pairs` candidates `θ + σε_1, θ − σε_1, θ + σε_2, …`.
    @discardableResult
    public mutating func step(stream: inout RandomStream, evaluate: ([[Float]]) throws -> [Double]) rethrows -> Iteration {
        let (n, d, sigma) = (configuration.pairs, dimension, configuration.sigma)
        let theta = mean
        var noise = [[Float]]()
        var candidates = [[Float]]()
        for _ in 0..<n {
            let e = (0..<d).map { _ in stream.normalFloat() }
            noise.append(e)
            candidates.append((0..<d).map { min(max(theta[$0] + sigma * e[$0], -1), 1) })
            candidates.append((0..<d).map { min(max(theta[$0] - sigma * e[$0], -1), 1) })
        }
        let values = try evaluate(candidates).map { $0.isNaN ? -Double.infinity : $0 }
        precondition(values.count == candidates.count, "EvolutionStrategies: \(values.count) values for \(candidates.count) candidates")
        let ranks = EvolutionStrategies.centredRanks(values)
        var gradient = [Float](repeating: 0, count: d)
        for i in 0..<n {
            let w = Float(ranks[2 * i] - ranks[2 * i + 1])
            for j in 0..<d { gradient[j] -= w * noise[i][j] / (2 * Float(n) * sigma) }  // ascent: minimise −F
        }
        parameters.value.gradient = Matrix(rows: 1, columns: d, elements: gradient)
        optimizer.step(&parameters)
        parameters.value.value.apply { min(max($0, -1), 1) }
        iteration += 1
        return Iteration(index: iteration - 1, meanValue: values.reduce(0, +) / Double(values.count),
                         bestValue: values.max() ?? -.infinity, mean: mean)
    }

    /// Runs the remaining iterations; the answer is `mean`.
    @discardableResult
    public mutating func run(stream: inout RandomStream, evaluate: ([[Float]]) throws -> [Double]) rethrows -> [Iteration] {
        var history = [Iteration]()
        while iteration < configuration.iterations { history.append(try step(stream: &stream, evaluate: evaluate)) }
        return history
    }

    /// Fitness shaping (Salimans et al. 2017, §2.2; Wierstra et al. 2014): ranks scaled to [−½, ½],
    /// ties broken by position.
    public static func centredRanks(_ values: [Double]) -> [Double] {
        guard values.count > 1 else { return values.map { _ in 0 } }
        let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] < values[$1] : $0 < $1 }
        var ranks = [Double](repeating: 0, count: values.count)
        for (rank, i) in order.enumerated() { ranks[i] = Double(rank) / Double(values.count - 1) - 0.5 }
        return ranks
    }
}

/// One `1 × d` parameter, so that a plain vector can use NeuralNet's optimisers.
struct FlatParameters: ParameterStore, Sendable {
    var value: Parameter
    init(_ values: [Float]) { value = Parameter(name: "theta", value: Matrix(rows: 1, columns: values.count, elements: values)) }
    mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows { try body(&value) }
    func forEachParameter(_ body: (Parameter) throws -> Void) rethrows { try body(value) }
}
