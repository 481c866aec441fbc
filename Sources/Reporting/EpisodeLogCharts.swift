import EpisodeLog
import Foundation
import Numerics
import Simulator

/// The charts of one run of an episode log: realism against the environment's calibration targets (rates, session
/// depth, return gaps against KuaiRand's bins), where on the slate feedback happens, the long-term objective per
/// episode, and the fusion weights the policy used by a state feature.
public enum EpisodeLogCharts {
    /// Colours shared by the charts: simulated, real-world target, out of tolerance.
    static let simulatedColor = "#4c78a8", targetColor = "#54a24b", outsideColor = "#e45756"

    public static func section(_ stats: EpisodeLogStatistics, config: EnvironmentConfig?, file: String, index: Int) -> ReportSection {
        let m = stats.run.metadata
        let id = "log\(index)-run\(stats.run.id)"
        let summary = "Run \(stats.run.id) \"\(m.name)\" of \(file): environment \(m.environmentName), policy \(m.policySpec), "
            + "ranker \(m.rankerName), seed \(m.seed); \(stats.sessions) sessions of \(stats.episodes) episodes"
            + ", \(stats.requests) requests, \(stats.impressions) items shown."
        let what = "\(file) run \(stats.run.id): \(m.environmentName), policy \(m.policySpec), \(stats.sessions) sessions"
        guard stats.sessions > 0 else {
            return ReportSection(id: id, heading: "Episode log \(file), run \(stats.run.id)",
                                 summary: summary + " No session was logged in this run: nothing to draw.", charts: [])
        }
        let targets = config?.calibration?.targets ?? []
        var charts: [Chart] = [], notDrawn: [String] = []
        /// A chart, or the reason it is not drawn (charts the environment lacks the targets for go unmentioned).
        func add(_ chart: Chart?, unless reason: String? = nil) {
            if let chart { charts.append(chart) } else if let reason { notDrawn.append(reason) }
        }
        add(rates(stats, targets: targets, id: "\(id)-rates", what: what))
        add(sessionTargets(stats, targets: targets, id: "\(id)-session-targets", what: what))
        add(ratesByPosition(stats, id: "\(id)-positions", what: what))
        add(depth(stats, id: "\(id)-depth", what: what))
        add(gaps(stats, id: "\(id)-gaps", what: what), unless: "return gaps (no user came back within the run)")
        add(gapsAgainstKuaiRand(stats, targets: targets, id: "\(id)-gap-bins", what: what))
        add(rewardPerUserDay(stats, id: "\(id)-reward", what: what),
            unless: "reward per user-day (no complete episode: each was cut by the end of the run before its churn or horizon)")
        add(weights(stats, id: "\(id)-weights", what: what), unless: "fusion weights (too few requests for any value of \(stats.featureName))")
        let note = notDrawn.isEmpty ? "" : " Not drawn: " + notDrawn.joined(separator: "; ") + "."
        return ReportSection(id: id, heading: "Episode log \(file), run \(stats.run.id)", summary: summary + note, charts: charts)
    }

    // MARK: Calibration

    /// Rates per shown item, with the environment's KuaiRand targets and their tolerance bands.
    static func rates(_ stats: EpisodeLogStatistics, targets: [CalibrationTarget], id: String, what: String) -> Chart {
        let shown = Double(max(stats.impressions, 1))
        var rows: [[String: JSONValue]] = []
        var outside = 0, targeted = 0
        for (k, task) in stats.taskNames.enumerated() {
            let simulated = Double(stats.taskCounts[k]) / shown
            var row: [String: JSONValue] = ["task": .init(task), "simulated": .init(simulated > 0 ? simulated : .nan)]
            if let t = targets.first(where: { $0.metric == .rate && $0.task == task }) {
                let within = abs(simulated - t.value) <= t.tolerance * t.value
                targeted += 1
                if !within { outside += 1 }
                row["target"] = .init(t.value)
                row["low"] = .init(t.value * (1 - t.tolerance))
                row["high"] = .init(t.value * (1 + t.tolerance))
                row["tolerance"] = .init(t.tolerance)
                row["status"] = within ? "within tolerance" : "outside tolerance"
            } else {
                row["status"] = "no target"
            }
            rows.append(row)
        }
        let y = VegaLite.field("task", "nominal", title: "task", extra: ["sort": .null])
        let x = "rate per shown item (log scale)"
        var layers: [JSONValue] = []
        if targeted > 0 {
            layers += [
                ["mark": ["type": "rule", "strokeWidth": 10, "opacity": 0.3, "color": .string(targetColor)],
                 "encoding": ["y": y, "x": ["field": "low", "type": "quantitative"], "x2": ["field": "high"]]],
                ["mark": ["type": "tick", "thickness": 2, "color": .string(targetColor)],
                 "encoding": ["y": y, "x": ["field": "target", "type": "quantitative"]]],
            ]
        }
        layers.append(
            ["mark": ["type": "point", "filled": true, "size": 80],
             "encoding": ["y": y, "x": VegaLite.field("simulated", "quantitative", title: x, extra: ["scale": ["type": "log"]]),
                          "color": VegaLite.field("status", "nominal", title: "simulated", extra: ["scale": [
                              "domain": ["within tolerance", "outside tolerance", "no target"],
                              "range": [.string(simulatedColor), .string(outsideColor), "#9d9d9d"]]]),
                          "tooltip": VegaLite.tooltip([("task", "nominal"), ("simulated", "quantitative"),
                                                       ("target", "quantitative"), ("tolerance", "quantitative")])]])
        let spec = VegaLite.chart(
            title: "Feedback rates against the calibration targets",
            subtitle: targeted > 0 ? "dot: simulated; tick and band: the real-world target ± its tolerance"
                : "the environment has no rate targets: simulated rates only",
            rows: rows, height: Double(max(rows.count, 1) * 26), body: ["layer": .array(layers)])
        let caption = "Realisations per shown item over the whole run (\(what)). \(targeted) tasks have a target in the "
            + "environment's calibration block; \(outside) fall outside their tolerance. Targets are for the environment's "
            + "logging-like policy: another policy is expected to move them."
        return Chart(id: id, title: "Feedback rates against the calibration targets", caption: caption,
                     columns: ["task", "simulated", "target", "low", "high", "tolerance", "status"], rows: rows, spec: spec)
    }

    /// Session-level targets (sessions per user-day, items per session, share of return gaps under 2 h) as relative
    /// errors against their tolerance bands; `nil` when the environment has none.
    static func sessionTargets(_ stats: EpisodeLogStatistics, targets: [CalibrationTarget], id: String, what: String) -> Chart? {
        var rows: [[String: JSONValue]] = []
        for t in targets {
            let simulated: Double
            switch t.metric {
            case .sessionsPerUserDay: simulated = sessionsPerUserDay(stats)
            case .impressionsPerSession: simulated = Double(stats.impressions) / Double(max(stats.sessions, 1))
            case .gapShareUnderTwoHours: simulated = gapShareUnderTwoHours(stats)
            case .rate, .rankerAUC: continue
            }
            guard simulated.isFinite else { continue }
            let error = (simulated - t.value) / t.value
            rows.append(["target": .init(t.label), "kuaiRand": .init(t.value), "simulated": .init(simulated),
                         "relativeErrorPercent": .init(100 * error), "tolerancePercent": .init(100 * t.tolerance),
                         "lowPercent": .init(-100 * t.tolerance), "highPercent": .init(100 * t.tolerance),
                         "status": abs(error) <= t.tolerance ? "within tolerance" : "outside tolerance"])
        }
        guard !rows.isEmpty else { return nil }
        let y = VegaLite.field("target", "nominal", title: "target", extra: ["sort": .null])
        let spec = VegaLite.chart(
            title: "Session targets: relative error",
            subtitle: "band: the target's tolerance; 0 = the real-world value",
            rows: rows, height: Double(rows.count * 30),
            body: ["layer": .array([
                ["mark": ["type": "rule", "strokeWidth": 12, "opacity": 0.3, "color": .string(targetColor)],
                 "encoding": ["y": y, "x": VegaLite.field("lowPercent", "quantitative", title: "(simulated − target) / target (%)"),
                              "x2": ["field": "highPercent"]]],
                ["mark": ["type": "point", "filled": true, "size": 80],
                 "encoding": ["y": y, "x": ["field": "relativeErrorPercent", "type": "quantitative"],
                              "color": VegaLite.field("status", "nominal", title: "simulated", extra: ["scale": [
                                  "domain": ["within tolerance", "outside tolerance"],
                                  "range": [.string(simulatedColor), .string(outsideColor)]]]),
                              "tooltip": VegaLite.tooltip([("target", "nominal"), ("simulated", "quantitative"),
                                                           ("kuaiRand", "quantitative"), ("relativeErrorPercent", "quantitative")])]],
            ] + VegaLite.referenceRule("x", at: 0, label: "target", color: "#666", dash: [2, 2]))])
        return Chart(id: id, title: "Session targets: relative error",
                     caption: "Sessions per user-day (complete episodes), items shown per session and the share of return "
                        + "gaps under 2 h, against the environment's real-world targets (\(what)).",
                     columns: ["target", "kuaiRand", "simulated", "relativeErrorPercent", "tolerancePercent", "status"],
                     rows: rows, spec: spec)
    }

    static func sessionsPerUserDay(_ stats: EpisodeLogStatistics) -> Double {
        let episodes = stats.completeEpisodeRewardPerDay.count
        guard episodes > 0 else { return .nan }
        return Double(stats.completeEpisodeSessions) / (Double(episodes) * stats.horizonDays)
    }

    static func gapShareUnderTwoHours(_ stats: EpisodeLogStatistics) -> Double {
        guard !stats.returnGapMinutes.isEmpty else { return .nan }
        return Double(stats.returnGapMinutes.filter { $0 < 120 }.count) / Double(stats.returnGapMinutes.count)
    }

    // MARK: Slate positions

    /// Per-position rates of every task and the share of items examined, one small panel per task.
    static func ratesByPosition(_ stats: EpisodeLogStatistics, id: String, what: String) -> Chart {
        var rows: [[String: JSONValue]] = []
        for p in stats.shownByPosition.indices where stats.shownByPosition[p] > 0 {
            let shown = Double(stats.shownByPosition[p])
            rows.append(["position": .init(p + 1), "outcome": "examined", "rate": .init(Double(stats.examinedByPosition[p]) / shown),
                         "shown": .init(stats.shownByPosition[p])])
            for (k, task) in stats.taskNames.enumerated() {
                rows.append(["position": .init(p + 1), "outcome": .init(task),
                             "rate": .init(Double(stats.taskCountsByPosition[p][k]) / shown), "shown": .init(stats.shownByPosition[p])])
            }
        }
        let spec = VegaLite.chart(
            title: "Feedback by slate position", subtitle: "rate per shown item at each position (1 = top); own y scale per panel",
            rows: rows,
            body: VegaLite.panels(by: "outcome", order: ["examined"] + stats.taskNames, layers: [
                ["mark": ["type": "line", "color": .string(simulatedColor)],
                 "encoding": ["x": VegaLite.field("position", "quantitative", title: "slate position"),
                              "y": VegaLite.field("rate", "quantitative", title: "rate per shown item")]],
                ["mark": ["type": "point", "filled": true, "size": 20, "color": .string(simulatedColor)],
                 "encoding": ["x": ["field": "position", "type": "quantitative"], "y": ["field": "rate", "type": "quantitative"],
                              "tooltip": VegaLite.tooltip([("outcome", "nominal"), ("position", "quantitative"),
                                                           ("rate", "quantitative"), ("shown", "quantitative")])]],
            ]))
        return Chart(id: id, title: "Feedback by slate position",
                     caption: "How examination and each kind of feedback fall with the position in the slate (\(what)). "
                        + "Position effects come from the user's examination (cascade) and the ranking's order.",
                     columns: ["position", "outcome", "rate", "shown"], rows: rows, spec: spec)
    }

    // MARK: Sessions and returns

    static func depth(_ stats: EpisodeLogStatistics, id: String, what: String) -> Chart {
        let total = Double(max(stats.sessions, 1))
        var rows: [[String: JSONValue]] = []
        var sum = 0.0
        for (requests, count) in stats.requestsPerSession.enumerated() where count > 0 {
            sum += Double(requests * count)
            rows.append(["requests": .init(requests), "requestsEnd": .init(requests + 1), "sessions": .init(count),
                         "share": .init(Double(count) / total)])
        }
        let mean = sum / total
        let spec = VegaLite.chart(
            title: "Session depth", subtitle: "requests (slates) per session", rows: rows,
            body: ["layer": .array([
                ["mark": ["type": "bar", "color": .string(simulatedColor)],
                 "encoding": ["x": VegaLite.field("requests", "quantitative", title: "requests per session",
                                                  extra: ["bin": ["binned": true, "step": 1]]),
                              "x2": ["field": "requestsEnd"],
                              "y": VegaLite.field("share", "quantitative", title: "share of sessions", extra: ["axis": ["format": "%"]]),
                              "tooltip": VegaLite.tooltip([("requests", "quantitative"), ("sessions", "quantitative"),
                                                           ("share", "quantitative")])]],
            ] + VegaLite.referenceRule("x", at: mean, label: "mean \(String.fixed(mean, 2))", color: "#333"))])
        return Chart(id: id, title: "Session depth",
                     caption: "Distribution of requests per session over \(stats.sessions) sessions (\(what)); "
                        + "\(String.fixed(Double(stats.impressions) / total, 1)) items shown per session on average.",
                     columns: ["requests", "sessions", "share"], rows: rows, spec: spec)
    }

    /// Return-gap bin edges in minutes (the first is the environment's usual 30-minute session boundary).
    static let gapEdgesMinutes: [Double] = [0, 30, 60, 120, 240, 480, 720, 1440, 2880, 5760, 10080]

    static func gapLabel(_ minutes: Double) -> String {
        minutes < 60 ? "\(Int(minutes)) min" : minutes < 1440 ? "\(Int(minutes / 60)) h" : "\(Int(minutes / 1440)) d"
    }

    static func gaps(_ stats: EpisodeLogStatistics, id: String, what: String) -> Chart? {
        guard !stats.returnGapMinutes.isEmpty else { return nil }
        let edges = gapEdgesMinutes
        var counts = Array(repeating: 0, count: edges.count)
        for gap in stats.returnGapMinutes {
            let bin = (edges.lastIndex(where: { gap >= $0 }) ?? 0)
            counts[bin] += 1
        }
        let total = Double(max(stats.returnGapMinutes.count, 1))
        var rows: [[String: JSONValue]] = []
        for (i, count) in counts.enumerated() {
            let label = i + 1 < edges.count ? "\(gapLabel(edges[i]))–\(gapLabel(edges[i + 1]))" : "≥ \(gapLabel(edges[i]))"
            guard count > 0 || (i > 0 && i + 1 < edges.count) else { continue }
            rows.append(["bin": .init(label), "fromMinutes": .init(edges[i]),
                         "toMinutes": .init(i + 1 < edges.count ? edges[i + 1] : .infinity),
                         "returns": .init(count), "share": .init(Double(count) / total)])
        }
        let sorted = stats.returnGapMinutes.sorted()
        let median = sorted.isEmpty ? Double.nan : sorted[sorted.count / 2]
        let spec = VegaLite.chart(
            title: "Return gaps", subtitle: "time from a session's end to the user's next session", rows: rows,
            body: ["mark": ["type": "bar", "color": .string(simulatedColor)],
                   "encoding": ["x": VegaLite.field("bin", "ordinal", title: "return gap (bins widen with the gap)",
                                                    extra: ["sort": .null, "axis": ["labelAngle": -30]]),
                                "y": VegaLite.field("share", "quantitative", title: "share of returns", extra: ["axis": ["format": "%"]]),
                                "tooltip": VegaLite.tooltip([("bin", "nominal"), ("returns", "quantitative"), ("share", "quantitative")])]])
        return Chart(id: id, title: "Return gaps",
                     caption: "\(stats.returnGapMinutes.count) returns (\(what)); median gap \(String.fixed(median / 60, 2)) h. "
                        + "Sessions after which the user churned, or that end the horizon, have no gap.",
                     columns: ["bin", "fromMinutes", "toMinutes", "returns", "share"], rows: rows, spec: spec)
    }

    /// The two between-session bins KuaiRand-27K's tables give (30 min–2 h and ≥ 2 h), simulated beside real.
    static func gapsAgainstKuaiRand(_ stats: EpisodeLogStatistics, targets: [CalibrationTarget], id: String, what: String) -> Chart? {
        guard let target = targets.first(where: { $0.metric == .gapShareUnderTwoHours }), !stats.returnGapMinutes.isEmpty else {
            return nil
        }
        let simulated = gapShareUnderTwoHours(stats)
        let rows: [[String: JSONValue]] = [
            ["bin": "30 min – 2 h", "source": "simulated", "share": .init(simulated)],
            ["bin": "30 min – 2 h", "source": "KuaiRand (target)", "share": .init(target.value),
             "low": .init(target.value * (1 - target.tolerance)), "high": .init(min(1, target.value * (1 + target.tolerance)))],
            ["bin": "≥ 2 h", "source": "simulated", "share": .init(1 - simulated)],
            ["bin": "≥ 2 h", "source": "KuaiRand (target)", "share": .init(1 - target.value)],
        ]
        let sources: JSONValue = ["simulated", "KuaiRand (target)"]
        let color = VegaLite.field("source", "nominal", title: nil, extra: ["scale": [
            "domain": sources, "range": [.string(simulatedColor), .string(targetColor)]]])
        let spec = VegaLite.chart(
            title: "Return gaps against KuaiRand's bins", subtitle: "share of between-session gaps per bin; error bar: the target's tolerance",
            rows: rows, width: 360,
            body: ["layer": [
                ["mark": "bar",
                 "encoding": ["x": VegaLite.field("bin", "nominal", title: "return gap", extra: ["sort": .null, "axis": ["labelAngle": 0]]),
                              "xOffset": ["field": "source", "type": "nominal", "sort": sources],
                              "y": VegaLite.field("share", "quantitative", title: "share of returns", extra: ["axis": ["format": "%"]]),
                              "color": color,
                              "tooltip": VegaLite.tooltip([("bin", "nominal"), ("source", "nominal"), ("share", "quantitative")])]],
                ["mark": ["type": "rule", "color": "#222"],
                 "encoding": ["x": ["field": "bin", "type": "nominal", "sort": .null], "xOffset": ["field": "source", "type": "nominal", "sort": sources],
                              "y": ["field": "low", "type": "quantitative"], "y2": ["field": "high"]]],
            ]])
        return Chart(id: id, title: "Return gaps against KuaiRand's bins",
                     caption: "Share of return gaps under 2 h, simulated \(String.fixed(100 * simulated, 1)) % against KuaiRand-27K's "
                        + "\(String.fixed(100 * target.value, 1)) % (tolerance ±\(String.fixed(100 * target.tolerance, 0)) % relative; "
                        + "\(what)). \(target.source)",
                     columns: ["bin", "source", "share", "low", "high"], rows: rows, spec: spec)
    }

    // MARK: The long-term objective

    static func rewardPerUserDay(_ stats: EpisodeLogStatistics, id: String, what: String) -> Chart? {
        let values = stats.completeEpisodeRewardPerDay.filter(\.isFinite)
        guard !values.isEmpty else { return nil }
        let interval = values.count > 1 ? tInterval(values: values) : nil
        let mean = values.isEmpty ? Double.nan : values.reduce(0, +) / Double(values.count)
        var rows: [[String: JSONValue]] = []
        if let low = values.min(), let high = values.max() {
            let bins = max(1, min(30, Int(Double(values.count).squareRoot().rounded())))
            let width = high > low ? (high - low) / Double(bins) : 1
            var counts = Array(repeating: 0, count: bins)
            for v in values { counts[min(bins - 1, Int((v - low) / width))] += 1 }
            for (b, count) in counts.enumerated() {
                rows.append(["from": .init(low + Double(b) * width), "to": .init(low + Double(b + 1) * width), "episodes": .init(count)])
            }
        }
        var layers: [JSONValue] = [
            ["mark": ["type": "bar", "color": .string(simulatedColor), "opacity": 0.85],
             "encoding": ["x": VegaLite.field("from", "quantitative", title: "reward per user-day (episode)", extra: ["bin": ["binned": true]]),
                          "x2": ["field": "to"],
                          "y": VegaLite.field("episodes", "quantitative", title: "episodes"),
                          "tooltip": VegaLite.tooltip([("from", "quantitative"), ("to", "quantitative"), ("episodes", "quantitative")])]],
        ]
        if let interval { layers += VegaLite.referenceBand("x", from: interval.lower, to: interval.upper, color: "#333") }
        layers += VegaLite.referenceRule("x", at: mean, label: "mean \(String.fixed(mean, 2))", color: "#333")
        let intervalText = interval.map { " [\(String.fixed($0.lower, 2)), \(String.fixed($0.upper, 2))]" } ?? ""
        let spec = VegaLite.chart(title: "Reward per user-day across episodes",
                                  subtitle: "the long-term objective, one value per complete episode (user)",
                                  rows: rows, body: ["layer": .array(layers)])
        return Chart(id: id, title: "Reward per user-day across episodes",
                     caption: "\(values.count) complete episodes (ended by churn or at the horizon; \(what)). Mean "
                        + "\(String.fixed(mean, 2))\(intervalText) (95% t-interval over episodes, shaded).",
                     columns: ["from", "to", "episodes"], rows: rows, spec: spec)
    }

    // MARK: The policy

    /// Mean fusion weight per state-feature bin, with the 10th–90th percentile band, one panel per weight.
    public static func weights(_ stats: EpisodeLogStatistics, id: String, what: String) -> Chart? {
        let width = stats.actionNames.count
        let n = stats.featureValues.count
        let bins = WeightBins(values: stats.featureValues)
        let minimumSteps = max(10, n / 1000)
        var rows: [[String: JSONValue]] = []
        var dropped = 0
        var column = [Float]()
        for bin in bins.bins {
            guard bin.steps.count >= minimumSteps else { dropped += bin.steps.count; continue }
            for (j, name) in stats.actionNames.enumerated() {
                column.removeAll(keepingCapacity: true)
                for s in bin.steps { column.append(stats.actions[s * width + j]) }
                column.sort()
                let mean = column.reduce(0.0) { $0 + Double($1) } / Double(column.count)
                func quantile(_ q: Double) -> Double { Double(column[min(column.count - 1, Int(q * Double(column.count - 1)))]) }
                rows.append(["feature": .init(bin.centre), "weight": .init(name), "mean": .init(mean),
                             "p10": .init(quantile(0.1)), "p90": .init(quantile(0.9)), "steps": .init(bin.steps.count)])
            }
        }
        guard !rows.isEmpty else { return nil }
        let feature = stats.featureName == EpisodeLogStatistics.requestIndexFeature
            ? "request index in the session (0 = first)" : "\(stats.featureName) (state feature)"
        let spec = VegaLite.chart(
            title: "Fusion weights by \(stats.featureName)", subtitle: "mean weight (line) and 10th–90th percentile (band); own y scale per weight",
            rows: rows,
            body: VegaLite.panels(by: "weight", order: stats.actionNames, layers: [
                ["mark": ["type": "area", "opacity": 0.25, "color": .string(simulatedColor)],
                 "encoding": ["x": VegaLite.field("feature", "quantitative", title: feature),
                              "y": VegaLite.field("p10", "quantitative", title: "fusion weight"), "y2": ["field": "p90"]]],
                ["mark": ["type": "line", "point": ["size": 14], "color": .string(simulatedColor)],
                 "encoding": ["x": ["field": "feature", "type": "quantitative"], "y": ["field": "mean", "type": "quantitative"],
                              "tooltip": VegaLite.tooltip([("weight", "nominal"), ("feature", "quantitative"), ("mean", "quantitative"),
                                                           ("p10", "quantitative"), ("p90", "quantitative"), ("steps", "quantitative")])]],
            ]))
        let binning = bins.exact ? "one point per value" : "\(bins.bins.count) bins of equal step counts"
        return Chart(id: id, title: "Fusion weights by \(stats.featureName)",
                     caption: "The weights the policy acted with at \(n) requests, by \(feature) (\(binning)\(dropped > 0 ? "; \(dropped) steps in bins of fewer than \(minimumSteps) left out" : ""); \(what)). "
                        + "A fixed-weight policy draws flat lines; a state-dependent one shows how it reacts.",
                     columns: ["feature", "weight", "mean", "p10", "p90", "steps"], rows: rows, spec: spec)
    }
}

extension EpisodeLogCharts {
    /// The number of steps in each bin the weights chart groups `values` into (for tests and tools).
    public static func binSizes(_ values: [Float]) -> [Int] { WeightBins(values: values).bins.map(\.steps.count) }
}

/// Steps grouped by a state feature's value: one group per value when there are few distinct values (a count such
/// as the request index), else 20 groups of equal step counts (quantile bins).
struct WeightBins {
    struct Bin {
        var centre: Double
        var steps: [Int]
    }
    var bins: [Bin]
    var exact: Bool

    static let maximumExactValues = 64, quantileBins = 20

    init(values: [Float]) {
        var distinct = Set<Float>()
        for v in values where !v.isNaN {
            distinct.insert(v)
            if distinct.count > Self.maximumExactValues { break }
        }
        if distinct.count <= Self.maximumExactValues {
            let sortedValues = distinct.sorted()
            let index = Dictionary(uniqueKeysWithValues: sortedValues.enumerated().map { ($1, $0) })
            var groups = Array(repeating: [Int](), count: sortedValues.count)
            for (s, v) in values.enumerated() where !v.isNaN { groups[index[v]!].append(s) }
            bins = zip(sortedValues, groups).map { Bin(centre: Double($0), steps: $1) }
            exact = true
        } else {
            let order = values.indices.filter { !values[$0].isNaN }.sorted { values[$0] < values[$1] }
            let per = max(1, (order.count + Self.quantileBins - 1) / Self.quantileBins)
            bins = stride(from: 0, to: order.count, by: per).map { start in
                let steps = Array(order[start..<min(order.count, start + per)])
                let centre = steps.reduce(0.0) { $0 + Double(values[$1]) } / Double(steps.count)
                return Bin(centre: centre, steps: steps)
            }
            exact = false
        }
    }
}
