import Benchmarks
import Testing

/// The timing helpers and the rates every report derives from measured times: known answers.
@Suite struct TimingTests {
    @Test func gemmFlopsCountAMultiplyAndAnAddPerTerm() {
        #expect(BenchTiming.gemmFlops(m: 2, k: 3, n: 4) == 48)
        #expect(BenchTiming.gemmFlops(m: 1, k: 128, n: 128) == 32_768)
        #expect(BenchTiming.gemmFlops(m: 256, k: 128, n: 256) == 16_777_216)
    }

    @Test func gemmRatesFollowFromTheTimePerProduct() {
        // 100×100×100: 2·10⁶ flops in 1 µs is 2·10¹² flop/s.
        let g = NumericsBenchReport.GEMM(m: 100, k: 100, n: 100, secondsPerProduct: 1e-6)
        #expect(abs(g.gflops - 2000) < 1e-9)
        #expect(abs(g.microseconds - 1) < 1e-12)
        #expect([g.m, g.k, g.n] == [100, 100, 100])
    }

    @Test func medianIsTheMiddleSampleAndTheUpperMiddleForEvenCounts() {
        #expect(BenchTiming.median([7]) == 7)
        #expect(BenchTiming.median([3, 1, 2]) == 2)
        #expect(BenchTiming.median([4, 1, 3, 2]) == 3)
        #expect(BenchTiming.median([5, 100, 1, 2, 4]) == 4)
    }

    @Test func blocksSplitTheTimeBudgetByTheWarmUpRate() {
        #expect(BenchTiming.iterationsPerBlock(seconds: 1, blocks: 4, secondsPerIteration: 0.0625) == 4)
        #expect(BenchTiming.iterationsPerBlock(seconds: 2, blocks: 8, secondsPerIteration: 0.001) == 250)
        #expect(BenchTiming.iterationsPerBlock(seconds: 0.5, blocks: 5, secondsPerIteration: 1) == 1)
        #expect(BenchTiming.iterationsPerBlock(seconds: 1, blocks: 1, secondsPerIteration: 0) == 1)
    }

    @Test func secondsPerOperationRunsTheWarmUpAndEveryBlock() {
        var calls = 0
        let seconds = BenchTiming.secondsPerOperation(seconds: 0.002, blocks: 3, warmup: 0) { calls += 1 }
        #expect(seconds > 0 && seconds.isFinite)
        #expect(calls >= 2 + 3, "at least two warm-up calls and one call per block, got \(calls)")
    }

    @Test func measureReturnsTheValueAndANonNegativeTime() {
        let (value, seconds) = BenchTiming.measure { (1...10).reduce(0, +) }
        #expect(value == 55)
        #expect(seconds >= 0)
    }
}

/// The derived fields of the reports, from made-up measurements.
@Suite struct ReportTests {
    @Test func simulateRowIsTheMedianRateTimesTheSlate() {
        let row = SimulateBenchReport.Row(threads: 2, requests: 900, requestsPerSecondSamples: [100, 300, 200], slateSize: 6)
        #expect(row.requestsPerSecond == 200)
        #expect(row.impressionsPerSecond == 1200)
        let other = SimulateBenchReport.Row(threads: 1, requests: 900, requestsPerSecondSamples: [50], slateSize: 6)
        let report = SimulateBenchReport(environment: "e", candidates: 10, slateSize: 6, tasks: 3, cores: 2, rows: [other, row])
        #expect(report.speedUps == [1, 4])
    }

    @Test func logReportCountsEveryRowAndTheOverheadIsTheLostShare() {
        let counts = LogBenchReport.Counts(sessions: 10, steps: 40, impressions: 200)
        #expect(counts.rowsPerImpression == 1.25)
        let report = LogBenchReport(environment: "e", counts: counts, fileBytes: 4096,
                                    writerImpressionsPerSecond: [1000, 3000, 2000],
                                    simulateRequestsPerSecondWithoutLog: [100, 120, 110],
                                    simulateRequestsPerSecondWithLog: [99, 88, 77],
                                    simulateRequestsPerSecondWithInlineLog: [70, 90, 80], threads: 4,
                                    writerCPUSeconds: [0.0004, 0.0002, 0.0003],
                                    simulateCPUSecondsWithoutLog: [2, 1, 3], simulateCPUSecondsWithLog: [3.5, 2.5, 3],
                                    simulateCPUSecondsWithInlineLog: [2.2, 2.4, 2.6])
        #expect(report.writerImpressionsPerSecond == 2000)
        #expect(report.writerRowsPerSecond == 2500)
        #expect(report.simulateRequestsPerSecondWithoutLog == 110)
        #expect(report.simulateRequestsPerSecondWithLog == 88)
        #expect(abs(report.loggingOverhead - 0.2) < 1e-12)
        #expect([report.sessions, report.steps, report.impressions] == [10, 40, 200])
        #expect(abs(report.writerCPUMicrosecondsPerImpression - 1.5) < 1e-9)
        #expect(abs(report.loggingCPUShare - 0.5) < 1e-12)
        #expect(report.simulateRequestsPerSecondWithInlineLog == 80)
        #expect(abs(report.inlineLoggingCPUShare - 0.2) < 1e-12)
    }

    @Test func rankerRatesFollowFromTheTimes() {
        let report = RankerBenchReport(parameters: 1, batch: 1024, blasCore: "x", blasThreads: 1,
                                       secondsPerTrainingStep: 0.1, secondsPerScoring: 0.01, simulation: nil)
        #expect(abs(report.trainingSamplesPerSecond - 10_240) < 1e-6)
        #expect(abs(report.scoringSamplesPerSecond - 102_400) < 1e-6)
        #expect(abs(report.trainingStepMilliseconds - 100) < 1e-9)
        #expect(abs(report.scoringMilliseconds - 10) < 1e-9)
    }

    @Test func rankerSimulationRowSharesTimeAndFlops() {
        // 1000 requests in 2 s on 2 threads, 1 s of it in the ranker, 10⁶ FLOPs per request, GEMM at 10 GFLOP/s.
        let row = RankerBenchReport.Simulation.Row(threads: 2, requests: 1000, wallSeconds: 2, rankerSeconds: 1,
                                                   flopsPerRequest: 1_000_000, gemmGFLOPS: 10)
        #expect(row.requestsPerSecond == 500)
        #expect(row.rankerTimeShare == 0.25)
        #expect(abs(row.rankerGFLOPSPerThread - 1) < 1e-12)
        #expect(abs(row.fractionOfGEMMRate - 0.1) < 1e-12)
        #expect(RankerBenchReport.Simulation.flopsPerRequest(flopsPerCandidate: 3000, candidates: 200) == 600_000)
    }
}
