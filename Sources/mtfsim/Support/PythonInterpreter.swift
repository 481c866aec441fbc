import Foundation

/// The Python that commands delegating to Python packages run (`export`: the mtfsim package; `report`:
/// vl-convert's Vega bundle): `--python`, else `$MTFSIM_PYTHON`, else `python3` on PATH.
enum PythonInterpreter {
    /// Exit status when Python or a package it needs is missing (`EX_UNAVAILABLE` of sysexits.h).
    static let unavailableStatus: Int32 = 69

    /// The interpreter: `--python`, else `$MTFSIM_PYTHON`, else `python3`; a name without `/` is looked up on PATH.
    static func find(_ option: String?) -> URL {
        let environment = ProcessInfo.processInfo.environment
        let given = option ?? environment["MTFSIM_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        let source = option != nil ? "--python" : (environment["MTFSIM_PYTHON"].map { !$0.isEmpty } ?? false) ? "MTFSIM_PYTHON" : "the default"
        let fm = FileManager.default
        if given.contains("/") {
            if fm.isExecutableFile(atPath: given) { return URL(fileURLWithPath: given) }
            unavailable("Python interpreter \(given) (\(source)) is not an executable file; install Python 3 or give its path with --python")
        }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(given)
            if fm.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        unavailable("Python interpreter \(given) (\(source)) not found on PATH; install Python 3 or give its path with --python or MTFSIM_PYTHON")
    }

    /// Runs `interpreter` with `arguments`, returning its exit status, standard output and the last line of its
    /// standard error (for a one-line message).
    static func run(_ interpreter: URL, _ arguments: [String]) -> (status: Int32, output: Data, lastErrorLine: String) {
        let process = Process()
        process.executableURL = interpreter
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            unavailable("cannot run \(interpreter.path): \(error.localizedDescription)")
        }
        // Standard error is drained on another thread so that neither pipe can fill while the other is read.
        nonisolated(unsafe) var errorData = Data()
        let drained = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            errorData = errors.fileHandleForReading.readDataToEndOfFile()
            drained.signal()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        let text = String(decoding: errorData, as: UTF8.self)
        let last = text.split(whereSeparator: \.isNewline).last.map(String.init)
            ?? (process.terminationReason == .uncaughtSignal ? "killed by signal \(process.terminationStatus)" : "exit \(process.terminationStatus)")
        let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        return (status, data, last)
    }

    /// Prints `line` as the command's one error line and exits with `unavailableStatus`.
    static func unavailable(_ line: String) -> Never {
        printError("Error: \(line)")
        Foundation.exit(unavailableStatus)
    }
}
