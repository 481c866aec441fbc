import ArgumentParser
import Benchmarks
import Foundation

/// `mtfsim bench numerics`: GEMM throughput, MLP forward/backward throughput and random-variate speed,
/// with the OpenBLAS kernels and thread count in use (`NumericsBenchmark`).
struct BenchNumericsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numerics",
        abstract: "Float32 GEMM GFLOP/s, MLP samples/s and random variates/s on this machine."
    )

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @Option(name: .long, help: "Seconds of timing per measurement (after a warm-up).")
    var seconds: Double = 0.5

    func validate() throws {
        guard seconds > 0 && seconds.isFinite else { throw ValidationError("--seconds must be positive, got \(seconds)") }
    }

    func run() throws {
        let report = NumericsBenchmark(seconds: seconds).run()
        if json {
            print(try JSONOutput.encode(report))
        } else {
            print(report.table)
        }
    }
}

extension NumericsBenchReport {
    /// The text form of `bench numerics`.
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
