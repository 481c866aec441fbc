import ArgumentParser
import Foundation
import NeuralNet
import Numerics

/// `mtfsim bench numerics`: GEMM throughput, MLP forward/backward throughput and random-variate speed,
/// with the OpenBLAS kernels and thread count in use.
struct BenchNumericsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numerics",
        abstract: "Float32 GEMM GFLOP/s, MLP samples/s and random variates/s on this machine."
    )

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @Option(name: .long, help: "Seconds of timing per measurement (after a warm-up).")
    var seconds: Double = 0.5

    /// GEMM shapes `(M, K, N)`: ranker and policy layers at typical batch sizes, and a single row (sgemv).
    static let gemmShapes: [(m: Int, k: Int, n: Int)] = [(256, 128, 256), (1024, 64, 512), (64, 256, 64), (1, 128, 128)]
    static let mlpLayers = [64, 256, 256, 7]
    static let mlpBatch = 1024

    func validate() throws {
        guard seconds > 0 && seconds.isFinite else { throw ValidationError("--seconds must be positive, got \(seconds)") }
    }

    func run() throws {
        let report = NumericsBenchReport(
            blasCore: BLASRuntime.coreName,
            blasConfiguration: BLASRuntime.configuration,
            blasThreads: BLASRuntime.threads,
            gemm: Self.gemmShapes.map { benchGEMM(m: $0.m, k: $0.k, n: $0.n) },
            mlp: benchMLP(),
            random: benchRandom()
        )
        if json {
            print(try JSONOutput.encode(report))
        } else {
            print(report.table)
        }
    }

    /// GFLOP/s of `C ← A·B` for `A: M×K`, `B: K×N`, counting `2·M·N·K` flops per product.
    func benchGEMM(m: Int, k: Int, n: Int) -> NumericsBenchReport.GEMM {
        var stream = RandomStream(seed: 1, keys: UInt64(m), UInt64(k), UInt64(n))
        let a = Matrix(rows: m, columns: k) { _, _ in stream.normalFloat() }
        let b = Matrix(rows: k, columns: n) { _, _ in stream.normalFloat() }
        var c = Matrix(rows: m, columns: n)
        let time = BenchTiming.secondsPerOperation(seconds: seconds) {
            Matrix.multiply(a, b, into: &c)
        }
        blackHole(c)
        return .init(m: m, k: k, n: n, gflops: 2 * Double(m * n * k) / time / 1e9, microseconds: time * 1e6)
    }

    /// Samples/s of an MLP 64→256→256→7 (ReLU hidden, linear output) at batch 1024: inference forward,
    /// and a training step (zero gradients, forward, backward of a constant output gradient).
    func benchMLP() -> NumericsBenchReport.MLPThroughput {
        var stream = RandomStream(seed: 2)
        var net = MLP(layerSizes: Self.mlpLayers, hiddenActivation: .relu, outputActivation: .identity,
                      initialization: .he, stream: &stream)
        let input = Matrix(rows: Self.mlpBatch, columns: Self.mlpLayers[0]) { _, _ in stream.normalFloat() }
        let outputGradient = Matrix(rows: Self.mlpBatch, columns: Self.mlpLayers.last!, repeating: 1 / Float(Self.mlpBatch))
        let forward = BenchTiming.secondsPerOperation(seconds: seconds) {
            blackHole(net.forward(input))
        }
        let training = BenchTiming.secondsPerOperation(seconds: seconds) {
            net.zeroGradients()
            _ = net.forward(input)
            blackHole(net.backward(outputGradient))
        }
        let batch = Double(Self.mlpBatch)
        return .init(layers: Self.mlpLayers, batch: Self.mlpBatch,
                     forwardSamplesPerSecond: batch / forward, forwardBackwardSamplesPerSecond: batch / training)
    }

    /// Millions of variates per second for the simulator's hottest samplers (blocks of 4096 draws).
    func benchRandom() -> [NumericsBenchReport.Variates] {
        let block = 4096
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

/// What `mtfsim bench numerics` measured (the JSON form is the same structure).
struct NumericsBenchReport: Codable {
    struct GEMM: Codable {
        var m: Int, k: Int, n: Int
        var gflops: Double
        var microseconds: Double
    }

    struct MLPThroughput: Codable {
        var layers: [Int]
        var batch: Int
        var forwardSamplesPerSecond: Double
        var forwardBackwardSamplesPerSecond: Double
    }

    struct Variates: Codable {
        var name: String
        var millionsPerSecond: Double
    }

    var blasCore: String
    var blasConfiguration: String
    var blasThreads: Int
    var gemm: [GEMM]
    var mlp: MLPThroughput
    var random: [Variates]

    var table: String {
        var lines = [
            "OpenBLAS core \(blasCore), \(blasThreads) thread\(blasThreads == 1 ? "" : "s")",
            "  \(blasConfiguration)",
            "",
            "float32 GEMM C = A·B      GFLOP/s    µs/product",
        ]
        for g in gemm {
            let shape = "(\(g.m), \(g.k), \(g.n))"
            lines.append("  " + pad(shape, 22) + pad(format(g.gflops, 1), 10, right: true)
                         + pad(format(g.microseconds, 2), 14, right: true))
        }
        lines.append("")
        lines.append("MLP \(mlp.layers.map(String.init).joined(separator: "→")), batch \(mlp.batch)   samples/s")
        lines.append("  " + pad("forward", 22) + pad(format(mlp.forwardSamplesPerSecond, 0), 12, right: true))
        lines.append("  " + pad("forward + backward", 22) + pad(format(mlp.forwardBackwardSamplesPerSecond, 0), 12, right: true))
        lines.append("")
        lines.append("random variates           M/s")
        for r in random {
            lines.append("  " + pad(r.name, 22) + pad(format(r.millionsPerSecond, 1), 8, right: true))
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
