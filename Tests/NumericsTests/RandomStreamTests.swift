import Numerics
import TestSupport
import Testing

@Suite("Random streams")
struct RandomStreamTests {
    @Test func xoshiroKnownAnswers() {
        // Reference outputs of Blackman & Vigna's xoshiro256starstar.c from s = {1, 2, 3, 4}.
        var stream = RandomStream(state: (1, 2, 3, 4))
        let outputs = (0..<6).map { _ in stream.next() }
        #expect(outputs == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240,
                            1_216_172_134_540_287_360, 607_988_272_756_665_600])
    }

    @Test func splitMixKnownAnswers() {
        var seeder = SplitMix64(seed: 1_234_567)
        #expect(seeder.next() == 6_457_827_717_110_365_317)
        #expect(seeder.next() == 3_203_168_211_198_807_973)
        #expect(seeder.next() == 9_817_491_932_198_370_423)
    }

    @Test func seedingFillsStateFromSplitMix() {
        var stream = RandomStream(seed: 42)
        #expect(stream.state == (13_679_457_532_755_275_413, 2_949_826_092_126_892_291,
                                 5_139_283_748_462_763_858, 6_349_198_060_258_255_764))
        #expect(stream.next() == 1_546_998_764_402_558_742)
        #expect(stream.next() == 6_990_951_692_964_543_102)
    }

    @Test func deterministicAndResumableFromState() {
        var a = RandomStream(seed: 7, keys: 1, 2, 3)
        var b = RandomStream(seed: 7, keyPath: [1, 2, 3])
        for _ in 0..<100 { _ = a.next(); _ = b.next() }
        var c = RandomStream(state: a.state)
        for _ in 0..<1000 {
            let x = a.next()
            #expect(x == b.next())
            #expect(x == c.next())
        }
    }

    @Test func keyPathsThatDifferGiveDifferentStreams() {
        let paths: [[UInt64]] = [[], [0], [1], [0, 0], [1, 2], [2, 1], [1, 2, 0], [streamKey("response"), 1]]
        var firsts = Set<UInt64>()
        for path in paths {
            var stream = RandomStream(seed: 9, keyPath: path)
            firsts.insert(stream.next())
        }
        #expect(firsts.count == paths.count)
        #expect(streamKey("response") == streamKey("response"))
        #expect(streamKey("response") != streamKey("leave"))
    }

    @Test func derivedStreamsHaveNoSharedPrefixes() {
        var prefixes = Set<[UInt64]>()
        for user in 0..<2000 as Range<UInt64> {
            var stream = RandomStream(seed: 1, keys: streamKey("user"), user)
            prefixes.insert([stream.next(), stream.next()])
            var stream2 = RandomStream(seed: 2, keys: streamKey("user"), user)
            prefixes.insert([stream2.next(), stream2.next()])
        }
        #expect(prefixes.count == 4000)
    }

    @Test(arguments: [(UInt64(0), UInt64(1)), (5, 6), (1000, 1_000_000)])
    func neighbouringKeysAreUncorrelated(key: UInt64, otherKey: UInt64) {
        var a = RandomStream(seed: 3, keys: key)
        var b = RandomStream(seed: 3, keys: otherKey)
        var lagged = RandomStream(seed: 3, keys: key)
        _ = lagged.next()
        let n = 100_000
        var sa = RunningStatistics(), sb = RunningStatistics(), sl = RunningStatistics()
        var cross = 0.0, crossLag = 0.0
        for _ in 0..<n {
            let x = a.nextUniform(), y = b.nextUniform(), z = lagged.nextUniform()
            sa.add(x); sb.add(y); sl.add(z)
            cross += x * y
            crossLag += x * z
        }
        let correlation = (cross / Double(n) - sa.mean * sb.mean) / (sa.standardDeviation * sb.standardDeviation)
        let lagCorrelation = (crossLag / Double(n) - sa.mean * sl.mean) / (sa.standardDeviation * sl.standardDeviation)
        #expect(abs(correlation) < 0.01)
        #expect(abs(lagCorrelation) < 0.01)
        assertClose(sa.mean, 0.5, absolute: 0.005)
        assertClose(sa.variance, 1.0 / 12, absolute: 0.001)
    }

    @Test func uniformRanges() {
        var stream = RandomStream(seed: 4)
        for _ in 0..<10_000 {
            let u = stream.nextUniform()
            #expect(u >= 0 && u < 1)
            let o = stream.nextOpenUniform()
            #expect(o > 0 && o < 1)
            let f = stream.nextUnitFloat()
            #expect(f >= 0 && f < 1)
        }
    }

    @Test(arguments: [1, 2, 7, 10, 1000])
    func nextIndexIsUniform(bound: Int) {
        var stream = RandomStream(seed: 5, keys: UInt64(bound))
        let n = 20 * max(bound, 100) * 10
        var counts = [Int](repeating: 0, count: bound)
        for _ in 0..<n { counts[stream.nextIndex(below: bound)] += 1 }
        if bound > 1 {
            let statistic = chiSquareStatistic(observed: counts, probabilities: [Double](repeating: 1 / Double(bound), count: bound))
            #expect(statistic < chiSquareCriticalValue(degreesOfFreedom: bound - 1), "bound \(bound): χ² = \(statistic)")
        }
    }

    @Test func nextIndexHandlesHugeBounds() {
        var stream = RandomStream(seed: 6)
        let bound = Int.max / 3
        var upperHalf = 0
        for _ in 0..<10_000 {
            let i = stream.nextIndex(below: bound)
            #expect(i >= 0 && i < bound)
            if i >= bound / 2 { upperHalf += 1 }
        }
        #expect(abs(upperHalf - 5000) < 300)
    }
}
