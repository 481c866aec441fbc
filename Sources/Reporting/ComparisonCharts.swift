/// `compare --json`: a forest plot of every policy's paired difference to the first (common random numbers, the
/// same held-out users), and the policies' levels of reward per user-day.
public enum ComparisonCharts {
    public static func section(_ json: JSONValue, file: String, index: Int) throws(ReportError) -> ReportSection {
        guard let policies = json["policies"]?.array, let first = policies.first else {
            throw ReportError(file: file, "a compare output without policies")
        }
        let reference = first["policy"]?.string ?? "?"
        var differences: [[String: JSONValue]] = [], levels: [[String: JSONValue]] = []
        for p in policies {
            let name = p["policy"]?.string ?? "?"
            let level = p["rewardPerUserDay"]
            levels.append(["policy": .init(name), "rewardPerUserDay": .init(level?["mean"]?.number ?? .nan),
                           "lower": .init(level?["lower"]?.number ?? .nan), "upper": .init(level?["upper"]?.number ?? .nan),
                           "rewardPerSession": .init(p["rewardPerSession"]?["mean"]?.number ?? .nan),
                           "sessionsPerUserDay": .init(p["sessionsPerUserDay"]?.number ?? .nan),
                           "clickRate": .init(p["clickRate"]?.number ?? .nan)])
            guard let d = p["differenceToFirst"] else { continue }
            let (mean, lower, upper) = (d["mean"]?.number ?? .nan, d["lower"]?.number ?? .nan, d["upper"]?.number ?? .nan)
            let verdict = lower > 0 ? "better than \(reference)" : upper < 0 ? "worse than \(reference)" : "interval covers 0"
            differences.append(["policy": .init(name), "difference": .init(mean), "lower": .init(lower), "upper": .init(upper),
                                "pairedEpisodes": .init(p["pairedEpisodes"]?.number ?? .nan), "verdict": .init(verdict)])
        }
        let seeds = json["seeds"]?.array?.compactMap { $0.numberText }.joined(separator: ", ") ?? "?"
        let sessions = json["sessionsPerRun"]?.numberText ?? "?"
        let users = json["users"]?.string ?? "held-out"
        let run = "\(file): `mtfsim compare` of \(policies.count) policies, world seeds \(seeds), \(sessions) sessions per policy "
            + "and seed, \(users) users, common random numbers"
        let y = VegaLite.field("policy", "nominal", title: nil, extra: ["sort": .null, "axis": ["labelLimit": 320]])
        let forest = VegaLite.chart(
            title: "Paired difference to \(reference)", subtitle: "reward per user-day, policy − \(reference); bar: 95% interval",
            rows: differences, width: 480, height: Double(max(differences.count, 1) * 32),
            body: ["layer": .array(VegaLite.referenceRule("x", at: 0, label: reference, color: "#666", dash: [2, 2]) + [
                ["mark": ["type": "rule", "strokeWidth": 2],
                 "encoding": ["y": y, "x": VegaLite.field("lower", "quantitative", title: "Δ reward per user-day vs \(reference)"),
                              "x2": ["field": "upper"], "color": verdictColor(reference)]],
                ["mark": ["type": "point", "filled": true, "size": 90],
                 "encoding": ["y": y, "x": ["field": "difference", "type": "quantitative"], "color": verdictColor(reference),
                              "tooltip": VegaLite.tooltip([("policy", "nominal"), ("difference", "quantitative"), ("lower", "quantitative"),
                                                           ("upper", "quantitative"), ("pairedEpisodes", "quantitative")])]],
            ])])
        let levelSpec = VegaLite.chart(
            title: "Reward per user-day by policy", subtitle: "95% interval over episodes (unpaired)", rows: levels,
            width: 480, height: Double(levels.count * 32),
            body: ["layer": [
                ["mark": ["type": "rule", "strokeWidth": 2, "color": "#4c78a8"],
                 "encoding": ["y": y, "x": VegaLite.field("lower", "quantitative", title: "reward per user-day",
                                                          extra: ["scale": ["zero": false]]), "x2": ["field": "upper"]]],
                ["mark": ["type": "point", "filled": true, "size": 90, "color": "#4c78a8"],
                 "encoding": ["y": y, "x": ["field": "rewardPerUserDay", "type": "quantitative"],
                              "tooltip": VegaLite.tooltip([("policy", "nominal"), ("rewardPerUserDay", "quantitative"),
                                                           ("lower", "quantitative"), ("upper", "quantitative"),
                                                           ("rewardPerSession", "quantitative"), ("sessionsPerUserDay", "quantitative"),
                                                           ("clickRate", "quantitative")])]],
            ]])
        let forestChart = Chart(
            id: "compare\(index)-forest", title: "Paired difference to \(reference)",
            caption: "\(run). Each interval is the paired 95% interval of the per-episode difference to the first policy, "
                + "\(reference); an interval clear of 0 is a difference the run can tell.",
            columns: ["policy", "difference", "lower", "upper", "pairedEpisodes", "verdict"], rows: differences, spec: forest)
        let levelChart = Chart(
            id: "compare\(index)-levels", title: "Reward per user-day by policy",
            caption: "\(run). Levels with their own intervals; differences between policies are read from the paired plot above.",
            columns: ["policy", "rewardPerUserDay", "lower", "upper", "rewardPerSession", "sessionsPerUserDay", "clickRate"],
            rows: levels, spec: levelSpec)
        // One policy alone has no paired difference to draw.
        guard !differences.isEmpty else {
            return ReportSection(id: "compare\(index)", heading: "Policy comparison \(file)",
                                 summary: run + ". One policy: no paired difference to draw.", charts: [levelChart])
        }
        return ReportSection(id: "compare\(index)", heading: "Policy comparison \(file)", summary: run + ".",
                             charts: [forestChart, levelChart])
    }

    static func verdictColor(_ reference: String) -> JSONValue {
        VegaLite.field("verdict", "nominal", title: nil, extra: ["scale": [
            "domain": [.string("better than \(reference)"), "interval covers 0", .string("worse than \(reference)")],
            "range": ["#54a24b", "#9d9d9d", "#e45756"]]])
    }
}
