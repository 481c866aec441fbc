import Foundation
import Numerics

/// Timing for the benchmarks: warm up, then the median over several timing blocks of the time per operation,
/// on the monotonic `ContinuousClock`.
public enum BenchTiming {
    /// Seconds per call of `body`: runs it for about `warmup` seconds (and at least twice), sizes a block to about
    /// `seconds / blocks`, and returns the median over `blocks` blocks (robust to a stray context switch).
    public static func secondsPerOperation(seconds: Double, blocks: Int = 7, warmup: Double = 0.05,
                                           _ body: () -> Void) -> Double {
        precondition(blocks > 0, "BenchTiming: blocks must be positive")
        let clock = ContinuousClock()
        var iterations = 0
        let warmupStart = clock.now
        var warmupElapsed = 0.0
        repeat {
            body()
            iterations += 1
            warmupElapsed = (clock.now - warmupStart).seconds
        } while warmupElapsed < warmup || iterations < 2
        let perBlock = iterationsPerBlock(seconds: seconds, blocks: blocks,
                                          secondsPerIteration: warmupElapsed / Double(iterations))
        var samples = [Double]()
        samples.reserveCapacity(blocks)
        for _ in 0..<blocks {
            let start = clock.now
            for _ in 0..<perBlock { body() }
            samples.append((clock.now - start).seconds / Double(perBlock))
        }
        return median(samples)
    }

    /// Calls per timing block: `seconds / blocks` divided by the warm-up's time per call, at least 1.
    public static func iterationsPerBlock(seconds: Double, blocks: Int, secondsPerIteration: Double) -> Int {
        let calls = seconds / Double(blocks) / secondsPerIteration
        guard calls.isFinite else { return 1 }
        return max(1, Int(min(calls, Double(Int.max / 2))))
    }

    /// The median of `samples` as one of the samples: the middle of the sorted values, the upper middle for an
    /// even count (a measured time, never an average of two).
    public static func median(_ samples: [Double]) -> Double {
        precondition(!samples.isEmpty, "BenchTiming.median: no samples")
        return samples.sorted()[samples.count / 2]
    }

    /// Wall-clock seconds that `body` takes, with its result.
    public static func measure<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let value = try body()
        return (value, (clock.now - start).seconds)
    }

    /// CPU seconds (user + system) consumed so far by the calling thread (`CLOCK_THREAD_CPUTIME_ID`), or by the
    /// whole process (`RUSAGE_SELF`, every thread): unlike wall time, they do not grow when other work shares the
    /// cores, so a cost measured in them holds on a busy machine.
    public static func cpuSeconds(_ scope: CPUScope) -> Double {
        switch scope {
        case .thread:
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
        case .process:
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
            return seconds(usage.ru_utime) + seconds(usage.ru_stime)
        }
    }

    /// Whose CPU time `cpuSeconds` reads.
    public enum CPUScope: Sendable { case thread, process }

    /// Wall-clock and CPU seconds (`scope`) that `body` takes, with its result.
    public static func measureCPU<T>(_ scope: CPUScope, _ body: () throws -> T) rethrows
        -> (value: T, seconds: Double, cpuSeconds: Double) {
        let cpuStart = cpuSeconds(scope)
        let (value, seconds) = try measure(body)
        return (value, seconds, cpuSeconds(scope) - cpuStart)
    }

    /// Floating-point operations of one product `C ← A·B` with `A: M×K`, `B: K×N`: a multiply and an add per
    /// term, `2·M·N·K`.
    public static func gemmFlops(m: Int, k: Int, n: Int) -> Int { 2 * m * n * k }
}

/// Keeps a computed value alive so the optimiser cannot drop the work that produced it.
@inline(never) @_optimize(none)
public func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
