/// A held-out value drawn across a learning curve: the baseline, or a CEM run's final policy.
public struct ReferenceLine: Sendable, Equatable {
    public var label: String
    public var mean: Double
    public var lower: Double
    public var upper: Double

    public init(label: String, mean: Double, lower: Double, upper: Double) {
        self.label = label
        self.mean = mean
        self.lower = lower
        self.upper = upper
    }

    /// From a `HeldOutEvaluation.Result` as the CLI writes it (`rewardPerUserDay.mean/lower/upper`).
    init?(label: String, heldOut: JSONValue?) {
        guard let v = heldOut?["rewardPerUserDay"], let mean = v["mean"]?.number, mean.isFinite else { return nil }
        self.init(label: label, mean: mean, lower: v["lower"]?.number ?? .nan, upper: v["upper"]?.number ?? .nan)
    }
}

/// The learning curve of a `train --json` or `train-offline --json` output: held-out reward per user-day with its
/// 95% interval at every evaluation, the baseline (and CEM, when a CEM run is among the inputs) as reference lines.
public enum TrainingCharts {
    static let curveColor = "#4c78a8", baselineColor = "#e45756", cemColor = "#54a24b"

    public static func section(_ json: JSONValue, offline: Bool, file: String, index: Int,
                               references: [ReferenceLine]) throws(ReportError) -> ReportSection {
        guard let curve = json["curve"]?.array, !curve.isEmpty else {
            throw ReportError(file: file, "a \(offline ? "train-offline" : "train") output without a learning curve (\"curve\")")
        }
        let agent = json["agent"]?.string ?? "?"
        let environment = json["environment"]?.string ?? "?"
        let seed = json["seed"]?.numberText ?? "?"
        let xField = offline ? "gradientSteps" : "environmentSteps"
        var rows: [[String: JSONValue]] = []
        for point in curve {
            guard let x = point[xField]?.number, let v = point["heldOut"]?["rewardPerUserDay"] else {
                throw ReportError(file: file, "a learning-curve point without \(xField) or heldOut.rewardPerUserDay")
            }
            rows.append([xField: .init(x), "rewardPerUserDay": .init(v["mean"]?.number ?? .nan),
                         "lower": .init(v["lower"]?.number ?? .nan), "upper": .init(v["upper"]?.number ?? .nan),
                         "updates": .init(point["updates"]?.number ?? .nan), "wallSeconds": .init(point["wallSeconds"]?.number ?? .nan)])
        }
        var lines = references
        if let baseline = ReferenceLine(label: "baseline", heldOut: json["baseline"]) { lines.insert(baseline, at: 0) }
        var layers: [JSONValue] = []
        // Lines only: the references' intervals are as wide as the curve's (the same held-out episodes), so bands would
        // cover one another; they are in the caption. The highest line is labelled above, the others below.
        let highest = lines.map(\.mean).max() ?? 0
        for line in lines {
            let color = line.label.hasPrefix("CEM") ? cemColor : line.label == "baseline" ? baselineColor : "#b279a2"
            layers += VegaLite.referenceRule("y", at: line.mean, label: "\(line.label) \(String.fixed(line.mean, 1))", color: color,
                                             labelBelow: line.mean < highest)
        }
        let x = VegaLite.field(xField, "quantitative",
                               title: offline ? "gradient steps (offline, no environment interaction)" : "environment steps (requests simulated)")
        let y = VegaLite.field("rewardPerUserDay", "quantitative", title: "held-out reward per user-day", extra: ["scale": ["zero": false]])
        layers = [
            ["mark": ["type": "area", "opacity": 0.25, "color": .string(curveColor)],
             "encoding": ["x": x, "y": ["field": "lower", "type": "quantitative"], "y2": ["field": "upper"]]],
            ["mark": ["type": "rule", "color": .string(curveColor)],
             "encoding": ["x": x, "y": ["field": "lower", "type": "quantitative"], "y2": ["field": "upper"]]],
            ["mark": ["type": "line", "point": true, "color": .string(curveColor)],
             "encoding": ["x": x, "y": y,
                          "tooltip": VegaLite.tooltip([(xField, "quantitative"), ("rewardPerUserDay", "quantitative"),
                                                       ("lower", "quantitative"), ("upper", "quantitative"),
                                                       ("updates", "quantitative"), ("wallSeconds", "quantitative")])]],
        ] + layers
        let title = "Learning curve: \(agent)\(offline ? " (offline)" : ""), \(environment), seed \(seed)"
        let spec = VegaLite.chart(title: title, subtitle: "held-out users; bars and band: 95% t-interval over episodes", rows: rows,
                                  body: ["layer": .array(layers)])
        let final = rows.last!
        let lineText = lines.isEmpty
            ? "No reference lines: the output has no baseline value (made before `train` recorded it) and no CEM run was given."
            : "Dashed lines: " + lines.map { "\($0.label) \(String.fixed($0.mean, 1)) [\(String.fixed($0.lower, 1)), \(String.fixed($0.upper, 1))]" }
                .joined(separator: "; ") + " on the same held-out protocol."
        var source = ""
        if offline, let logs = json["sources"]?.array {
            source = " Learnt from " + logs.compactMap { s in
                s["log"]?.string.map { "\($0) (\(s["policySpec"]?.string ?? "?"), \(s["transitions"]?.numberText ?? "?") transitions)" }
            }.joined(separator: ", ") + "; evaluated by the \(json["evaluation"]?.string ?? "simulator")."
        }
        let caption = "\(file): `mtfsim \(offline ? "train-offline" : "train") --agent \(agent)` on \(environment), seed \(seed); "
            + "\(rows.count) evaluation\(rows.count == 1 ? "" : "s"), the last at "
            + "\(String.fixed(final["rewardPerUserDay"]?.number ?? .nan, 1)) [\(String.fixed(final["lower"]?.number ?? .nan, 1)), "
            + "\(String.fixed(final["upper"]?.number ?? .nan, 1))].\(source) \(lineText)"
        let chart = Chart(id: "train\(index)-curve", title: title, caption: caption,
                          columns: [xField, "rewardPerUserDay", "lower", "upper", "updates", "wallSeconds"], rows: rows, spec: spec)
        return ReportSection(id: "train\(index)", heading: "\(offline ? "Offline training" : "Training") \(file)",
                             summary: "\(agent) on \(environment), seed \(seed), checkpoint \(json["checkpoint"]?.string ?? "?").",
                             charts: [chart])
    }
}
