/// Timing for the `bench` subcommands: warm up, then the median over several timing blocks of the
/// time per operation, on the monotonic `ContinuousClock`.
enum BenchTiming {
    /// Seconds per call of `body`: runs it for about `warmup` seconds, sizes a block to about
    /// `seconds / blocks`, and returns the median over `blocks` blocks (robust to a stray context switch).
    static func secondsPerOperation(seconds: Double, blocks: Int = 7, warmup: Double = 0.05,
                                    _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var iterations = 0
        let warmupStart = clock.now
        var warmupElapsed = 0.0
        repeat {
            body()
            iterations += 1
            warmupElapsed = (clock.now - warmupStart).seconds
        } while warmupElapsed < warmup || iterations < 2
        let perBlock = max(1, Int(seconds / Double(blocks) / (warmupElapsed / Double(iterations))))
        var samples = [Double]()
        samples.reserveCapacity(blocks)
        for _ in 0..<blocks {
            let start = clock.now
            for _ in 0..<perBlock { body() }
            samples.append((clock.now - start).seconds / Double(perBlock))
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}

/// Keeps a computed value alive so the optimiser cannot drop the work that produced it.
@inline(never) @_optimize(none)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
