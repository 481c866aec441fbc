import EpisodeLog
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `mtfsim` binary as a child process, with stdout and stderr captured in files (no pipe can fill
/// up and block the child).
enum CLI {
    /// What a finished child did.
    struct Result: CustomStringConvertible {
        var arguments: [String]
        /// Exit status, or the signal number when `signalled`.
        var status: Int32
        var signalled: Bool
        var stdout: String
        var stderr: String
        var seconds: Double

        var succeeded: Bool { !signalled && status == 0 }
        var description: String {
            "mtfsim \(arguments.joined(separator: " ")) → \(signalled ? "signal" : "exit") \(status) "
                + "after \(String(format: "%.2f", seconds)) s\nstdout: \(stdout.prefix(2000))\nstderr: \(stderr.prefix(2000))"
        }
    }

    struct BinaryNotFound: Error, CustomStringConvertible {
        var tried: [String]
        var description: String {
            "mtfsim binary not found (tried \(tried.joined(separator: ", "))); build it with `swift build` "
                + "or set MTFSIM_BINARY to its path"
        }
    }

    /// The `mtfsim` executable: next to the test bundle (SwiftPM builds it because CLITests depends on the
    /// executable target), else `$MTFSIM_BINARY`.
    static func binary() throws -> URL {
        var tried: [String] = []
        let sibling = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("mtfsim")
        tried.append(sibling.path)
        if FileManager.default.isExecutableFile(atPath: sibling.path) { return sibling }
        if let override = ProcessInfo.processInfo.environment["MTFSIM_BINARY"], !override.isEmpty {
            tried.append(override)
            if FileManager.default.isExecutableFile(atPath: override) { return URL(fileURLWithPath: override) }
        } else {
            tried.append("$MTFSIM_BINARY (unset)")
        }
        throw BinaryNotFound(tried: tried)
    }

    /// A started child whose output goes to files in `directory`.
    final class Child {
        let process = Process()
        let arguments: [String]
        let started = Date()
        private let stdoutURL: URL, stderrURL: URL

        /// `environment`: variables set for the child on top of this process's environment.
        init(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws {
            self.arguments = arguments
            let tag = UUID().uuidString
            stdoutURL = directory.appendingPathComponent(".stdout-\(tag)")
            stderrURL = directory.appendingPathComponent(".stderr-\(tag)")
            _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
            process.executableURL = try CLI.binary()
            process.arguments = arguments
            process.currentDirectoryURL = directory
            if !environment.isEmpty {
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
            process.standardError = try FileHandle(forWritingTo: stderrURL)
            try process.run()
        }

        var pid: pid_t { process.processIdentifier }

        /// Waits for the child and collects its output.
        func wait() -> Result {
            process.waitUntilExit()
            let seconds = Date().timeIntervalSince(started)
            func read(_ url: URL) -> String {
                let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
                try? FileManager.default.removeItem(at: url)
                return text
            }
            return Result(arguments: arguments, status: process.terminationStatus,
                          signalled: process.terminationReason == .uncaughtSignal,
                          stdout: read(stdoutURL), stderr: read(stderrURL), seconds: seconds)
        }
    }

    /// Runs `mtfsim arguments…` in `directory` to completion.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> Result {
        try Child(arguments, in: directory, environment: environment).wait()
    }
}

/// A fresh temporary directory for `body`, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("mtfsim-cli-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// Reading logs written by the child.
enum LogCheck {
    /// The file's bytes (to check that a refusal left it unchanged).
    static func bytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    /// The only run of the log at `url`.
    static func onlyRun(_ log: EpisodeLogReader) throws -> RunInfo {
        let runs = try log.runs()
        try #require(runs.count == 1, "\(log.path): expected one run, found \(runs.count)")
        return runs[0]
    }

    /// The logical digest of the only run of the log at `url`, leaving out the `runs` columns in `excluding`.
    static func digest(_ url: URL, excluding: Set<String> = []) throws -> UInt64 {
        let log = try EpisodeLogFile.open(path: url.path)
        defer { try? log.close() }
        return try log.logicalDigest(run: try onlyRun(log).id, excluding: excluding)
    }

    /// The `policy_parameters` JSON of the only run of the log at `url`.
    static func policyParameters(_ url: URL) throws -> String {
        let log = try EpisodeLogFile.open(path: url.path)
        defer { try? log.close() }
        return try onlyRun(log).metadata.policyParameters
    }

    /// Checks, with the streams, that every stored session of `run` is whole: as many steps as its `requests`
    /// (request indices 0..<requests), and as many impressions over its steps as its `impressions`; and that
    /// no step or impression lacks its session. Returns the number of sessions.
    @discardableResult
    static func expectWholeSessions(_ log: EpisodeLogReader, run: Int) throws -> Int {
        struct Key: Hashable { var episode: Int, session: Int }
        var headers: [Key: LoggedSession] = [:]
        try log.sessions(run: run, batchSize: 512).forEach { batch in
            for s in batch { headers[Key(episode: s.episode, session: s.sessionIndex)] = s }
        }
        var steps: [Key: [Int]] = [:]
        try log.steps(run: run, batchSize: 2048).forEach { batch in
            for s in batch { steps[Key(episode: s.episode, session: s.sessionIndex), default: []].append(s.step.requestIndex) }
        }
        var impressions: [Key: Int] = [:]
        var impressionsOfMissingSteps = 0
        try log.impressions(run: run, batchSize: 8192).forEach { batch in
            for i in batch {
                let key = Key(episode: i.episode, session: i.sessionIndex)
                impressions[key, default: 0] += 1
                if let header = headers[key], !(0..<header.requests).contains(i.requestIndex) {
                    impressionsOfMissingSteps += 1
                }
            }
        }
        #expect(impressionsOfMissingSteps == 0, "\(log.path): impressions of requests beyond their session's requests")
        let orphanSteps = Set(steps.keys).subtracting(headers.keys)
        let orphanImpressions = Set(impressions.keys).subtracting(headers.keys)
        #expect(orphanSteps.isEmpty, "\(log.path): \(orphanSteps.count) sessions have steps but no header")
        #expect(orphanImpressions.isEmpty, "\(log.path): \(orphanImpressions.count) sessions have impressions but no header")
        var partial: [String] = []
        for (key, header) in headers {
            let stored = steps[key] ?? []
            let shown = impressions[key] ?? 0
            if stored.sorted() != Array(0..<header.requests) || shown != header.impressions {
                partial.append("(episode \(key.episode), session \(key.session)): \(stored.count) steps of "
                               + "\(header.requests), \(shown) impressions of \(header.impressions)")
            }
        }
        #expect(partial.isEmpty, "\(log.path): \(partial.count) partial sessions, e.g. \(partial.prefix(3))")
        return headers.count
    }

    /// The lines of `text` that are not blank.
    static func lines(_ text: String) -> [Substring] {
        text.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
    }
}
