import EpisodeLog
import Foundation
import Testing

/// Files that are not (whole) logs, and existing logs given as a new `--log`, are refused with one line naming
/// the file, and left byte-for-byte unchanged.
@Suite struct RefusalTests {
    /// Runs `arguments`, expects a non-zero exit with a one-line error naming `file`, and `file` unchanged
    /// (and no `-wal`/`-shm`/`-journal` created next to it).
    func expectRefusal(_ arguments: [String], file: URL, mentioning words: [String] = [], in directory: URL) throws {
        let before = try LogCheck.bytes(file)
        let sidecars = ["-wal", "-shm", "-journal"].filter { !FileManager.default.fileExists(atPath: file.path + $0) }
        let result = try CLI.run(arguments, in: directory)
        #expect(!result.succeeded && !result.signalled, "\(result)")
        let lines = LogCheck.lines(result.stderr)
        #expect(lines.count == 1, "expected a one-line error: \(result)")
        let line = lines.first.map(String.init) ?? ""
        #expect(line.contains(file.path), "the error does not name \(file.path): \(result)")
        for word in words {
            #expect(line.contains(word), "the error does not say \"\(word)\": \(result)")
        }
        #expect(try LogCheck.bytes(file) == before, "\(file.path) was modified by: \(result)")
        for suffix in sidecars {
            #expect(!FileManager.default.fileExists(atPath: file.path + suffix), "\(file.path)\(suffix) created by: \(result)")
        }
    }

    @Test func inspectRefusesATextFile() throws {
        try withTemporaryDirectory { directory in
            let text = directory.appendingPathComponent("notes.txt")
            try Data("These are notes, not an episode log.\n".utf8).write(to: text)
            try expectRefusal(["inspect", text.path], file: text, mentioning: ["not a SQLite database"], in: directory)
            try expectRefusal(["inspect", "--json", text.path], file: text, in: directory)
        }
    }

    @Test func inspectRefusesATruncatedCopyAndSimulateRefusesAnExistingLog() throws {
        try withTemporaryDirectory { directory in
            let log = directory.appendingPathComponent("small.sqlite")
            let result = try CLI.run(["simulate", "--env", "tiny", "--sessions", "200", "--seed", "3",
                                      "--threads", "2", "--log", log.path, "--json"], in: directory)
            try #require(result.succeeded, "\(result)")
            #expect(!FileManager.default.fileExists(atPath: log.path + "-wal"), "a finished run left its -wal")

            let whole = try LogCheck.bytes(log)
            try #require(whole.count >= 8192, "the log is only \(whole.count) bytes")
            for keep in [whole.count / 2, whole.count - 512] {
                let cut = directory.appendingPathComponent("cut-\(keep).sqlite")
                try whole.prefix(keep).write(to: cut)
                try expectRefusal(["inspect", cut.path], file: cut, mentioning: ["truncated"], in: directory)
            }

            let digest = try LogCheck.digest(log)
            try expectRefusal(["simulate", "--env", "tiny", "--sessions", "50", "--log", log.path], file: log,
                              mentioning: ["already exists"], in: directory)
            #expect(try LogCheck.digest(log) == digest)

            // A text file is not overwritten either.
            let text = directory.appendingPathComponent("keep.txt")
            try Data("keep me\n".utf8).write(to: text)
            try expectRefusal(["simulate", "--env", "tiny", "--sessions", "50", "--log", text.path], file: text,
                              mentioning: ["already exists"], in: directory)
        }
    }
}
