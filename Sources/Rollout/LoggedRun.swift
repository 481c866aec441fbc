import EpisodeLog
import Foundation
import Simulator

/// One run of an episode log being written, and its lifecycle: a new file and run (`create`), or the newest
/// interrupted run of a log reopened (`resume`); sessions appended whole; the run finished `complete`, or marked
/// `interrupted` when the work fails; the file closed.
///
/// `simulate` and `train` write their logs through it, so that a failure always leaves whole sessions and a run that
/// says it did not finish, and a resumed run skips what was already committed.
public struct LoggedRun: Sendable {
    /// The log file.
    public let path: String
    public let writer: EpisodeLogWriter
    /// The run being written (its status as when it was opened).
    public let run: RunInfo
    /// Sessions already in the file for this run (a resumed run's committed sessions), skipped by `append`.
    public let committed: Set<SessionKey>

    /// A log asked to resume that has nothing to resume, or to discard that has nothing to discard.
    public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Creates the log file `path` (and its folder; an existing file is never overwritten) and begins a run of
    /// `metadata` in it.
    public static func create(path: String, metadata: RunMetadata) throws -> LoggedRun {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let writer = try EpisodeLogFile.create(path: path)
        let id: Int
        do {
            id = try writer.beginRun(metadata)
        } catch {
            try? writer.close()
            throw error
        }
        return LoggedRun(path: path, writer: writer,
                         run: RunInfo(id: id, metadata: metadata, status: .running, createdAt: Date(), finishedAt: nil),
                         committed: [])
    }

    /// Reopens the newest run of `path` that did not complete, to continue it where it stopped.
    ///
    /// The log is first read through a read-only connection: a log without such a run is refused (`Refusal`) and
    /// left untouched, byte for byte.
    public static func resume(path: String) throws -> LoggedRun {
        let nothing = Refusal(description: "\(path): every run in this log is complete; nothing to resume")
        guard try !unfinishedRuns(path: path).isEmpty else { throw nothing }
        let writer = try EpisodeLogFile.openForWriting(path: path, legacyStepTiming: SimulationLog.legacyStepTiming)
        do {
            guard let run = try writer.unfinishedRuns().last else { throw nothing }
            let committed = try writer.committedSessionKeys(run: run.id)
            let resumed = try writer.resumeRun(run.id)
            return LoggedRun(path: path, writer: writer, run: resumed, committed: committed)
        } catch {
            try? writer.close()
            throw error
        }
    }

    /// The runs of `path` that did not complete, read through a read-only connection.
    public static func unfinishedRuns(path: String) throws -> [RunInfo] {
        let reader = try EpisodeLogFile.open(path: path, check: .none)
        defer { try? reader.close() }
        return try reader.runs().filter { $0.status != .complete }
    }

    /// Deletes every run of `path` that did not complete, with what it logged; returns them. A log without one is
    /// refused (`Refusal`) and left untouched.
    public static func discardUnfinishedRuns(path: String) throws -> [RunInfo] {
        guard try !unfinishedRuns(path: path).isEmpty else { throw Refusal(description: "\(path): no interrupted run to discard") }
        let writer = try EpisodeLogFile.openForWriting(path: path, legacyStepTiming: SimulationLog.legacyStepTiming)
        let unfinished: [RunInfo]
        do {
            unfinished = try writer.unfinishedRuns()
            for run in unfinished { try writer.discardRun(run.id) }
        } catch {
            try? writer.close()
            throw error
        }
        try writer.close()
        return unfinished
    }

    /// The world the run is simulated in, rebuilt from its metadata as `replay` does (`Replay.world(of:path:)`).
    public func world() throws -> World {
        try Replay.world(of: run, path: path)
    }

    /// Appends whole sessions in one transaction, leaving out those already committed.
    public func append(_ sessions: [SessionRecord]) throws {
        let fresh = committed.isEmpty ? sessions : sessions.filter { !committed.contains($0.key) }
        if !fresh.isEmpty { try writer.append(sessions: fresh) }
    }

    /// Runs `simulation` and logs its sessions (`SimulationLog.run`: on a writer thread, or on the simulation
    /// threads with `writes: .inline`), leaving out those already committed.
    public func simulate(_ simulation: Simulation, options: Simulation.Options,
                         writes: SimulationLog.Writes = .writerThread) throws -> Simulation.Output {
        try SimulationLog.run(simulation, options: options, writer: writer, skip: committed, writes: writes)
    }

    /// Does `work`, then finishes the run `complete` and closes the file; when `work` (or finishing) throws, marks
    /// the run `interrupted`, closes the file and rethrows.
    public func record<T>(_ work: (LoggedRun) throws -> T) throws -> T {
        let result: T
        do {
            result = try work(self)
            try writer.finishRun()
        } catch {
            try? writer.finishRun(status: .interrupted)
            try? writer.close()
            throw error
        }
        try writer.close()
        return result
    }
}
