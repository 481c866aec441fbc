import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Numerics
import Reporting

/// `mtfsim report`: charts of episode logs and of train, train-offline, compare and evaluate outputs, in one
/// self-contained HTML page (Vega-Lite, drawn by Vega in the browser), with the data beside it.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw episode logs and train / compare / evaluate results as one self-contained HTML page.",
        discussion: """
        Inputs, recognised by their content:
          episode log          (any `simulate`/`train` log) per run: feedback rates against the environment's \
        calibration targets with their tolerance bands, session targets, feedback by slate position, session depth, \
        return gaps and KuaiRand's gap bins, reward per user-day across episodes, and the fusion weights the policy \
        used by a state feature (--weights-by, default the request index in the session).
          train --json, train-offline --json
                               the learning curve with its 95% intervals, the baseline as a reference line, and \
        the CEM line when a `train --agent cem --json` output of the same environment is among the inputs.
          compare --json       a forest plot of every policy's paired difference to the first, and the levels.
          evaluate --truth --json
                               every estimate against the truth with intervals and the diagonal, and the selection \
        metrics (Spearman's ρ, normalised regret).

        The page (OUT) opens offline and makes no network request: Vega, Vega-Lite and vega-embed are inlined, \
        taken from the vl-convert Python package (`pip install './python[report]'` or `pip install \
        vl-convert-python`) through --python, $MTFSIM_PYTHON or python3; or from a saved bundle, --vega-bundle FILE \
        (make one with `python -c "import vl_convert; print(vl_convert.javascript_bundle())" > vega.js`). Beside \
        OUT go NAME.json (every chart's Vega-Lite specification with its data, for Altair and friends) and \
        NAME-data/*.csv (each chart's table). A bad input stops the report with one line naming it; nothing is \
        written then.

        Examples:
          mtfsim report logs/short-video-seed1.sqlite --out report.html
          mtfsim train --agent sac --json --out models/sac.ckpt > sac.json
          mtfsim train --agent cem --json --out models/cem.ckpt > cem.json
          mtfsim report sac.json cem.json compare.json evaluate.json --out results.html
        """
    )

    @Argument(help: ArgumentHelp("Episode logs and JSON outputs of train, train-offline, compare and evaluate.", valueName: "input"))
    var inputs: [String]

    @Option(help: ArgumentHelp("Where to write the page (an .html file); its data goes beside it.", valueName: "file"))
    var out: String

    @Option(name: .customLong("weights-by"),
            help: ArgumentHelp("The state feature the fusion weights are drawn against: requestIndex or a state name of the log's runs.",
                               valueName: "feature"))
    var weightsBy = EpisodeLogStatistics.requestIndexFeature

    @Option(name: .customLong("vega-bundle"),
            help: ArgumentHelp("A saved JavaScript bundle of Vega, Vega-Lite and vega-embed (default: made by vl-convert in Python).",
                               valueName: "file"))
    var vegaBundle: String?

    @Option(help: ArgumentHelp("The Python interpreter that has vl-convert (default: $MTFSIM_PYTHON, else python3).", valueName: "path"))
    var python: String?

    @Flag(help: "Print what was written as JSON: the page, its data files and every chart's id, title and section.")
    var json = false

    /// What `--json` prints.
    struct Written: Encodable {
        struct ChartEntry: Encodable {
            var id: String
            var title: String
            var section: String
            var csv: String
        }
        var page: String
        var json: String
        var dataFolder: String
        var pageBytes: Int
        var charts: [ChartEntry]
    }

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one input: an episode log or a JSON output") }
        // The page and the JSON beside it must not overwrite an input (`report compare.json --out compare.html`).
        let layout = ReportFiles.Layout(page: out)
        let standard = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        for written in [layout.page, layout.json] where inputs.map(standard).contains(standard(written)) {
            throw ValidationError("--out \(out) would write \(written), which is one of the inputs; choose another name")
        }
    }

    func run() throws {
        // A bar on a terminal only: a report takes seconds, and scripts want its one result line.
        let progress = ProgressReporter(total: inputs.count, unit: "inputs", enabled: isatty(STDERR_FILENO) != 0)
        let report: Report
        do {
            report = try ReportBuilder(inputs: inputs, weightsBy: weightsBy).build(progress: { progress.update($0) })
        } catch {
            progress.finish()
            throw CommandFailure(error.description)
        }
        progress.finish()
        let (runtime, versions) = try VegaRuntime.load(bundle: vegaBundle, python: python)
        let generator = "mtfsim \(MTFSimVersion.string) report" + (versions.map { " (\($0))" } ?? "")
        let layout = ReportFiles.Layout(page: out)
        let html = ReportPage.html(report, runtime: runtime, dataFolder: layout.dataFolderName, generator: generator)
        do {
            try ReportFiles.write(report, html: html, layout: layout, generator: generator)
        } catch {
            throw CommandFailure(error.description)
        }
        if json {
            let charts = report.sections.flatMap { section in
                section.charts.map { Written.ChartEntry(id: $0.id, title: $0.title, section: section.heading,
                                                        csv: "\(layout.dataFolder)/\($0.id).csv") }
            }
            print(try JSONOutput.encode(Written(page: layout.page, json: layout.json, dataFolder: layout.dataFolder,
                                                pageBytes: html.utf8.count, charts: charts)))
            return
        }
        print("\(out): \(report.charts.count) charts from \(inputs.count) input\(inputs.count == 1 ? "" : "s"); "
              + "data in \(layout.json) and \(layout.dataFolder)/")
    }
}
