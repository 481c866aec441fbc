/// One figure of a report: a Vega-Lite specification with its data inline, and what a reader needs beside it.
///
/// `rows` is the chart's main table (also written beside the page as CSV, for people who plot their own);
/// `spec` carries the same rows in `data.values` and may add reference layers of its own.
public struct Chart: Sendable, Equatable {
    /// A stable name within the report (`section-chart`), used for the CSV file and the figure's id.
    public var id: String
    public var title: String
    /// What was run and how to read it, in a sentence or two.
    public var caption: String
    public var columns: [String]
    public var rows: [[String: JSONValue]]
    public var spec: JSONValue

    public init(id: String, title: String, caption: String, columns: [String], rows: [[String: JSONValue]], spec: JSONValue) {
        self.id = id
        self.title = title
        self.caption = caption
        self.columns = columns
        self.rows = rows
        self.spec = spec
    }
}

/// The charts made from one input, under a heading that names the input.
public struct ReportSection: Sendable, Equatable {
    public var id: String
    /// E.g. "Episode log logs/a.sqlite, run 1".
    public var heading: String
    /// What the input is: environment, policy, seed, sizes.
    public var summary: String
    public var charts: [Chart]

    public init(id: String, heading: String, summary: String, charts: [Chart]) {
        self.id = id
        self.heading = heading
        self.summary = summary
        self.charts = charts
    }
}

/// A whole report: the sections of every input, in the order given.
public struct Report: Sendable, Equatable {
    public var title: String
    public var sections: [ReportSection]

    public init(title: String, sections: [ReportSection]) {
        self.title = title
        self.sections = sections
    }

    public var charts: [Chart] { sections.flatMap(\.charts) }
}
