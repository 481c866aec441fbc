import Foundation

/// Small builders for the Vega-Lite specifications of the report's charts (https://vega.github.io/vega-lite/):
/// declarative JSON that Vega-Lite compiles and Vega draws; Altair users can load and edit them as they are.
enum VegaLite {
    /// The Vega-Lite major version the specifications are written for (`javascript_bundle` of vl-convert ships it).
    static let schema = "https://vega.github.io/schema/vega-lite/v6.json"

    /// A top-level specification with its title (and the question it answers as subtitle) and data inline.
    static func chart(title: String, subtitle: String? = nil, rows: [[String: JSONValue]], width: Double = 560,
                      height: Double = 260, body: [String: JSONValue]) -> JSONValue {
        var spec: [String: JSONValue] = [
            "$schema": .string(schema),
            "title": subtitle.map { ["text": .string(title), "subtitle": .string($0), "anchor": "start"] }
                ?? ["text": .string(title), "anchor": "start"],
            "data": ["values": .array(rows.map { .object($0) })],
            "config": ["font": "sans-serif", "view": ["stroke": "#ddd"], "legend": ["orient": "bottom", "direction": "horizontal"]],
        ]
        if body["facet"] == nil {
            spec["width"] = .number(width)
            spec["height"] = .number(height)
        }
        for (key, value) in body { spec[key] = value }
        return .object(spec)
    }

    /// Small multiples: one panel of `layers` per value of `field` (in `order`), four to a row, each with its own y
    /// scale (rates and weights of very different sizes stay readable).
    static func panels(by field: String, order: [String], layers: [JSONValue]) -> [String: JSONValue] {
        ["facet": Self.field(field, "nominal", title: nil, extra: ["sort": .array(order.map { .string($0) })]),
         "columns": 4,
         "spec": ["width": 180, "height": 120, "layer": .array(layers)],
         "resolve": ["scale": ["y": "independent"]]]
    }

    /// An encoding channel bound to a field.
    static func field(_ name: String, _ type: String, title: String? = nil, extra: [String: JSONValue] = [:]) -> JSONValue {
        var channel: [String: JSONValue] = ["field": .string(name), "type": .string(type)]
        if let title { channel["title"] = .string(title) }
        for (key, value) in extra { channel[key] = value }
        return .object(channel)
    }

    /// A tooltip listing `fields` (quantitative numbers formatted to 4 significant digits).
    static func tooltip(_ fields: [(String, String)]) -> JSONValue {
        .array(fields.map { name, type in
            type == "quantitative" ? ["field": .string(name), "type": "quantitative", "format": ".4~g"]
                : ["field": .string(name), "type": .string(type)]
        })
    }

    /// The data of a reference layer: one empty row, so that the layer draws once rather than once per row of the
    /// chart's table.
    static let oneRow: JSONValue = ["values": [[:]]]

    /// A horizontal (`axis` "y") or vertical ("x") reference rule at `value`, labelled at the start (above a
    /// horizontal rule, or below it with `labelBelow`).
    static func referenceRule(_ axis: String, at value: Double, label: String, color: String,
                              dash: [Double] = [6, 4], labelBelow: Bool = false) -> [JSONValue] {
        guard value.isFinite else { return [] }
        let other = axis == "y" ? "x" : "y"
        let placement: [String: JSONValue] = axis == "y"
            ? ["dy": .number(labelBelow ? 4 : -4), "baseline": labelBelow ? "top" : "bottom"]
            : ["dy": 0, "baseline": "top"]
        var mark: [String: JSONValue] = ["type": "text", "color": .string(color), "align": "left", "dx": 4]
        for (key, v) in placement { mark[key] = v }
        return [
            ["data": oneRow, "mark": ["type": "rule", "color": .string(color), "strokeDash": .array(dash.map { .number($0) }), "strokeWidth": 1.5],
             "encoding": [.init(axis): ["datum": .number(value)]]],
            ["data": oneRow, "mark": .object(mark),
             "encoding": [.init(axis): ["datum": .number(value)], .init(other): ["value": 0], "text": ["value": .string(label)]]],
        ]
    }

    /// A shaded band between `low` and `high` along `axis`.
    static func referenceBand(_ axis: String, from low: Double, to high: Double, color: String) -> [JSONValue] {
        guard low.isFinite, high.isFinite else { return [] }
        return [["data": oneRow, "mark": ["type": "rect", "color": .string(color), "opacity": 0.12],
                 "encoding": [.init(axis): ["datum": .number(low)], .init("\(axis)2"): ["datum": .number(high)]]]]
    }
}

extension String {
    /// `value` with `digits` decimals (captions and labels); "n/a" when not finite.
    static func fixed(_ value: Double, _ digits: Int = 1) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "n/a"
    }
}
