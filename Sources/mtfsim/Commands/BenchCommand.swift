import ArgumentParser

/// `mtfsim bench`: micro-benchmarks of the building blocks, one subcommand per area.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of MTFSim's building blocks.",
        discussion: "Build with `swift build -c release` first: debug builds are many times slower.",
        subcommands: [BenchNumericsCommand.self, BenchSimulateCommand.self, BenchLogCommand.self, BenchReportCommand.self, BenchRankerCommand.self,
                      BenchOfflineCommand.self, BenchEvaluateCommand.self]
    )
}
