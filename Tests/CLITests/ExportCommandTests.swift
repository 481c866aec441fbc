import Foundation
import Testing

/// `mtfsim export`: the log is checked before Python is involved, and a Python without the mtfsim package gets
/// one line saying how to install it (status 69, EX_UNAVAILABLE).
@Suite struct ExportCommandTests {
    /// The repository's `python/` directory (the package's source).
    static let packageDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("python")

    /// A small log of the tiny world.
    func tinyLog(in directory: URL) throws -> URL {
        let log = directory.appendingPathComponent("tiny.sqlite")
        let result = try CLI.run(["simulate", "--env", "tiny", "--sessions", "40", "--seed", "2", "--log", log.path,
                                  "--json"], in: directory)
        try #require(result.succeeded, "\(result)")
        return log
    }

    /// A shell script that runs python3 isolated and without site-packages: a Python that cannot have mtfsim.
    func barePython(in directory: URL) throws -> URL {
        let script = directory.appendingPathComponent("bare-python")
        try Data("#!/bin/sh\nexec python3 -I -S \"$@\"\n".utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return script
    }

    /// Whether `python3` on PATH can import mtfsim (then it cannot serve as the Python lacking it).
    func systemPythonHasPackage() -> Bool {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import mtfsim.export"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return true }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }

    func expectUnavailable(_ result: CLI.Result, python: String) {
        #expect(!result.signalled && result.status == 69, "expected exit 69: \(result)")
        let lines = LogCheck.lines(result.stderr)
        #expect(lines.count == 1, "expected a one-line error: \(result)")
        let line = lines.first.map(String.init) ?? ""
        #expect(line.contains("pip install ./python"), "the error does not say how to install the package: \(result)")
        #expect(line.contains("not importable") && line.contains(python), "the error does not name \(python): \(result)")
    }

    @Test func aPythonWithoutThePackageIsToldHowToInstallIt() throws {
        try withTemporaryDirectory { directory in
            let log = try tinyLog(in: directory)
            let out = directory.appendingPathComponent("out.parquet")
            let bare = try barePython(in: directory)
            let viaOption = try CLI.run(["export", log.path, "--to", "parquet", out.path, "--python", bare.path], in: directory)
            expectUnavailable(viaOption, python: bare.path)
            let viaEnvironment = try CLI.run(["export", log.path, "--to", "parquet", out.path], in: directory,
                                             environment: ["MTFSIM_PYTHON": bare.path])
            expectUnavailable(viaEnvironment, python: bare.path)
            if !systemPythonHasPackage() {  // plain python3, as a user without the package has it
                let plain = try CLI.run(["export", log.path, "--to", "minari", directory.path], in: directory,
                                        environment: ["MTFSIM_PYTHON": "python3"])
                expectUnavailable(plain, python: "python3")
            }
            #expect(!FileManager.default.fileExists(atPath: out.path))

            let missing = try CLI.run(["export", log.path, "--to", "parquet", out.path, "--python",
                                       directory.appendingPathComponent("no-such-python").path], in: directory)
            #expect(missing.status == 69 && LogCheck.lines(missing.stderr).count == 1, "\(missing)")
            #expect(missing.stderr.contains("no-such-python"), "\(missing)")
        }
    }

    @Test func aFileThatIsNotALogIsRefusedBeforePythonRuns() throws {
        try withTemporaryDirectory { directory in
            let text = directory.appendingPathComponent("notes.txt")
            try Data("These are notes, not an episode log.\n".utf8).write(to: text)
            let out = directory.appendingPathComponent("out.parquet")
            // The bare Python would fail with 69: the refusal must come first, from the log check.
            let result = try CLI.run(["export", text.path, "--to", "parquet", out.path, "--python",
                                      try barePython(in: directory).path], in: directory)
            #expect(!result.succeeded && !result.signalled && result.status != 69, "\(result)")
            let lines = LogCheck.lines(result.stderr)
            #expect(lines.count == 1, "expected a one-line error: \(result)")
            #expect(lines.first?.contains(text.path) == true && lines.first?.contains("not a SQLite database") == true,
                    "\(result)")
            #expect(!FileManager.default.fileExists(atPath: out.path))

            let missing = try CLI.run(["export", directory.appendingPathComponent("absent.sqlite").path, "--to",
                                       "parquet", out.path], in: directory)
            #expect(!missing.succeeded && LogCheck.lines(missing.stderr).count == 1, "\(missing)")
            #expect(missing.stderr.contains("absent.sqlite"), "\(missing)")
        }
    }

    @Test func aBadRunOrOptionIsRefused() throws {
        try withTemporaryDirectory { directory in
            let log = try tinyLog(in: directory)
            let out = directory.appendingPathComponent("out.parquet")
            let noRun = try CLI.run(["export", log.path, "--to", "parquet", out.path, "--run", "7"], in: directory)
            #expect(!noRun.succeeded && noRun.stderr.contains("no run 7"), "\(noRun)")
            let idOutsideMinari = try CLI.run(["export", log.path, "--to", "parquet", out.path, "--dataset-id", "a/b-v0"],
                                              in: directory)
            #expect(idOutsideMinari.status == 64, "\(idOutsideMinari)")
        }
    }

    /// With `MTFSIM_TEST_PYTHON` naming a Python that has numpy and pyarrow, the export runs the package from the
    /// repository's `python/` and writes the Parquet file.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MTFSIM_TEST_PYTHON"] != nil))
    func exportsParquetThroughPython() throws {
        let python = ProcessInfo.processInfo.environment["MTFSIM_TEST_PYTHON"]!
        try withTemporaryDirectory { directory in
            let log = try tinyLog(in: directory)
            let out = directory.appendingPathComponent("tiny.parquet")
            let result = try CLI.run(["export", log.path, "--to", "parquet", out.path, "--python", python], in: directory,
                                     environment: ["PYTHONPATH": Self.packageDirectory.path])
            #expect(result.succeeded, "\(result)")
            #expect(result.stdout.contains("steps → Parquet"), "\(result)")
            #expect(FileManager.default.fileExists(atPath: out.path))
        }
    }
}
