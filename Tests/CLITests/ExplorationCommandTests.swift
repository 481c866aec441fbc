import EpisodeLog
import Foundation
import Testing

/// `simulate --policy box:0.15@CHECKPOINT` end to end: the log records the spec as given, the parameters with the
/// checkpoint's path and checksum, and for every step the box's exact log-density around the checkpoint's action.
@Suite struct ExplorationCommandTests {
    @Test func boxAroundACheckpointIsLoggedWithItsDensity() throws {
        try withTemporaryDirectory { directory in
            let trained = try CLI.run(["train", "--env", "tiny", "--seed", "3", "--agent", "td3", "--steps", "300",
                                       "--hidden", "8", "--eval-interval", "300", "--eval-episodes", "2",
                                       "--out", "td3.ckpt"], in: directory)
            try #require(trained.succeeded, "\(trained)")
            let spec = "box:0.15@td3.ckpt"
            let simulated = try CLI.run(["simulate", "--env", "tiny", "--seed", "4", "--sessions", "60", "--threads", "2",
                                         "--policy", spec, "--log", "box.sqlite"], in: directory)
            try #require(simulated.succeeded, "\(simulated)")

            let log = try EpisodeLogFile.open(path: directory.appendingPathComponent("box.sqlite").path)
            defer { try? log.close() }
            let run = try LogCheck.onlyRun(log)
            let m = run.metadata
            #expect(m.policySpec == spec)
            let parameters = try #require(try JSONSerialization.jsonObject(with: Data(m.policyParameters.utf8)) as? [String: Any])
            #expect(parameters["kernel"] as? String == "box" && parameters["spec"] as? String == spec)
            let centre = try #require(parameters["centre"] as? [String: Any], "\(m.policyParameters)")
            let file = try Data(contentsOf: directory.appendingPathComponent("td3.ckpt"))
            #expect(centre["path"] as? String == "td3.ckpt" && centre["bytes"] as? Int == file.count)
            #expect((centre["crc32"] as? String)?.count == 8 && centre["updates"] is Int && centre["agent"] as? String == "td3")

            // Every step: uniform-box group, the action inside ±0.15 of its recorded mean (normalised, cut at the
            // faces), and log-density −Σ log(width) − log|J| recomputed from the mean and the logged bounds.
            let (low, high) = (m.actionLow.map(Double.init), m.actionHigh.map(Double.init))
            let logJacobian = zip(low, high).reduce(0.0) { $0 + Foundation.log(($1.1 - $1.0) / 2) }
            func normalised(_ a: Float, _ i: Int) -> Double { 2 * (Double(a) - low[i]) / (high[i] - low[i]) - 1 }
            var steps = 0, worst = 0.0
            var means = Set<[Float]>()
            try log.steps(run: run.id).forEach { batch in
                for keyed in batch {
                    let step = keyed.step
                    steps += 1
                    means.insert(step.behaviourMean)
                    #expect(step.explorationGroup == 2 && step.explorationScale == 0.15)
                    var expected = -logJacobian
                    for i in low.indices {
                        let c = normalised(step.behaviourMean[i], i)
                        let (lo, hi) = (max(-1, c - 0.15), min(1, c + 0.15))
                        let x = normalised(step.action[i], i)
                        #expect(x >= lo - 1e-5 && x <= hi + 1e-5, "dimension \(i): \(x) outside [\(lo), \(hi)]")
                        expected -= Foundation.log(hi - lo)
                    }
                    worst = max(worst, abs(step.logDensity - expected))
                }
            }
            #expect(steps > 100)
            #expect(worst < 1e-4, "logged log-densities differ from the box's by up to \(worst)")
            #expect(means.count > 10, "the checkpoint's action should depend on the state: \(means.count) distinct means")
        }
    }

    @Test func aStochasticCentreIsRefusedInOneLine() throws {
        try withTemporaryDirectory { directory in
            let refused = try CLI.run(["simulate", "--env", "tiny", "--sessions", "10", "--policy", "box:0.1@random",
                                       "--log", "x.sqlite"], in: directory)
            #expect(!refused.succeeded, "\(refused)")
            #expect(refused.stderr.contains("box:0.1@random") && refused.stderr.contains("stochastic"), "\(refused)")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.sqlite").path))
        }
    }
}
