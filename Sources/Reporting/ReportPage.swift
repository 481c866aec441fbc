import Foundation

/// The report as one self-contained HTML page: the Vega-Lite specifications with their data, and the JavaScript
/// that draws them (Vega, Vega-Lite and vega-embed, inlined), so that it opens offline with no network request.
///
/// A Content-Security-Policy of `default-src 'none'` makes the "no network request" promise hold in the browser
/// too: scripts and styles run inline, images only from `data:`; Vega needs `unsafe-eval` for its expressions.
/// Every chart is a `figure.chart` whose `div.vega` vega-embed fills with SVG; when all have been drawn (or failed)
/// the page sets `window.mtfsimReport = {done, charts, errors}` (what the headless-browser test waits for).
public enum ReportPage {
    public static func html(_ report: Report, runtime: String, dataFolder: String, generator: String) -> String {
        var body = ""
        var specs: [JSONValue] = []
        var contents = ""
        for section in report.sections {
            contents += "<li><a href=\"#\(escape(section.id))\">\(escape(section.heading))</a></li>"
            body += "<section id=\"\(escape(section.id))\">\n<h2>\(escape(section.heading))</h2>\n"
            body += "<p class=\"summary\">\(escape(section.summary))</p>\n"
            for chart in section.charts {
                let n = specs.count
                specs.append(chart.spec)
                let dataLink = " <a class=\"data\" href=\"\(escape(dataFolder))/\(escape(chart.id)).csv\">data (CSV)</a>"
                body += """
                <figure class="chart" id="chart-\(n)" data-title="\(escape(chart.title))" data-chart-id="\(escape(chart.id))">
                <div class="vega"></div>
                <figcaption>\(escape(chart.caption))\(dataLink)</figcaption>
                </figure>

                """
            }
            body += "</section>\n"
        }
        let csp = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:"
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(csp)">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="\(escape(generator))">
        <title>\(escape(report.title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
        h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
        .summary, figcaption { color: #444; font-size: 0.9rem; line-height: 1.4; }
        figure.chart { margin: 1.5rem 0; } figcaption { max-width: 60rem; margin-top: 0.4rem; }
        nav ul { font-size: 0.9rem; } a.data { white-space: nowrap; }
        .failed { color: #b00; }
        </style>
        </head>
        <body>
        <h1>\(escape(report.title))</h1>
        <p class="summary">Made by \(escape(generator)) with Vega-Lite; each chart's specification and data are in the JSON \
        file beside this page, its table as CSV. Hover over marks for values.</p>
        <nav><ul>\(contents)</ul></nav>
        \(body)
        <script type="application/json" id="mtfsim-charts">\(JSONValue.array(specs).encoded())</script>
        <script type="module">
        \(runtime)
        </script>
        <script type="module">
        const specs = JSON.parse(document.getElementById("mtfsim-charts").textContent);
        const errors = [];
        await Promise.all(specs.map((spec, i) =>
          vegaEmbed(`#chart-${i} .vega`, spec, {renderer: "svg", actions: false, mode: "vega-lite"}).catch((error) => {
            errors.push(`chart ${i}: ${error.message}`);
            const box = document.querySelector(`#chart-${i} .vega`);
            box.textContent = `This chart could not be drawn: ${error.message}`;
            box.className = "vega failed";
          })));
        window.mtfsimReport = {done: true, charts: specs.length, errors};
        </script>
        </body>
        </html>

        """
    }

    /// Text for HTML element content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
