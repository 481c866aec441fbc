#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Progress of long work on standard error: a redrawn bar on a terminal, a plain line every tenth otherwise.
/// Thread-safe: workers report from any thread.
final class ProgressReporter: @unchecked Sendable {
    private let total: Int
    private let unit: String
    private let interactive: Bool
    private let start = Date()
    private let lock = NSLock()
    private var lastTenth = -1
    private var lastDraw = Date.distantPast
    private var finished = false

    init(total: Int, unit: String, enabled: Bool = true) {
        self.total = max(total, 1)
        self.unit = unit
        interactive = enabled && isatty(STDERR_FILENO) != 0
        if !enabled { finished = true }
    }

    /// Records that `done` of `total` units are complete.
    func update(_ done: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        let fraction = min(Double(done) / Double(total), 1)
        if interactive {
            let now = Date()
            guard now.timeIntervalSince(lastDraw) > 0.1 || done >= total else { return }
            lastDraw = now
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let rate = Double(done) / max(now.timeIntervalSince(start), 1e-9)
            FileHandle.standardError.write(Data("\r\(bar) \(done)/\(total) \(unit) (\(Int(rate))/s)  ".utf8))
        } else {
            let tenth = Int(fraction * 10)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            FileHandle.standardError.write(Data("\(done)/\(total) \(unit) (\(tenth * 10)%)\n".utf8))
        }
    }

    /// Prints `line` on standard error above the bar (which is redrawn by the next update).
    func note(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data(((interactive && !finished ? "\r\u{1B}[K" : "") + line + "\n").utf8))
        lastDraw = .distantPast
    }

    /// Ends the bar (a newline on a terminal).
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if interactive && !finished { FileHandle.standardError.write(Data("\n".utf8)) }
        finished = true
    }
}
