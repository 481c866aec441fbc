import Evaluation
import Foundation
import Testing
import TestSupport

/// Logged bandit feedback from CSV files (`mtfsim evaluate-bandit`): every per-request estimator against obp
/// 0.5.7's formulas on a hand-made case with 3 actions × 2 positions, computed here from the arrays obp would hold
/// (`action_dist[i, :, position_i]`, `estimated_rewards_by_reg_model[i, :, position_i]`); the tabular model; the two
/// policy forms; settable λ; and the refusals, each naming file, line and column.
@Suite("Bandit feedback")
struct BanditFeedbackTests {
    // Six logged rows in four rounds (rounds 0 and 1 log both positions), in (round, position) order.
    static let round = [0, 0, 1, 1, 2, 3]
    static let action = [0, 1, 2, 0, 1, 2]
    static let position = [0, 1, 0, 1, 0, 1]
    static let reward = [1.0, 0, 1, 1, 0, 1]
    static let pscore = [0.5, 0.25, 0.2, 0.4, 0.5, 0.8]
    /// π_e(· | x_i, position_i) over actions 0, 1, 2 (obp's action_dist[i, :, position_i]).
    static let pi: [[Double]] = [[0.6, 0.3, 0.1], [0.1, 0.7, 0.2], [0.2, 0.2, 0.6], [0.5, 0, 0.5], [0.3, 0.3, 0.4], [0.25, 0.25, 0.5]]
    /// q̂(x_i, ·, position_i) over actions 0, 1, 2.
    static let q: [[Double]] = [[0.8, 0.4, 0.3], [0.5, 0.2, 0.6], [0.3, 0.5, 0.7], [0.9, 0.1, 0.4], [0.2, 0.3, 0.1], [0.6, 0.6, 0.9]]

    /// The logged file, rows shuffled and columns reordered (both are free), with a context column.
    static func loggedCSV() -> String {
        var lines = ["pscore,reward,x,position,action,round"]
        for i in [3, 0, 5, 1, 4, 2] {
            lines.append("\(pscore[i]),\(reward[i]),\(Double(i) / 10),\(position[i]),\(action[i]),\(round[i])")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func perRoundPolicyCSV() -> String {
        var lines = ["round,action,position,probability"]
        for i in 0..<6 { for a in 0..<3 { lines.append("\(round[i]),\(a),\(position[i]),\(pi[i][a])") } }
        return lines.joined(separator: "\n") + "\n"
    }

    static func rewardModelCSV() -> String {
        var lines = ["round,action,position,estimate"]
        for i in 0..<6 { for a in 0..<3 { lines.append("\(round[i]),\(a),\(position[i]),\(q[i][a])") } }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// obp's estimators, from the arrays: iw = π_e(a_i)/pscore_i, q̂ factual and v̂ = Σ_a π_e(a) q̂(a).
    enum Obp {
        static let n = 6
        static var iw: [Double] { (0..<n).map { pi[$0][action[$0]] / pscore[$0] } }
        static var qFactual: [Double] { (0..<n).map { q[$0][action[$0]] } }
        static var qPolicy: [Double] { (0..<n).map { i in (0..<3).reduce(0) { $0 + pi[i][$1] * q[i][$1] } } }
        static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
        static func dr(_ shrink: (Double) -> Double) -> Double {
            mean((0..<n).map { qPolicy[$0] + shrink(iw[$0]) * (reward[$0] - qFactual[$0]) })
        }

        static func value(_ name: String) -> Double {
            switch name {
            case "ips": return mean((0..<n).map { iw[$0] * reward[$0] })
            case "snips": return mean((0..<n).map { iw[$0] * reward[$0] }) / mean(iw)
            case "clipped-ips:1.5": return mean((0..<n).map { min(iw[$0], 1.5) * reward[$0] })
            case "sg-ips:0.3": return mean((0..<n).map { iw[$0] / (1 - 0.3 + 0.3 * iw[$0]) * reward[$0] })
            case "dm": return mean(qPolicy)
            case "dr": return dr { $0 }
            case "sndr": return mean((0..<n).map { qPolicy[$0] + iw[$0] * (reward[$0] - qFactual[$0]) / mean(iw) })
            case "switch-dr:2": return dr { $0 <= 2 ? $0 : 0 }
            case "dr-os:1": return dr { 1 * $0 / ($0 * $0 + 1) }
            default: fatalError(name)
            }
        }
    }

    static let estimatorNames = ["ips", "snips", "clipped-ips:1.5", "sg-ips:0.3", "dm", "dr", "sndr", "switch-dr:2", "dr-os:1"]

    /// Files in a fresh directory; `body` gets their paths by name.
    static func withFiles<T>(_ files: [String: String], _ body: ([String: String]) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mtfsim-bandit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String: String] = [:]
        for (name, text) in files {
            let url = directory.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            paths[name] = url.path
        }
        return try body(paths)
    }

    static func report(_ paths: [String: String], policy: String = "policy.csv", model: BanditEvaluation.RewardModelSource? = nil,
                       estimators: [String]? = estimatorNames) throws -> BanditEvaluationReport {
        var settings = BanditEvaluation.Settings(logged: paths["logged.csv"]!, policy: paths[policy]!)
        settings.rewardModel = model ?? .file(paths["model.csv"]!)
        settings.estimators = estimators
        return try BanditEvaluation(settings: settings).run()
    }

    @Test func everyEstimatorEqualsObpsFormula() throws {
        // The weights, worked by hand: [1.2, 2.8, 3, 1.25, 0.6, 0.625]; λ = 1.5, 2 and 1 each change some.
        assertClose(Obp.iw, [1.2, 2.8, 3, 1.25, 0.6, 0.625], relative: 1e-14)
        try Self.withFiles(["logged.csv": Self.loggedCSV(), "policy.csv": Self.perRoundPolicyCSV(), "model.csv": Self.rewardModelCSV()]) { paths in
            let report = try Self.report(paths)
            #expect(report.rows == 6 && report.rounds == 4 && report.actions == 3 && report.positions == [0, 1])
            #expect(report.policyForm == .perRound && report.contextColumns == ["x"] && report.refusals.isEmpty)
            #expect(report.estimates.map(\.estimator) == ["IPS", "SNIPS", "clipped IPS(λ=1.5)", "SG-IPS(λ=0.3)", "DM", "DR", "SNDR",
                                                          "Switch-DR(λ=2.0)", "DR-OS(λ=1.0)"])
            for (name, estimate) in zip(Self.estimatorNames, report.estimates) {
                assertClose(estimate.value, Obp.value(name), relative: 1e-13, name)
                #expect(estimate.lower < estimate.value && estimate.value < estimate.upper, "\(name)")
            }
            // The largest weight is π_e/pscore of row 2: 0.6/0.2.
            assertClose(try #require(report.estimates[0].diagnostics).largestWeight, 3, relative: 1e-14)
            assertClose(report.loggedMeanReward, 4.0 / 6, relative: 1e-14)
        }
    }

    /// The round is the unit of intervals: rows of one round are one episode.
    @Test func roundsAreTheEpisodes() throws {
        try Self.withFiles(["logged.csv": Self.loggedCSV(), "policy.csv": Self.perRoundPolicyCSV()]) { paths in
            let feedback = try BanditFeedback.read(path: paths["logged.csv"]!)
            let decisions = try feedback.decisions(policy: try BanditPolicy.read(path: paths["policy.csv"]!))
            #expect(decisions.episodeOffsets == [0, 2, 4, 5, 6])
            #expect(feedback.rows.map(\.round) == Self.round && feedback.rows.map(\.action) == Self.action)
            #expect(decisions.rewardModel == nil)
        }
    }

    @Test func tabularModelIsTheCellMeanAndTheOverallMeanElsewhere() throws {
        let rows = [BanditFeedback.Row(round: 0, action: 0, position: 0, reward: 1, pscore: 0.5),
                    BanditFeedback.Row(round: 1, action: 0, position: 0, reward: 0, pscore: 0.5),
                    BanditFeedback.Row(round: 2, action: 0, position: 0, reward: 1, pscore: 0.5),
                    BanditFeedback.Row(round: 2, action: 1, position: 1, reward: 3, pscore: 0.5),
                    BanditFeedback.Row(round: 3, action: 2, position: 0, reward: 5, pscore: 0.5)]
        let model = TabularRewardModel(try BanditFeedback(file: "rows", rows: rows), actions: [0, 1, 2])
        assertClose(try #require(model.estimate(round: 9, action: 0, position: 0)), 2.0 / 3, relative: 1e-14)
        #expect(model.estimate(round: 0, action: 1, position: 1) == 3)
        #expect(model.estimate(round: 0, action: 2, position: 0) == 5)
        // Empty cells: the mean of all five rewards.
        #expect(model.estimate(round: 0, action: 1, position: 0) == 2)
        #expect(model.estimate(round: 0, action: 2, position: 1) == 2)
        #expect(model.estimate(round: 0, action: 3, position: 0) == nil)
        #expect(model.cells[BanditKey(round: -1, action: 0, position: 0)]?.count == 3)
    }

    /// DM with the tabular model and a context-free policy is Σ_a π_e(a|pos) q̂(a, pos) averaged over rows.
    @Test func contextFreeAndPerRoundPoliciesAgreeWhenEquivalent() throws {
        let byPosition: [[Double]] = [[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]]
        var contextFree = ["action,position,probability"], perRound = ["round,action,position,probability"]
        for p in 0..<2 { for a in 0..<3 { contextFree.append("\(a),\(p),\(byPosition[p][a])") } }
        // Rows for rounds that were not logged are allowed; every logged (round, position) is listed.
        for (r, p) in zip(Self.round + [7], Self.position + [0]) {
            for a in 0..<3 { perRound.append("\(r),\(a),\(p),\(byPosition[p][a])") }
        }
        let files = ["logged.csv": Self.loggedCSV(), "free.csv": contextFree.joined(separator: "\n"),
                     "rows.csv": perRound.joined(separator: "\n") + "\n"]
        try Self.withFiles(files) { paths in
            let free = try Self.report(paths, policy: "free.csv", model: .tabular)
            let rows = try Self.report(paths, policy: "rows.csv", model: .tabular)
            #expect(free.policyForm == .contextFree && rows.policyForm == .perRound)
            for (a, b) in zip(free.estimates, rows.estimates) {
                #expect(a.estimator == b.estimator)
                assertClose(a.value, b.value, relative: 1e-14, a.estimator)
                assertClose([a.lower, a.upper], [b.lower, b.upper], relative: 1e-12, a.estimator)
            }
            // Every (action, position) cell is logged once, so q̂ = the cell's reward and v̂ = Σ_a π_e(a|pos) q̂(a, pos).
            let qHat: [[Double]] = [[1, 0, 1], [1, 0, 1]]  // [position][action]
            let v = (0..<6).map { i in (0..<3).reduce(0.0) { $0 + byPosition[Self.position[i]][$1] * qHat[Self.position[i]][$1] } }
            assertClose(try #require(free.estimates.first { $0.estimator == "DM" }).value, v.reduce(0, +) / 6, relative: 1e-14)
        }
    }

    @Test func lambdaIsSettable() throws {
        try Self.withFiles(["logged.csv": Self.loggedCSV(), "policy.csv": Self.perRoundPolicyCSV(), "model.csv": Self.rewardModelCSV()]) { paths in
            let report = try Self.report(paths, estimators: ["clipped-ips", "clipped-ips:0.5", "clipped-ips:1.5", "ips"])
            let values = report.estimates.map(\.value)
            // The default λ = 100 clips nothing here: IPS. λ = 0.5 clips every weight (all ≥ 0.6): 0.5 × mean reward.
            assertClose(values[0], values[3], relative: 1e-14)
            assertClose(values[1], 0.5 * 4 / 6, relative: 1e-14)
            assertClose(values[2], Obp.value("clipped-ips:1.5"), relative: 1e-14)
            #expect(values[1] < values[2] && values[2] < values[3])
        }
    }

    @Test func withoutARewardModelTheModelBasedEstimatorsAreRefused() throws {
        try Self.withFiles(["logged.csv": Self.loggedCSV(), "policy.csv": Self.perRoundPolicyCSV()]) { paths in
            let report = try Self.report(paths, model: BanditEvaluation.RewardModelSource.none, estimators: nil)
            #expect(report.estimates.map(\.estimator) == ["IPS", "SNIPS", "clipped IPS(λ=100.0)", "SG-IPS(λ=0.1)"])
            #expect(report.refusals.map(\.estimator) == ["DM", "DR", "SNDR", "Switch-DR(λ=100.0)", "DR-OS(λ=100.0)"])
            #expect(report.refusals.allSatisfy { $0.reason.contains("needs a reward model") && $0.reason.contains("--reward-model") })
            // Named explicitly: the evaluation fails with one line.
            let message = Self.failure { _ = try Self.report(paths, model: BanditEvaluation.RewardModelSource.none, estimators: ["ips", "dr"]) }
            #expect(message.contains("DR") && message.contains("needs a reward model") && !message.contains("\n"), "\(message)")
            let sequential = Self.failure { _ = try Self.report(paths, model: .tabular, estimators: ["pdis"]) }
            #expect(sequential.contains("sequential") && sequential.contains("per-request"), "\(sequential)")
        }
    }

    static func failure(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    /// A malformed input: the file replaced and its text, and the place and words of the refusal.
    struct Malformed: Sendable, CustomTestStringConvertible {
        var file: String
        var text: String
        /// The file the refusal names (the logged file for what is missing at a logged row).
        var named: String
        var line: Int
        var column: Int
        var words: String
        var testDescription: String { "\(file): \(words)" }

        init(_ file: String, _ text: String, named: String? = nil, _ line: Int, _ column: Int, _ words: String) {
            (self.file, self.text, self.named, self.line, self.column, self.words) = (file, text, named ?? file, line, column, words)
        }
    }

    static let header = "round,action,position,reward,pscore\n"

    /// Each malformed input is refused with `FILE:LINE:COLUMN: message`.
    @Test(arguments: [
        Malformed("logged.csv", header + "0,0,0,1,0.5\n1,0,0,1\n", 3, 8, "4 field(s), but the header has 5"),
        Malformed("logged.csv", header + "0,0,0,1,0.5\n1,0,0,1,0.5,9\n", 3, 13, "6 field(s)"),
        Malformed("logged.csv", header + "0,0,0,1,0.5\n1,0,0,x,0.5\n", 3, 7, "reward \"x\" is not a finite number"),
        Malformed("logged.csv", header + "0,0,0,1,0.5\n1,0,0,1,0\n", 3, 9, "pscore 0 must lie in (0, 1]"),
        Malformed("logged.csv", header + "0,0,0,1,1.5\n", 2, 9, "pscore 1.5 must lie in (0, 1]"),
        Malformed("logged.csv", header + "-1,0,0,1,0.5\n", 2, 1, "round -1 is negative"),
        Malformed("logged.csv", header + "0,0,0,1,0.5\n1,0,0,1,0.5\n0,1,0,0,0.5\n", 4, 1, "round 0, position 0 is logged twice (lines 2 and 4)"),
        Malformed("logged.csv", "reward,pscore,round,action,position\n1,0.5,0,7,0\n", 2, 9, "action 7 is not among the actions of the policy file"),
        Malformed("logged.csv", header + "0,1.5,0,1,0.5\n", 2, 3, "action \"1.5\" is not an integer"),
        Malformed("logged.csv", "round,action,reward,pscore\n0,0,1,0.5\n", 1, 1, "no column \"position\""),
        Malformed("logged.csv", header + "0,0,0,\"1,0.5\n", 2, 7, "the quote opened here is never closed"),
        Malformed("logged.csv", header + "0,0,9,1,0.5\n", 2, 3, "has no probability for action 0 at round 0, position 9"),
        Malformed("logged.csv", header, 2, 1, "no logged row"),
        Malformed("logged.csv", "", 1, 1, "the file is empty; a header row naming the columns is required"),
        Malformed("logged.csv", "round,action,,reward,pscore\n", 1, 14, "column 3 of the header has no name"),
        Malformed("policy.csv", "round,action,position,probability\n0,0,0,0.5\n0,1,0,0.4\n0,2,0,0.05\n", 2, 7, "sum to 0.95 over actions 0, 1, 2"),
        Malformed("policy.csv", "action,position,probability\n0,0,1.2\n", 2, 5, "probability 1.2 must lie in [0, 1]"),
        Malformed("policy.csv", "action,position,probability\n0,0,0.5\n0,0,0.5\n", 3, 1, "action 0 at position 0 is listed twice (lines 2 and 3)"),
        Malformed("policy.csv", "action,position,probability,note\n0,0,1,a\n", 1, 29, "unexpected column \"note\""),
        Malformed("model.csv", "round,action,position,estimate\n0,0,0,0.5\n0,5,0,0.5\n", 3, 3, "action 5 is not among the actions of the policy file"),
        Malformed("model.csv", "round,action,position,estimate\n0,0,0,0.5\n0,1,0,nan\n", 3, 7, "estimate \"nan\" is not a finite number"),
        Malformed("model.csv", "round,action,position,estimate\n0,0,0,0.5\n0,1,0,0.5\n", named: "logged.csv", 2, 3,
                  "the reward model file"),
    ])
    func malformedInputNamesFileLineAndColumn(_ c: Malformed) throws {
        // Around the broken file: a logged row (0, 0, 0), a policy over actions 0–2 in rounds 0 and 1, and q̂ of round 0.
        var files = ["logged.csv": Self.header + "0,0,0,1,0.5\n",
                     "policy.csv": "round,action,position,probability\n0,0,0,0.5\n0,1,0,0.3\n0,2,0,0.2\n1,0,0,1\n",
                     "model.csv": "round,action,position,estimate\n0,0,0,0.5\n0,1,0,0.5\n0,2,0,0.5\n"]
        files[c.file] = c.text
        try Self.withFiles(files) { paths in
            var settings = BanditEvaluation.Settings(logged: paths["logged.csv"]!, policy: paths["policy.csv"]!)
            settings.rewardModel = .file(paths["model.csv"]!)
            do {
                _ = try BanditEvaluation(settings: settings).run()
                Issue.record("not refused")
            } catch let error as CSVError {
                let file = paths[c.named]!
                #expect(error.location == CSVLocation(file: file, line: c.line, column: c.column), "\(error)")
                #expect(error.description.hasPrefix("\(file):\(c.line):\(c.column): "), "\(error)")
                #expect(error.message.contains(c.words), "\(error)")
            }
        }
    }

    @Test func csvReaderFollowsRFC4180() throws {
        let text = "\u{FEFF}a, b ,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n\nä,2,3"
        let table = try CSVTable(bytes: Array(text.utf8), file: "t.csv")
        #expect(table.columnNames == ["a", "b", "c"])
        var records: [CSVTable.Record] = []
        try table.forEachRecord { records.append($0) }
        #expect(records.map { $0.fields.map(\.text) } == [["x,1", "say \"hi\"", "two\nlines"], ["ä", "2", "3"]])
        // The blank line 4 is skipped but counted; columns count characters (ä is one).
        #expect(records.map(\.line) == [2, 5])
        #expect(records[1].fields.map(\.column) == [1, 3, 5])
        #expect(records[0].fields.map(\.column) == [1, 7, 20])
        #expect(throws: CSVError.self) { _ = try CSVTable(bytes: Array("a,a\n1,2\n".utf8), file: "t.csv") }
        #expect(throws: CSVError.self) { _ = try CSVTable(bytes: [], file: "t.csv") }
        let stray = try CSVTable(bytes: Array("a,b\n1,x\"y\n".utf8), file: "t.csv")
        #expect(throws: CSVError(CSVLocation(file: "t.csv", line: 2, column: 4),
                                 "a quote inside an unquoted field; quote the whole field and double the quote")) {
            try stray.forEachRecord { _ in }
        }
    }
}
