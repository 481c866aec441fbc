import Foundation

/// The JavaScript that draws a report's charts: Vega, Vega-Lite and vega-embed in one bundle, from vl-convert
/// (`vl_convert.javascript_bundle()`, through the Python of `PythonInterpreter`) or from a saved file.
enum VegaRuntime {
    /// The JavaScript that draws the charts, and the library versions when vl-convert made it.
    static func load(bundle vegaBundle: String?, python: String?) throws -> (script: String, versions: String?) {
        let script: String
        var versions: String?
        if let vegaBundle {
            guard let text = try? String(contentsOfFile: vegaBundle, encoding: .utf8) else {
                throw CommandFailure("\(vegaBundle): cannot read the Vega bundle")
            }
            script = text
        } else {
            let interpreter = PythonInterpreter.find(python)
            let program = """
            import sys, vl_convert as v
            sys.stdout.write(f"Vega {v.get_vega_version()}, Vega-Lite {v.get_vegalite_versions()[-1]}, vega-embed {v.get_vega_embed_version()}\\n")
            sys.stdout.write(v.javascript_bundle())
            """
            let result = PythonInterpreter.run(interpreter, ["-c", program])
            guard result.status == 0 else {
                PythonInterpreter.unavailable("vl-convert is not usable by \(interpreter.path) (\(result.lastErrorLine)); install it with "
                                              + "`pip install vl-convert-python` (or './python[report]'), point --python or "
                                              + "MTFSIM_PYTHON at a Python that has it, or give --vega-bundle FILE")
            }
            let text = String(decoding: result.output, as: UTF8.self)
            guard let newline = text.firstIndex(of: "\n") else { throw CommandFailure("vl-convert returned no bundle") }
            versions = String(text[..<newline])
            script = String(text[text.index(after: newline)...])
        }
        guard script.contains("vegaEmbed") else {
            throw CommandFailure("\(vegaBundle ?? "vl-convert's bundle"): not a bundle of vega-embed (no vegaEmbed in it)")
        }
        guard script.range(of: "</script", options: .caseInsensitive) == nil else {
            throw CommandFailure("\(vegaBundle ?? "vl-convert's bundle"): contains </script, which cannot be inlined in the page")
        }
        return (script, versions)
    }
}
