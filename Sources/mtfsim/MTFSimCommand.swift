import ArgumentParser
import Numerics

@main
struct MTFSimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mtfsim",
        abstract: "Reinforcement-learning multi-task fusion (RL-MTF) for recommender feeds: simulate, learn, evaluate, replay.",
        discussion: """
        A feed ranks candidates with a multi-task model that predicts click, long view, like, follow, comment, \
        share and hate; a vector of fusion weights turns those predictions into one ranking score. MTFSim simulates \
        calibrated users who react to the fused ranking, logs every episode to SQLite, and compares, replays and \
        (next) learns fusion policies.

        Start with `mtfsim simulate`, then `mtfsim inspect logs/<run>.sqlite`.
        """,
        version: MTFSimVersion.string,
        subcommands: [SimulateCommand.self, CalibrateCommand.self, CompareCommand.self, TrainCommand.self, TrainOfflineCommand.self,
                      BatchRLCommand.self, EvaluateCommand.self, EvaluateBanditCommand.self, TrainRankerCommand.self,
                      EvaluateRankerCommand.self, InspectCommand.self, ReplayCommand.self, ExportCommand.self, ReportCommand.self,
                      BenchCommand.self]
    )

    /// Selects OpenBLAS kernels (re-executing once when `BLASRuntime.needsOverride` names a better core
    /// type) and one BLAS thread, then parses and runs the command as usual (help, version, errors).
    static func main() {
        BLASRuntime.ensureOptimalKernels(arguments: CommandLine.arguments)
        main(nil)
    }
}
