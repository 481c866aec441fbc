import Foundation
import Testing

/// `evaluate` end to end on the tiny preset: the JSON report, one-line refusals with a nonzero exit, determinism.
@Suite(.serialized) struct EvaluateCommandTests {
    /// A log of the tiny world (seed 5) under `policy`, in `directory`.
    static func makeLog(in directory: URL, policy: String, name: String) throws -> URL {
        let log = directory.appendingPathComponent(name)
        let result = try CLI.run(["simulate", "--env", "tiny", "--seed", "5", "--sessions", "200", "--threads", "2",
                                  "--policy", policy, "--log", log.path, "--json"], in: directory)
        try #require(result.succeeded, "\(result)")
        return log
    }

    @Test func jsonReportWithTruthAndSelection() throws {
        try withTemporaryDirectory { directory in
            let log = try Self.makeLog(in: directory, policy: "mixture", name: "mixture.sqlite")
            let arguments = ["evaluate", log.path, "--policy", "mixture", "--policy", "baseline", "--estimand", "per-request",
                             "--estimators", "ips,snips,dm,dr", "--truth", "200", "--interval", "bootstrap", "--bootstrap", "200",
                             "--seed", "3", "--threads", "2", "--json"]
            let result = try CLI.run(arguments, in: directory)
            try #require(result.succeeded, "\(result)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
            #expect(report["estimand"] as? String == "perRequestReward" && report["interval"] as? String == "bootstrap")
            let policies = try #require(report["policies"] as? [[String: Any]])
            #expect(policies.count == 2)
            for policy in policies {
                let estimates = try #require(policy["estimates"] as? [[String: Any]])
                #expect(estimates.map { $0["estimator"] as? String } == ["IPS", "SNIPS", "DM", "DR"])
                #expect(estimates.allSatisfy { $0["value"] as? Double != nil && $0["error"] as? Double != nil })
                #expect((policy["truth"] as? [String: Any])?["value"] as? Double != nil)
            }
            #expect((policies[1]["smoothing"] as? [String: Any])?["rule"] as? String == "Scott's rule")
            let ips = try #require((policies[1]["estimates"] as? [[String: Any]])?.first?["diagnostics"] as? [String: Any])
            #expect(ips["effectiveSampleSize"] as? Double != nil && ips["largestWeight"] as? Double != nil)
            let selection = try #require(report["selection"] as? [[String: Any]])
            #expect(selection.count == 4 && selection.allSatisfy { $0["spearman"] != nil && $0["safeChoice"] as? Int != nil })
            #expect((report["truth"] as? [String: Any])?["seed"] as? Int == 6)

            // Same seed, same report.
            let again = try CLI.run(arguments, in: directory)
            #expect(again.succeeded && again.stdout == result.stdout)

            // Text mode: the table.
            let text = try CLI.run(["evaluate", log.path, "--policy", "baseline", "--estimand", "per-request", "--threads", "2"],
                                   in: directory)
            try #require(text.succeeded, "\(text)")
            #expect(text.stdout.contains("ESS/n") && text.stdout.contains("Scott's rule") && text.stdout.contains("SNIPS"), "\(text)")

            // The truth on the logged users: the log's episodes again, twice, the interval over the two.
            let replicated = try CLI.run(["evaluate", log.path, "--policy", "baseline", "--estimators", "pdis",
                                          "--truth-replicates", "2", "--threads", "2", "--json"], in: directory)
            try #require(replicated.succeeded, "\(replicated)")
            let r = try #require(try JSONSerialization.jsonObject(with: Data(replicated.stdout.utf8)) as? [String: Any])
            #expect((r["truth"] as? [String: Any])?["replicates"] as? Int == 2 && (r["truth"] as? [String: Any])?["sessions"] == nil)
            let truth = try #require(((r["policies"] as? [[String: Any]])?.first)?["truth"] as? [String: Any])
            let values = try #require(truth["replicateValues"] as? [Double])
            #expect(values.count == 2 && truth["episodes"] as? Int == r["episodes"] as? Int)
            #expect(abs((truth["value"] as? Double ?? .nan) - (values[0] + values[1]) / 2) < 1e-9)
        }
    }

    @Test func refusalsAreOneLineWithANonzeroExit() throws {
        try withTemporaryDirectory { directory in
            let mixture = try Self.makeLog(in: directory, policy: "mixture", name: "mixture.sqlite")
            let baseline = try Self.makeLog(in: directory, policy: "baseline", name: "baseline.sqlite")
            let notes = directory.appendingPathComponent("notes.txt")
            try Data("These are notes, not an episode log.\n".utf8).write(to: notes)
            let cases: [(arguments: [String], words: [String])] = [
                ([baseline.path, "--policy", "baseline", "--estimand", "per-request", "--estimators", "ips"],
                 ["IPS", "no behaviour density"]),
                ([notes.path, "--policy", "baseline"], [notes.path]),
                ([mixture.path, "--policy", "baseline", "--estimators", "ips,magic", "--estimand", "per-request"],
                 ["unknown estimator", "magic"]),
                ([mixture.path, "--policy", "fixed:1,2"], ["target policy fixed:1,2"]),
                ([mixture.path, "--policy", "baseline", "--run", "4"], ["no run 4"]),
                ([mixture.path], ["--policy"]),
                ([baseline.path, "--policy", "baseline", "--estimand", "discounted", "--estimators", "pdis"],
                 ["PDIS", "no behaviour density"]),
                ([mixture.path, "--policy", "mixture", "--estimand", "per-request", "--estimators", "fqe"],
                 ["FQE does not estimate perRequestReward"]),
                ([mixture.path, "--policy", "mixture", "--estimand", "per-request", "--with-fqe"], ["--with-fqe", "per-request"]),
                ([mixture.path, "--policy", "mixture", "--estimand", "discounted", "--estimators", "fqe", "--fqe-hidden", "8,0"],
                 ["--fqe-hidden", "\"8,0\""]),
                ([mixture.path, "--policy", "mixture", "--estimand", "discounted", "--estimators", "fqe", "--fqe-hidden", "64,,64"],
                 ["--fqe-hidden", "\"64,,64\""]),
            ]
            for (arguments, words) in cases {
                let result = try CLI.run(["evaluate"] + arguments, in: directory)
                #expect(!result.succeeded && !result.signalled, "\(result)")
                // One error line, the last (progress lines may come before it); a usage mistake adds the usage.
                let lines = LogCheck.lines(result.stderr)
                #expect(lines.filter { $0.hasPrefix("Error:") }.count == 1, "\(result)")
                #expect(lines.last?.hasPrefix("Error:") == true || arguments.count == 1, "\(result)")
                for word in words { #expect(result.stderr.contains(word), "\(word): \(result)") }
            }
            // A log of a deterministic policy still gives DM.
            let dm = try CLI.run(["evaluate", baseline.path, "--policy", "baseline", "--estimand", "per-request",
                                  "--estimators", "dm", "--json"], in: directory)
            #expect(dm.succeeded, "\(dm)")
            // And FQE, which needs no weights either.
            let fqe = try CLI.run(["evaluate", baseline.path, "--policy", "baseline", "--estimand", "discounted",
                                   "--estimators", "fqe", "--fqe-steps", "300", "--fqe-hidden", "16,16", "--json"], in: directory)
            try #require(fqe.succeeded, "\(fqe)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(fqe.stdout.utf8)) as? [String: Any])
            let estimates = try #require((report["policies"] as? [[String: Any]])?.first?["estimates"] as? [[String: Any]])
            #expect(estimates.map { $0["estimator"] as? String } == ["FQE"] && (estimates[0]["value"] as? Double)?.isFinite == true)
        }
    }

    @Test func fqeAndTheSequentialModelBasedEstimatorsGiveFiniteRows() throws {
        try withTemporaryDirectory { directory in
            let log = try Self.makeLog(in: directory, policy: "mixture", name: "mixture.sqlite")
            let arguments = ["evaluate", log.path, "--policy", "baseline", "--estimand", "discounted",
                             "--estimators", "fqe,conservative-fqe,sequential-dr,wdr,pdis,mwl", "--fqe-steps", "300",
                             "--fqe-hidden", "16,16", "--fqe-alpha", "0.01", "--seed", "4", "--json"]
            let result = try CLI.run(arguments, in: directory)
            try #require(result.succeeded, "\(result)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
            let estimates = try #require((report["policies"] as? [[String: Any]])?.first?["estimates"] as? [[String: Any]])
            #expect(estimates.map { $0["estimator"] as? String } == ["FQE", "conservative FQE", "sequential DR", "WDR", "PDIS", "MWL"])
            for row in estimates {
                let (value, lower, upper) = (row["value"] as? Double, row["lower"] as? Double, row["upper"] as? Double)
                #expect(value?.isFinite == true && lower! <= value! && value! <= upper!, "\(row)")
            }
            // Sequential DR and WDR weight, FQE does not.
            #expect(estimates[0]["diagnostics"] == nil && estimates[2]["diagnostics"] as? [String: Any] != nil)
            let models = try #require(report["valueModels"] as? [String])
            #expect(models.count == 2 && models[0].contains("300 Adam steps") && models[1].contains("α = 0.01"), "\(models)")

            // Text mode names the value model; --with-fqe adds fqe, sequential-dr and wdr to the default list.
            let text = try CLI.run(["evaluate", log.path, "--policy", "baseline", "--estimand", "discounted", "--with-fqe",
                                    "--fqe-steps", "200", "--fqe-hidden", "8"], in: directory)
            try #require(text.succeeded, "\(text)")
            #expect(text.stdout.contains("value model: FQE (Le et al. 2019)") && text.stdout.contains("WDR")
                    && text.stdout.contains("sequential DR") && !text.stdout.contains("conservative"), "\(text)")
        }
    }
}
