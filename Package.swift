// swift-tools-version:6.0
import PackageDescription

/// Compile-time invariant checks (shapes, finiteness) that cost nothing in release builds.
/// Tests build in debug, where they are on.
let internalChecks: [SwiftSetting] = [.define("MTFSIM_INTERNAL_CHECKS", .when(configuration: .debug))]

let package = Package(
    name: "MTFSim",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mtfsim", targets: ["mtfsim"]),
        .library(name: "Numerics", targets: ["Numerics"]),
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
        .library(name: "Simulator", targets: ["Simulator"]),
        .library(name: "Rollout", targets: ["Rollout"]),
        .library(name: "EpisodeLog", targets: ["EpisodeLog"]),
        .library(name: "Ranking", targets: ["Ranking"]),
        .library(name: "Agents", targets: ["Agents"]),
        .library(name: "Benchmarks", targets: ["Benchmarks"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Reporting", targets: ["Reporting"]),
        // The C ABI over the simulator (libMTFSimC.so), which Python's `mtfsim` package loads with ctypes.
        .library(name: "MTFSimC", type: .dynamic, targets: ["MTFSimC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // MARK: C libraries (entered only through these targets)
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),

        // MARK: Library modules (dependencies point downward only)
        .target(
            name: "Numerics",
            dependencies: ["COpenBLAS"],
            swiftSettings: internalChecks,
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]
        ),
        .target(name: "NeuralNet", dependencies: ["Numerics"], swiftSettings: internalChecks),
        .target(
            name: "Simulator",
            dependencies: ["Numerics", .product(name: "Yams", package: "Yams")],
            swiftSettings: internalChecks
        ),
        .target(name: "Ranking", dependencies: ["Numerics", "NeuralNet", "Simulator"], swiftSettings: internalChecks),
        .target(
            name: "Rollout",
            dependencies: ["Numerics", "NeuralNet", "Simulator", "Ranking", "EpisodeLog"],
            swiftSettings: internalChecks
        ),
        .target(name: "Agents", dependencies: ["Numerics", "NeuralNet", "Simulator", "EpisodeLog", "Rollout"], swiftSettings: internalChecks),
        .target(
            name: "Benchmarks",
            dependencies: ["Numerics", "NeuralNet", "Simulator", "Ranking", "Rollout", "EpisodeLog", "Agents", "Evaluation", "Reporting"],
            swiftSettings: internalChecks
        ),
        .target(
            name: "Evaluation",
            dependencies: ["Numerics", "Simulator", "EpisodeLog", "Rollout", "Agents"],
            swiftSettings: internalChecks
        ),
        .target(name: "Reporting", dependencies: ["Numerics", "Simulator", "EpisodeLog"], swiftSettings: internalChecks),
        .target(
            name: "EpisodeLog",
            dependencies: ["Numerics", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: internalChecks
        ),

        // MARK: C ABI (a dynamic library for Python and C callers; declarations in python/mtfsim/include/mtfsim.h)
        .target(name: "MTFSimC", dependencies: ["Numerics", "Simulator", "Rollout", "Agents"], swiftSettings: internalChecks),

        // MARK: Command-line tool (thin: parses, calls the library, prints)
        .executableTarget(
            name: "mtfsim",
            dependencies: [
                "Numerics", "NeuralNet", "Simulator", "Rollout", "Ranking", "EpisodeLog", "Agents", "Benchmarks", "Evaluation", "Reporting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["Numerics", "NeuralNet", "Simulator"], path: "Tests/TestSupport"),
        .testTarget(name: "NumericsTests", dependencies: ["Numerics", "TestSupport"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "TestSupport"]),
        .testTarget(name: "RankingTests", dependencies: ["Ranking", "NeuralNet", "Simulator", "Rollout", "TestSupport"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "TestSupport"]),
        .testTarget(name: "RolloutTests", dependencies: ["Rollout", "Simulator", "EpisodeLog", "Ranking", "Numerics", "TestSupport"]),
        .testTarget(name: "EpisodeLogTests", dependencies: ["EpisodeLog", "TestSupport"]),
        .testTarget(name: "AgentsTests", dependencies: ["Agents", "EpisodeLog", "NeuralNet", "Numerics", "Simulator", "Rollout", "TestSupport"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Agents", "Evaluation", "Numerics", "Simulator", "Ranking", "Rollout", "TestSupport"]),
        .testTarget(
            name: "EvaluationTests",
            dependencies: ["Evaluation", "Numerics", "Simulator", "EpisodeLog", "Rollout", "Agents", "TestSupport"]
        ),
        .testTarget(name: "MTFSimCTests", dependencies: ["MTFSimC", "Rollout", "Simulator", "EpisodeLog", "TestSupport"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "EpisodeLog", "Rollout", "Simulator", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["mtfsim", "EpisodeLog", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
