import Foundation
import Testing

/// Option values that are not one of the option's forms are refused by the parser (exit 64, usage error) with a
/// message naming the option, before any work.
@Suite struct OptionParsingTests {
    func expectUsageError(_ arguments: [String], mentioning words: [String]) throws {
        try withTemporaryDirectory { directory in
            let result = try CLI.run(arguments, in: directory)
            #expect(!result.signalled && result.status == 64, "\(result)")
            for word in words {
                #expect(result.stderr.contains(word), "stderr does not say \"\(word)\": \(result)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.isEmpty,
                    "a refused command left files: \(result)")
        }
    }

    @Test func compareUsersMustBeAPool() throws {
        try expectUsageError(["compare", "--env", "tiny", "--policy", "baseline", "--users", "everyone"],
                             mentioning: ["--users", "everyone", "'all'", "'training'", "'held-out'"])
    }

    @Test func trainRankerArchitectureMustBeKnown() throws {
        try expectUsageError(["train-ranker", "--log", "missing.sqlite", "--arch", "transformer"],
                             mentioning: ["--arch", "transformer", "'mmoe'", "'ple'", "'shared-bottom'", "'esmm'"])
    }

    @Test func layerSizesMustBePositiveIntegers() throws {
        for bad in ["0", "64,a", "", "64,,32", "-8"] {
            try expectUsageError(["train-ranker", "--log", "missing.sqlite", "--expert-layers", bad], mentioning: ["--expert-layers"])
        }
        try expectUsageError(["train-ranker", "--log", "missing.sqlite", "--tower-layers", "32,x"], mentioning: ["--tower-layers", "32,x"])
    }

    @Test func evaluateRankerSplitMustBeAPart() throws {
        try expectUsageError(["evaluate-ranker", "--log", "missing.sqlite", "--ranker", "missing.ckpt", "--split", "holdout"],
                             mentioning: ["--split", "holdout", "'test'", "'all'"])
    }

    @Test func replaySessionIsEpisodeColonSession() throws {
        for bad in ["3", "a:1", "1:2:3", "-1:0"] {
            try expectUsageError(["replay", "missing.sqlite", "--session", bad], mentioning: ["--session"])
        }
    }

    @Test func benchEvaluateCountsArePositive() throws {
        try expectUsageError(["bench", "evaluate", "--env", "tiny", "--steps", "0"], mentioning: ["--steps must be positive, got 0"])
        try expectUsageError(["bench", "evaluate", "--env", "tiny", "--fqe-steps=-3"], mentioning: ["--fqe-steps must be ≥ 0, got -3"])
        try expectUsageError(["bench", "evaluate", "--env", "tiny", "--threads", "0"], mentioning: ["--threads must be positive, got 0"])
        try expectUsageError(["bench", "evaluate", "--steps", "many"], mentioning: ["--steps", "many"])
    }

    @Test func benchEvaluateRefusesALoggingPolicyWithoutDensity() throws {
        try withTemporaryDirectory { directory in
            let result = try CLI.run(["bench", "evaluate", "--env", "tiny", "--policy", "baseline", "--log", "bench.sqlite"],
                                     in: directory)
            #expect(!result.signalled && result.status != 0, "\(result)")
            #expect(result.stderr.contains("--policy baseline: the logging policy must be stochastic with a density"), "\(result)")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("bench.sqlite").path), "\(result)")
        }
    }

    @Test func benchSimulateThreadsArePositive() throws {
        try expectUsageError(["bench", "simulate", "--env", "tiny", "--threads", "1,0"], mentioning: ["--threads", "1,0"])
    }
}
