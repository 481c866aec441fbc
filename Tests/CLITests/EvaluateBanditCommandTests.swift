import Foundation
import Testing

/// `evaluate-bandit` end to end: CSV files in, the JSON report out with obp's values; a malformed file refused with
/// its file, line and column and a nonzero exit.
@Suite struct EvaluateBanditCommandTests {
    /// Four rounds, one position each, three actions; a context-free uniform policy, so w = (1/3)/pscore.
    static let logged = """
        round,action,position,reward,pscore
        0,0,0,1,0.5
        1,1,0,0,0.25
        2,2,0,1,0.25
        3,0,0,0,0.5

        """
    static let policy = "action,position,probability\n0,0,0.3333333333\n1,0,0.3333333333\n2,0,0.3333333334\n"

    static func write(_ text: String, _ name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test func jsonReportHasObpsValues() throws {
        try withTemporaryDirectory { directory in
            let logged = try Self.write(Self.logged, "logged.csv", in: directory)
            let policy = try Self.write(Self.policy, "policy.csv", in: directory)
            let arguments = ["evaluate-bandit", "--logged", logged, "--policy", policy, "--reward-model", "tabular",
                             "--estimators", "ips,snips,clipped-ips:1,dm,dr", "--interval", "bootstrap", "--bootstrap", "200",
                             "--seed", "4", "--json"]
            let result = try CLI.run(arguments, in: directory)
            try #require(result.succeeded, "\(result)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
            #expect(report["rows"] as? Int == 4 && report["rounds"] as? Int == 4 && report["policyForm"] as? String == "context-free")
            #expect(report["interval"] as? String == "bootstrap" && report["bootstrapResamples"] as? Int == 200)
            let estimates = try #require(report["estimates"] as? [[String: Any]])
            #expect(estimates.map { $0["estimator"] as? String } == ["IPS", "SNIPS", "clipped IPS(λ=1.0)", "DM", "DR"])
            let values = estimates.map { $0["value"] as? Double ?? .nan }
            // IPS: (1/3)(1/0.5 + 1/0.25) / 4 = 0.5; SNIPS: 6/3 ÷ (2 + 4 + 4 + 2)/3 = 0.5 … within the probabilities' rounding.
            let w = [2.0, 4, 4, 2].map { $0 / 3 }, r = [1.0, 0, 1, 0]
            let ips = zip(w, r).map(*).reduce(0, +) / 4
            #expect(abs(values[0] - ips) < 1e-8, "\(values)")
            #expect(abs(values[1] - zip(w, r).map(*).reduce(0, +) / w.reduce(0, +)) < 1e-8, "\(values)")
            // Every weight is ≥ 2/3; clipped at 1: (2/3 + 1) / 4.
            #expect(abs(values[2] - (2.0 / 3 + 1) / 4) < 1e-8, "\(values)")
            // Tabular q̂ = the cell means: action 0 → 0.5, 1 → 0, 2 → 1; DM = their uniform mean, as is DR (q̂ exact per cell).
            #expect(abs(values[3] - 0.5) < 1e-8 && abs(values[4] - 0.5) < 1e-8, "\(values)")
            let diagnostics = try #require(estimates[0]["diagnostics"] as? [String: Any])
            #expect(abs((diagnostics["largestWeight"] as? Double ?? 0) - 4.0 / 3) < 1e-8)
            #expect(estimates.allSatisfy { ($0["lower"] as? Double ?? .nan) <= ($0["value"] as? Double ?? .nan) })

            // Same seed, same report; the text table.
            #expect(try CLI.run(arguments, in: directory).stdout == result.stdout)
            let text = try CLI.run(["evaluate-bandit", "--logged", logged, "--policy", policy], in: directory)
            try #require(text.succeeded, "\(text)")
            #expect(text.stdout.contains("ESS/n") && text.stdout.contains("SNIPS") && text.stdout.contains("refused DM"), "\(text)")
        }
    }

    @Test func aMalformedFileIsNamedWithItsLineAndColumn() throws {
        try withTemporaryDirectory { directory in
            let bad = try Self.write("round,action,position,reward,pscore\n0,0,0,1,0.5\n1,1,0,1,1.25\n", "bad.csv", in: directory)
            let policy = try Self.write(Self.policy, "policy.csv", in: directory)
            let logged = try Self.write(Self.logged, "logged.csv", in: directory)
            let cases: [(arguments: [String], words: [String])] = [
                (["--logged", bad, "--policy", policy], ["\(bad):3:9:", "pscore 1.25 must lie in (0, 1]"]),
                (["--logged", logged, "--policy", policy, "--reward-model", directory.appendingPathComponent("none.csv").path],
                 ["none.csv:1:1:", "cannot read the file"]),
                (["--logged", logged, "--policy", policy, "--estimators", "dr"], ["DR", "needs a reward model"]),
                (["--logged", logged, "--policy", policy, "--estimators", "ips:2"], ["takes no parameter"]),
            ]
            for (arguments, words) in cases {
                let result = try CLI.run(["evaluate-bandit"] + arguments, in: directory)
                #expect(!result.succeeded && !result.signalled, "\(result)")
                let lines = LogCheck.lines(result.stderr)
                #expect(lines.count == 1 && lines[0].hasPrefix("Error: "), "\(result)")
                for word in words { #expect(result.stderr.contains(word), "\(word): \(result)") }
                #expect(result.stdout.isEmpty, "\(result)")
            }
        }
    }
}
