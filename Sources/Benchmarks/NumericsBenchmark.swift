import NeuralNet
import Numerics

/// GEMM throughput, MLP forward/backward throughput and random-variate speed, with the OpenBLAS kernels and
/// thread count in use (`mtfsim bench numerics`).
public struct NumericsBenchmark: Sendable {
    /// A GEMM shape `C (M×N) ← A (M×K) · B (K×N)`.
    public struct Shape: Sendable, Equatable {
        public var m: Int, k: Int, n: Int
        public init(m: Int, k: Int, n: Int) {
            self.m = m
            self.k = k
            self.n = n
        }
    }

    /// Seconds of timing per measurement (after a warm-up); random variates get a quarter of it.
    public var seconds: Double
    /// Ranker and policy layers at typical batch sizes, and a single row (sgemv).
    public var gemmShapes: [Shape]
    /// The MLP timed at `mlpBatch` rows: ReLU hidden layers, linear output.
    public var mlpLayers: [Int]
    public var mlpBatch: Int
    /// Draws per timed block of a sampler.
    public var variateBlock: Int

    public static let defaultShapes = [Shape(m: 256, k: 128, n: 256), Shape(m: 1024, k: 64, n: 512),
                                       Shape(m: 64, k: 256, n: 64), Shape(m: 1, k: 128, n: 128)]

    public init(seconds: Double = 0.5, gemmShapes: [Shape] = defaultShapes, mlpLayers: [Int] = [64, 256, 256, 7],
                mlpBatch: Int = 1024, variateBlock: Int = 4096) {
        precondition(seconds > 0 && seconds.isFinite, "NumericsBenchmark: seconds must be positive")
        precondition(mlpLayers.count >= 2 && mlpBatch > 0 && variateBlock > 0, "NumericsBenchmark: empty MLP or block")
        self.seconds = seconds
        self.gemmShapes = gemmShapes
        self.mlpLayers = mlpLayers
        self.mlpBatch = mlpBatch
        self.variateBlock = variateBlock
    }

    public func run() -> NumericsBenchReport {
        NumericsBenchReport(blasCore: BLASRuntime.coreName, blasConfiguration: BLASRuntime.configuration,
                            blasThreads: BLASRuntime.threads, gemm: gemmShapes.map(gemm), mlp: mlp(), random: random())
    }

    /// GFLOP/s of `C ← A·B`, counting `2·M·N·K` flops per product.
    public func gemm(_ shape: Shape) -> NumericsBenchReport.GEMM {
        let (m, k, n) = (shape.m, shape.k, shape.n)
        var stream = RandomStream(seed: 1, keys: UInt64(m), UInt64(k), UInt64(n))
        let a = Matrix(rows: m, columns: k) { _, _ in stream.normalFloat() }
        let b = Matrix(rows: k, columns: n) { _, _ in stream.normalFloat() }
        var c = Matrix(rows: m, columns: n)
        let time = BenchTiming.secondsPerOperation(seconds: seconds) {
            Matrix.multiply(a, b, into: &c)
        }
        blackHole(c)
        return .init(m: m, k: k, n: n, secondsPerProduct: time)
    }

    /// Samples/s of the MLP: inference forward, and a training step (zero gradients, forward, backward of a
    /// constant output gradient).
    public func mlp() -> NumericsBenchReport.MLPThroughput {
        var stream = RandomStream(seed: 2)
        var net = MLP(layerSizes: mlpLayers, hiddenActivation: .relu, outputActivation: .identity,
                      initialization: .he, stream: &stream)
        let input = Matrix(rows: mlpBatch, columns: mlpLayers[0]) { _, _ in stream.normalFloat() }
        let outputGradient = Matrix(rows: mlpBatch, columns: mlpLayers.last!, repeating: 1 / Float(mlpBatch))
        let forward = BenchTiming.secondsPerOperation(seconds: seconds) {
            blackHole(net.forward(input))
        }
        let training = BenchTiming.secondsPerOperation(seconds: seconds) {
            net.zeroGradients()
            _ = net.forward(input)
            blackHole(net.backward(outputGradient))
        }
        let batch = Double(mlpBatch)
        return .init(layers: mlpLayers, batch: mlpBatch,
                     forwardSamplesPerSecond: batch / forward, forwardBackwardSamplesPerSecond: batch / training)
    }

    /// Millions of variates per second for the simulator's hottest samplers.
    public func random() -> [NumericsBenchReport.Variates] {
        let block = variateBlock
        var stream = RandomStream(seed: 3)
        func rate(_ name: String, _ draw: (inout RandomStream) -> Double) -> NumericsBenchReport.Variates {
            let time = BenchTiming.secondsPerOperation(seconds: seconds / 4) {
                var sum = 0.0
                for _ in 0..<block { sum += draw(&stream) }
                blackHole(sum)
            }
            return .init(name: name, millionsPerSecond: Double(block) / time / 1e6)
        }
        let zipf = ZipfDistribution(count: 100_000, exponent: 1.1)
        let alias = AliasTable(weights: (1...1000).map { 1 / Double($0) })
        return [
            rate("uniform") { $0.nextUniform() },
            rate("normal") { $0.normal() },
            rate("normalFloat") { Double($0.normalFloat()) },
            rate("exponential") { $0.exponential(rate: 1) },
            rate("gamma(2)") { $0.gamma(shape: 2, scale: 1) },
            rate("alias(1000)") { Double(alias.sample(&$0)) },
            rate("zipf(1e5, 1.1)") { Double(zipf.sample(&$0)) },
        ]
    }
}

/// What `NumericsBenchmark` measured (`mtfsim bench numerics --json` prints this structure).
public struct NumericsBenchReport: Codable, Sendable {
    public struct GEMM: Codable, Sendable {
        public var m: Int, k: Int, n: Int
        public var gflops: Double
        public var microseconds: Double

        /// The rates of a product of shape (M, K, N) that took `secondsPerProduct`: `2·M·N·K / t` flops per second.
        public init(m: Int, k: Int, n: Int, secondsPerProduct: Double) {
            self.m = m
            self.k = k
            self.n = n
            gflops = Double(BenchTiming.gemmFlops(m: m, k: k, n: n)) / secondsPerProduct / 1e9
            microseconds = secondsPerProduct * 1e6
        }
    }

    public struct MLPThroughput: Codable, Sendable {
        public var layers: [Int]
        public var batch: Int
        public var forwardSamplesPerSecond: Double
        public var forwardBackwardSamplesPerSecond: Double
    }

    public struct Variates: Codable, Sendable {
        public var name: String
        public var millionsPerSecond: Double
    }

    public var blasCore: String
    public var blasConfiguration: String
    public var blasThreads: Int
    public var gemm: [GEMM]
    public var mlp: MLPThroughput
    public var random: [Variates]
}
