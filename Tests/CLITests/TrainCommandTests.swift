import Foundation
import Testing

/// `train` end to end on the tiny preset: the JSON report says how the checkpoint was made, and options that do
/// not apply to the chosen agent are refused.
@Suite struct TrainCommandTests {
    @Test func reportCarriesTheSettingsAndTheActionBox() throws {
        try withTemporaryDirectory { directory in
            let common = ["train", "--env", "tiny", "--seed", "3", "--steps", "1500", "--hidden", "8,8",
                          "--eval-interval", "1500", "--eval-episodes", "4", "--json"]
            let full = try CLI.run(common + ["--agent", "sac", "--out", "full.ckpt"], in: directory)
            try #require(full.succeeded, "\(full)")
            let residual = try CLI.run(common + ["--agent", "sac", "--action-box", "0.5", "--around", "baseline",
                                                 "--discount-half-life-hours", "6", "--target-entropy", "0.5",
                                                 "--out", "residual.ckpt"], in: directory)
            try #require(residual.succeeded, "\(residual)")
            func report(_ result: CLI.Result) throws -> [String: Any] {
                try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
            }
            let (a, b) = (try report(full), try report(residual))
            let settings = try #require(b["configuration"] as? [String: Any])
            #expect(settings["targetEntropy"] as? Double == 0.5)
            #expect(settings["discountHalfLifeHours"] as? Double == 6)
            #expect(settings["discount"] as? Double == 1)
            #expect((a["configuration"] as? [String: Any])?["targetEntropy"] == nil)
            let ddpg = try CLI.run(common + ["--agent", "ddpg", "--action-penalty", "2.5", "--out", "ddpg.ckpt"], in: directory)
            try #require(ddpg.succeeded, "\(ddpg)")
            #expect((try report(ddpg)["configuration"] as? [String: Any])?["actionPenalty"] as? Double == 2.5)

            // The residual box has half the width of the whole box in every dimension that is not clipped at an edge,
            // and lies inside it.
            let whole = try #require(a["actionBox"] as? [String: [Double]])
            let box = try #require(b["actionBox"] as? [String: [Double]])
            let (low, high, wholeLow, wholeHigh) = (box["low"]!, box["high"]!, whole["low"]!, whole["high"]!)
            #expect(low.count == wholeLow.count && high.count == wholeHigh.count && !low.isEmpty)
            for j in low.indices {
                #expect(low[j] >= wholeLow[j] && high[j] <= wholeHigh[j] && low[j] < high[j])
                #expect(high[j] - low[j] <= (wholeHigh[j] - wholeLow[j]) / 2 * (1 + 1e-5))
            }
        }
    }

    @Test func optionsForAnotherAgentAreRefused() throws {
        try withTemporaryDirectory { directory in
            let refused = try CLI.run(["train", "--env", "tiny", "--agent", "td3", "--target-entropy", "0",
                                       "--out", "x.ckpt"], in: directory)
            #expect(refused.status == 64, "\(refused)")
            #expect(refused.stderr.contains("--target-entropy"), "\(refused)")
            let penalised = try CLI.run(["train", "--env", "tiny", "--agent", "sac", "--action-penalty", "1",
                                         "--out", "x.ckpt"], in: directory)
            #expect(penalised.status == 64, "\(penalised)")
            #expect(penalised.stderr.contains("--action-penalty"), "\(penalised)")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.ckpt").path))
        }
    }
}
