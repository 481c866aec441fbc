import Foundation
@testable import Reporting
import Testing

/// Inputs are recognised by content; bad ones are refused with one line naming the file; output files appear
/// whole or not at all.
@Suite("Report inputs and files")
struct ReportInputTests {
    static func file(_ content: String, name: String = "input.json") throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("kind members and, for older outputs, their members say what an output is", arguments: [
        (#"{"kind": "train", "formatVersion": 1, "curve": []}"#, ReportInput.Kind.train),
        (#"{"kind": "train-offline"}"#, .trainOffline),
        (#"{"agent": "sac", "curve": []}"#, .train),
        (#"{"agent": "td3bc", "curve": [], "sources": []}"#, .trainOffline),
        (#"{"policies": [], "sessionsPerRun": 100, "seeds": [1]}"#, .compare),
        (#"{"policies": [], "estimand": "rewardPerUserDay"}"#, .evaluate),
    ])
    func recognisesJSONOutputs(content: String, kind: ReportInput.Kind) throws {
        #expect(try ReportInput.recognise(try Self.file(content)).kind == kind)
    }

    @Test("unknown kinds, truncated JSON, newer formats, empty and foreign files are refused naming the file", arguments: [
        (#"{"kind": "benchmark"}"#, "unknown kind \"benchmark\""),
        (#"{"kind": "episode-log"}"#, "unknown kind"),
        (#"{"kind": 3}"#, "unknown kind 3"),
        (#"{"seeds": [1, 2]}"#, "unknown kind of input"),
        (#"[1, 2, 3]"#, "not an object"),
        (#"{"agent": "td3", "curve": [{"environmentSteps": 1"#, "truncated or malformed JSON"),
        (#"{"kind": "compare", "formatVersion": 2}"#, "format version 2 is newer than this build reads (1)"),
        (#"{"kind": "compare", "formatVersion": 1e300}"#, "is newer than this build reads"),
        ("", "empty file"),
        ("steps,reward\n1,2\n", "unknown kind of input"),
    ])
    func refusesBadInputs(content: String, message: String) throws {
        let path = try Self.file(content)
        let error = try #require(throws: ReportError.self) { try ReportInput.recognise(path) }
        #expect(error.description.hasPrefix("\(path): "))
        #expect(error.description.contains(message), "\(error)")
        #expect(!error.description.contains("\n"))
    }

    @Test("numbers that are not integers, or not finite, become caption text without trapping")
    func numberText() throws {
        let json = try JSONValue.parse(Data(#"{"seed": "nan", "big": 1e300, "n": 128, "x": 0.5, "s": "a"}"#.utf8))
        #expect(json["seed"]?.numberText == "nan" && json["n"]?.numberText == "128" && json["x"]?.numberText == "0.5")
        #expect(json["big"]?.numberText == "1e+300" && json["s"]?.numberText == nil)
        let section = try TrainingCharts.section(
            try JSONValue.parse(Data(#"{"agent": "td3", "seed": "nan", "curve": [{"environmentSteps": 1, "heldOut": {"rewardPerUserDay": {"mean": 1, "lower": "nan", "upper": "nan"}}}]}"#.utf8)),
            offline: false, file: "t.json", index: 0, references: [])
        #expect(section.charts.first?.title == "Learning curve: td3, ?, seed nan")
    }

    @Test("a compare of one policy draws its level and no forest; of three, a difference per policy after the first")
    func comparisonCharts() throws {
        func entry(_ name: String, _ mean: Double, difference: Double? = nil) -> String {
            let level = #""rewardPerUserDay": {"mean": \#(mean), "lower": \#(mean - 1), "upper": \#(mean + 1)}"#
            let paired = difference.map { #", "differenceToFirst": {"mean": \#($0), "lower": \#($0 - 0.5), "upper": \#($0 + 0.5)}"# } ?? ""
            return #"{"policy": "\#(name)", \#(level)\#(paired)}"#
        }
        let one = try JSONValue.parse(Data(#"{"kind": "compare", "seeds": [1], "sessionsPerRun": 10, "policies": [\#(entry("baseline", 5))]}"#.utf8))
        let single = try ComparisonCharts.section(one, file: "one.json", index: 0)
        #expect(single.charts.map(\.id) == ["compare0-levels"] && single.summary.contains("no paired difference"))
        let three = try JSONValue.parse(Data((#"{"kind": "compare", "seeds": [1, 2], "sessionsPerRun": 10, "policies": ["#
            + [entry("baseline", 5), entry("a", 7, difference: 2), entry("b", 4, difference: -1)].joined(separator: ",") + "]}").utf8))
        let section = try ComparisonCharts.section(three, file: "three.json", index: 3)
        let forest = try #require(section.charts.first { $0.id == "compare3-forest" })
        #expect(forest.rows.map { $0["policy"]?.string } == ["a", "b"])
        #expect(forest.rows.map { $0["verdict"]?.string } == ["better than baseline", "worse than baseline"])
    }

    @Test("a missing file is named")
    func missingFile() {
        #expect(throws: ReportError(file: "/no/such/file.json", "no such file")) {
            try ReportInput.recognise("/no/such/file.json")
        }
    }

    @Test("JSON values: the CLI's non-finite strings read as numbers, write as null; text is safe inside <script>")
    func jsonValues() throws {
        let value = try JSONValue.parse(Data(#"{"b": [1, 2.5, "nan", "-inf"], "a": "</script><!--", "c": true, "d": null}"#.utf8))
        #expect(value["b"]?.array?.map { $0.number?.isNaN } == [false, false, true, false])
        #expect(value["b"]?.array?[3].number == -.infinity)
        let text = value.encoded()
        #expect(text == #"{"a":"\u003c/script\u003e\u003c!--","b":[1,2.5,"nan","-inf"],"c":true,"d":null}"#)
        #expect(JSONValue.array([.number(.nan), .number(.infinity), 3, 0.25]).encoded() == "[null,null,3,0.25]")
        #expect(try JSONValue.parse(Data(text.utf8)) == value)
    }

    @Test("CSV quotes cells with commas and quotes and leaves non-finite numbers empty")
    func csv() {
        let chart = Chart(id: "c", title: "t", caption: "c", columns: ["policy", "value", "note"],
                          rows: [["policy": "fixed:1,0,0", "value": 0.5, "note": #"say "hi""#],
                                 ["policy": "baseline", "value": .number(.nan)]], spec: .null)
        #expect(ReportFiles.csv(chart) == "policy,value,note\n\"fixed:1,0,0\",0.5,\"say \"\"hi\"\"\"\nbaseline,,\n")
    }

    @Test("the page, its JSON and its CSV folder are written together; a failed write leaves nothing")
    func filesAppearWholeOrNotAtAll() throws {
        let folder = (try Self.file("x") as NSString).deletingLastPathComponent
        let chart = Chart(id: "s-c", title: "T", caption: "C", columns: ["x"], rows: [["x": 1]],
                          spec: ["data": ["values": [["x": 1]]], "mark": "point"])
        let report = Report(title: "R", sections: [ReportSection(id: "s", heading: "H", summary: "S", charts: [chart])])
        let layout = ReportFiles.Layout(page: "\(folder)/r.html")
        #expect(layout.json == "\(folder)/r.json" && layout.dataFolder == "\(folder)/r-data" && layout.dataFolderName == "r-data")
        let html = ReportPage.html(report, runtime: "window.vegaEmbed = () => Promise.resolve();", dataFolder: layout.dataFolderName,
                                   generator: "test")
        try ReportFiles.write(report, html: html, layout: layout, generator: "test")
        #expect(try String(contentsOfFile: layout.page, encoding: .utf8) == html)
        #expect(try String(contentsOfFile: "\(layout.dataFolder)/s-c.csv", encoding: .utf8) == "x\n1\n")
        let data = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: layout.json)))
        #expect(data["charts"]?.array?.first?["spec"]?["mark"] == "point")
        #expect(html.contains(#"<figure class="chart" id="chart-0" data-title="T" data-chart-id="s-c">"#))
        #expect(html.contains(#"href="r-data/s-c.csv""#))

        // Into a folder that does not exist: an error naming the page, and no file of the report anywhere.
        let missing = ReportFiles.Layout(page: "\(folder)/absent/r.html")
        #expect(throws: ReportError.self) { try ReportFiles.write(report, html: html, layout: missing, generator: "test") }
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/absent"))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(names == ["input.json", "r-data", "r.html", "r.json"])
    }
}
