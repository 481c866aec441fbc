import EpisodeLog
import Foundation
import Numerics
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `mtfsim simulate` killed with SIGKILL at random moments leaves a readable log of whole sessions, and
/// `--resume` (with another thread count) finishes it to exactly the log of an uninterrupted run.
@Suite struct KillResumeTests {
    /// Small enough for debug builds: the logical digest of a 3000-session tiny log takes ~8 s in debug.
    static let sessions = 1500
    static let kills = 4

    func simulateArguments(log: URL) -> [String] {
        ["simulate", "--env", "tiny", "--sessions", "\(Self.sessions)", "--seed", "5", "--threads", "2",
         "--log", log.path]
    }

    @Test func sigkillAtRandomMomentsThenResumeGivesTheUninterruptedLog() throws {
        try withTemporaryDirectory { directory in
            let reference = directory.appendingPathComponent("ref.sqlite")
            let uninterrupted = try CLI.run(simulateArguments(log: reference), in: directory)
            try #require(uninterrupted.succeeded, "\(uninterrupted)")
            let referenceDigest = try LogCheck.digest(reference)

            var rng = RandomStream(seed: 0x6b11_5eed)
            let longest = max(0.2, uninterrupted.seconds)
            var outcomes: [String] = [], changedByRefusedResume: [String] = []
            for k in 0..<Self.kills {
                let delay = Double.random(in: 0.1...longest, using: &rng)
                let path = directory.appendingPathComponent("kill\(k).sqlite")
                let child = try CLI.Child(simulateArguments(log: path), in: directory)
                Thread.sleep(forTimeInterval: max(0, delay - Date().timeIntervalSince(child.started)))
                if child.process.isRunning { _ = kill(child.pid, SIGKILL) }
                let result = child.wait()
                let killed = result.signalled
                if killed {
                    #expect(result.status == SIGKILL, "\(result)")
                } else {
                    #expect(result.succeeded, "the child finished before the kill but failed: \(result)")
                }
                let outcome = String(format: "kill %d at %.2f s: ", k, delay)

                guard FileManager.default.fileExists(atPath: path.path) else {
                    // Killed before `create`: nothing to check or resume.
                    #expect(killed)
                    outcomes.append(outcome + "before the log was created")
                    continue
                }

                let runStatus: RunStatus, stored: Int
                do {
                    let log = try EpisodeLogFile.open(path: path.path)
                    defer { try? log.close() }
                    try log.verifyIntegrity(full: true)
                    let runs = try log.runs()
                    guard let run = runs.first else {
                        // Killed between `create` and `beginRun`: a valid log without a run to resume.
                        #expect(killed)
                        outcomes.append(outcome + "before the run began")
                        continue
                    }
                    #expect(runs.count == 1)
                    runStatus = run.status
                    stored = try LogCheck.expectWholeSessions(log, run: run.id)
                    #expect(stored <= Self.sessions)
                    if !killed || run.status == .complete {
                        // Finished before the kill (or killed after `finishRun`, while printing).
                        #expect(run.status == .complete && stored == Self.sessions,
                                "\(path.path): status \(run.status) with \(stored) sessions")
                    } else {
                        #expect(run.status == .running, "\(path.path): a killed run is \(run.status)")
                    }
                }
                outcomes.append(outcome + "\(killed ? "killed" : "had finished"), \(runStatus.rawValue) with "
                                + "\(stored) of \(Self.sessions) sessions")

                if runStatus != .complete {
                    let resumed = try CLI.run(["simulate", "--resume", path.path, "--threads", "1"], in: directory)
                    #expect(resumed.succeeded, "\(resumed)")
                    let log = try EpisodeLogFile.open(path: path.path)
                    defer { try? log.close() }
                    try log.verifyIntegrity(full: true)
                    let run = try LogCheck.onlyRun(log)
                    #expect(run.status == .complete)
                    #expect(try LogCheck.expectWholeSessions(log, run: run.id) == Self.sessions)
                }
                #expect(try LogCheck.digest(path) == referenceDigest,
                        "\(path.path) after resume differs from the uninterrupted run")

                // Resuming the now complete log again is refused with one clear line and changes nothing: neither the
                // file nor its write-ahead log (which still holds the last commits when the writer was killed after
                // finishing but before closing; a read-only look may also leave an empty one).
                let walSize = { (try? FileManager.default.attributesOfItem(atPath: path.path + "-wal")[.size] as? Int) ?? 0 }
                let walBefore = walSize()
                let before = try LogCheck.bytes(path)
                let again = try CLI.run(["simulate", "--resume", path.path, "--threads", "1"], in: directory)
                #expect(!again.succeeded && !again.signalled, "\(again)")
                let lines = LogCheck.lines(again.stderr)
                #expect(lines.count == 1 && lines[0].contains(path.path) && lines[0].contains("nothing to resume"),
                        "\(again)")
                if try LogCheck.bytes(path) != before { changedByRefusedResume.append(path.lastPathComponent) }
                #expect(walSize() == walBefore)
            }
            #expect(changedByRefusedResume.isEmpty,
                    "a refused `simulate --resume` of a complete log changed \(changedByRefusedResume)")
            print("KillResumeTests: uninterrupted run of \(Self.sessions) sessions "
                  + "\(String(format: "%.2f", uninterrupted.seconds)) s; " + outcomes.joined(separator: "; "))
        }
    }
}
