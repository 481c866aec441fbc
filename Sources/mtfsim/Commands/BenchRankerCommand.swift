import ArgumentParser
import Foundation
import NeuralNet
import Numerics
import Ranking

/// `mtfsim bench ranker`: training and scoring throughput of issue 5's reference MMoE.
struct BenchRankerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ranker",
        abstract: "Samples/s of the reference MMoE: training (forward + backward + Adam) and scoring.",
        discussion: """
        The reference network: input 128, 8 experts 128→256→128 (ReLU), one softmax gate per task (128→8), \\
        towers 128→64→1, 7 binary tasks with BCE, batch 1024 (the same network in PyTorch on this CPU: roughly \\
        5–10k training and 15–37k scoring samples/s). BLAS threads follow OPENBLAS_NUM_THREADS (default 1).
        """
    )

    @Option(help: "Seconds of timing per measurement (after a warm-up).")
    var seconds: Double = 2

    @Option(help: "Mini-batch size.")
    var batch = 1024

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard seconds > 0, batch > 0 else { throw ValidationError("--seconds and --batch must be positive") }
    }

    func run() throws {
        var stream = RandomStream(seed: 5)
        let configuration = MMoE.Configuration.reference
        var network = MMoE(configuration: configuration, stream: &stream)
        let tasks = (0..<configuration.taskCount).map { TaskSpec(name: "task\($0)") }
        var loss = MultiTaskLoss(tasks: tasks)
        var adam = Adam(learningRate: 1e-3)
        let input = Matrix(rows: batch, columns: configuration.inputSize) { _, _ in stream.normalFloat() }
        let targets = Matrix(rows: batch, columns: configuration.taskCount) { _, _ in stream.nextUniform() < 0.3 ? 1 : 0 }
        var logits = Matrix(rows: 0, columns: 0), gradient = Matrix(rows: 0, columns: 0)
        let train = BenchTiming.secondsPerOperation(seconds: seconds, blocks: 5, warmup: 0.3) {
            network.zeroGradients()
            network.forward(input, into: &logits)
            _ = loss.evaluate(outputs: logits, targets: targets, gradient: &gradient)
            network.backward(gradient, computeInputGradient: false)
            adam.step(&network)
        }
        let score = BenchTiming.secondsPerOperation(seconds: seconds, blocks: 5, warmup: 0.3) {
            network.forward(input, into: &logits)
        }
        blackHole(logits)
        let report = RankerBenchReport(parameters: network.parameterCount, batch: batch, blasCore: BLASRuntime.coreName,
                                       blasThreads: BLASRuntime.threads,
                                       trainingSamplesPerSecond: Double(batch) / train, scoringSamplesPerSecond: Double(batch) / score,
                                       trainingStepMilliseconds: train * 1000, scoringMilliseconds: score * 1000)
        if json {
            print(try JSONOutput.encode(report))
        } else {
            print("reference MMoE: \(report.parameters) parameters, batch \(batch), OpenBLAS \(report.blasCore) × \(report.blasThreads) thread(s)")
            print(String(format: "training: %.0f samples/s (%.1f ms per step: forward + backward + Adam)", report.trainingSamplesPerSecond, report.trainingStepMilliseconds))
            print(String(format: "scoring:  %.0f samples/s (%.1f ms per batch)", report.scoringSamplesPerSecond, report.scoringMilliseconds))
        }
    }
}

struct RankerBenchReport: Encodable {
    var parameters: Int
    var batch: Int
    var blasCore: String
    var blasThreads: Int
    var trainingSamplesPerSecond: Double
    var scoringSamplesPerSecond: Double
    var trainingStepMilliseconds: Double
    var scoringMilliseconds: Double
}
