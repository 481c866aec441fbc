/// `evaluate --truth --json`: every estimator's estimate of every candidate policy against the simulator's truth
/// on the logged users (with intervals and the diagonal), and the selection metrics (Spearman's ρ, normalised
/// regret of the policy each estimator would pick; Fu et al. 2021, DOPE).
public enum EvaluationCharts {
    public static func section(_ json: JSONValue, file: String, index: Int) throws(ReportError) -> ReportSection {
        guard let policies = json["policies"]?.array, !policies.isEmpty else {
            throw ReportError(file: file, "an evaluate output without policies")
        }
        guard policies.contains(where: { $0["truth"]?["value"]?.number != nil }) else {
            throw ReportError(file: file, "an evaluate output without the truth: run `mtfsim evaluate … --truth N --json`")
        }
        var rows: [[String: JSONValue]] = []
        var low = Double.infinity, high = -Double.infinity
        for p in policies {
            let name = p["policy"]?.string ?? "?"
            guard let policyTruth = p["truth"]?["value"]?.number, policyTruth.isFinite else { continue }
            let (truthLower, truthUpper) = (p["truth"]?["lower"]?.number ?? .nan, p["truth"]?["upper"]?.number ?? .nan)
            for e in p["estimates"]?.array ?? [] {
                guard let value = e["value"]?.number, value.isFinite else { continue }
                // The truth each estimate is scored against is estimate − error (the estimand's own truth).
                let truth = e["error"]?.number.map { value - $0 } ?? policyTruth
                low = min(low, truth); high = max(high, truth)
                rows.append(["policy": .init(name), "estimator": .init(e["estimator"]?.string ?? "?"), "truth": .init(truth),
                             "truthLower": .init(truthLower), "truthUpper": .init(truthUpper),
                             "estimate": .init(value), "lower": .init(e["lower"]?.number ?? .nan),
                             "upper": .init(e["upper"]?.number ?? .nan), "error": .init(value - truth),
                             "covers": .init(e["covers"].map { $0 == .bool(true) ? "covers the truth" : "misses the truth" } ?? "no interval")])
            }
        }
        // The axes span the points (truths and estimates), not the intervals, which can be far wider; rules are clipped.
        var yLow = low, yHigh = high
        for row in rows { if let v = row["estimate"]?.number { yLow = min(yLow, v); yHigh = max(yHigh, v) } }
        let pad = { (a: Double, b: Double) -> JSONValue in
            let margin = max((b - a) * 0.05, abs(b) * 0.01, 1e-9)
            return [.init(a - margin), .init(b + margin)]
        }
        let estimand = json["estimand"]?.string ?? "?"
        let behaviour = json["behaviourPolicy"]?.string ?? "?"
        let episodes = json["episodes"]?.numberText ?? "?"
        let run = "\(file): `mtfsim evaluate` of \(policies.count) policies on the log \(json["log"]?.string ?? "?") "
            + "(behaviour \(behaviour), \(episodes) episodes), estimand \(estimand)"
        let diagonal: [JSONValue] = low <= high
            ? [["data": ["values": [["x": .init(low), "y": .init(low)], ["x": .init(high), "y": .init(high)]]],
                "mark": ["type": "line", "color": "#888", "strokeDash": [4, 4], "clip": true],
                "encoding": ["x": ["field": "x", "type": "quantitative"], "y": ["field": "y", "type": "quantitative"]]]]
            : []
        let color = VegaLite.field("estimator", "nominal", title: "estimator")
        let scatter = VegaLite.chart(
            title: "Estimates against the truth", subtitle: "\(estimand); dashed diagonal: estimate = truth; vertical bars: the estimators' intervals; dotted: the truth's",
            rows: rows, width: 520, height: 400,
            body: ["layer": .array(diagonal + [
                ["mark": ["type": "rule", "opacity": 0.6, "clip": true],
                 "encoding": ["x": VegaLite.field("truth", "quantitative", title: "truth: \(estimand) simulated on the logged users",
                                                  extra: ["scale": ["domain": pad(low, high)]]),
                              "y": VegaLite.field("lower", "quantitative", title: "estimate from the log",
                                                  extra: ["scale": ["domain": pad(yLow, yHigh)]]),
                              "y2": ["field": "upper"], "color": color]],
                ["mark": ["type": "rule", "opacity": 0.6, "strokeDash": [2, 2], "clip": true],
                 "encoding": ["x": ["field": "truthLower", "type": "quantitative"], "x2": ["field": "truthUpper"],
                              "y": ["field": "estimate", "type": "quantitative"], "color": color]],
                ["mark": ["type": "point", "filled": true, "size": 60],
                 "encoding": ["x": ["field": "truth", "type": "quantitative"], "y": ["field": "estimate", "type": "quantitative"],
                              "color": color, "shape": VegaLite.field("covers", "nominal", title: "interval"),
                              "tooltip": VegaLite.tooltip([("policy", "nominal"), ("estimator", "nominal"), ("truth", "quantitative"),
                                                           ("estimate", "quantitative"), ("lower", "quantitative"),
                                                           ("upper", "quantitative"), ("error", "quantitative")])]],
            ])])
        var metrics: [[String: JSONValue]] = []
        for s in json["selection"]?.array ?? [] {
            let estimator = s["estimator"]?.string ?? "?"
            for (key, label) in [("spearman", "Spearman ρ (higher is better)"), ("normalizedRegret", "normalised regret@1 (lower is better)")] {
                guard let v = s[key]?.number, v.isFinite else { continue }
                metrics.append(["estimator": .init(estimator), "metric": .init(label), "value": .init(v)])
            }
        }
        let selection = VegaLite.chart(
            title: "Policy selection by estimator", subtitle: "ranking the candidates by each estimator against ranking them by the truth",
            rows: metrics,
            body: ["facet": VegaLite.field("metric", "nominal", title: nil), "columns": 2,
                   "spec": ["width": 260, "height": ["step": 18],
                            "mark": "bar",
                            "encoding": ["y": VegaLite.field("estimator", "nominal", title: nil, extra: ["sort": .null]),
                                         "x": VegaLite.field("value", "quantitative", title: "value"),
                                         "color": VegaLite.field("estimator", "nominal", title: nil, extra: ["legend": .null]),
                                         "tooltip": VegaLite.tooltip([("estimator", "nominal"), ("metric", "nominal"), ("value", "quantitative")])]],
                   "resolve": ["scale": ["x": "independent"]]])
        let covered = rows.filter { $0["covers"] == .string("covers the truth") }.count
        let withInterval = rows.filter { $0["covers"] != .string("no interval") }.count
        var charts = [Chart(
            id: "evaluate\(index)-truth", title: "Estimates against the truth",
            caption: "\(run). \(rows.count) estimates of \(policies.count) policies; \(covered) of \(withInterval) intervals cover "
                + "the truth. Points on the dashed diagonal are exact; an estimator that ranks well keeps the truth's order.",
            columns: ["policy", "estimator", "truth", "truthLower", "truthUpper", "estimate", "lower", "upper", "error", "covers"], rows: rows, spec: scatter)]
        if !metrics.isEmpty {
            charts.append(Chart(
                id: "evaluate\(index)-selection", title: "Policy selection by estimator",
                caption: "\(run). Spearman's rank correlation between each estimator's values and the truth over the "
                    + "\(policies.count) candidates, and the normalised regret of the policy it would choose (0 = the best).",
                columns: ["estimator", "metric", "value"], rows: metrics, spec: selection))
        }
        return ReportSection(id: "evaluate\(index)", heading: "Off-policy evaluation \(file)", summary: run + ".", charts: charts)
    }
}
