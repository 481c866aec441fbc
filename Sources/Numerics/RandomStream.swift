/// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): a 64-bit mixing generator, used here to seed
/// `RandomStream` and to hash stream keys.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    @inlinable public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The SplitMix64 output function (a bijective avalanche mix of 64 bits).
    @inlinable @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A seeded stream of random numbers: xoshiro256** (Blackman & Vigna, "Scrambled linear
/// pseudorandom number generators", ACM TOMS 2021), state filled by SplitMix64 as its authors advise.
///
/// Streams are derived from keys — `RandomStream(seed: 7, keys: StreamPurpose.response.key, user, session)` —
/// by hashing the seed and the keys into the SplitMix64 seed, so that every (user, session, purpose)
/// has its own independent stream and results never depend on which thread runs what, or in what order.
public struct RandomStream: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    /// A stream seeded from a single 64-bit seed.
    @inlinable
    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        s0 = seeder.next()
        s1 = seeder.next()
        s2 = seeder.next()
        s3 = seeder.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is a fixed point
    }

    /// A stream that continues from a raw xoshiro256** state (from `state`: known-answer tests and
    /// checkpoints). The all-zero state is a fixed point of the generator and is rejected.
    @inlinable
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state.0 | state.1 | state.2 | state.3 != 0, "RandomStream: the all-zero state is invalid")
        (s0, s1, s2, s3) = state
    }

    /// The stream for `seed` and a path of keys (purpose, user, session, ...).
    /// Distinct key paths give statistically independent streams.
    @inlinable
    public init(seed: UInt64, keys: UInt64...) {
        self.init(seed: RandomStream.derivedSeed(seed, keys))
    }

    /// The stream for `seed` and a path of keys given as an array.
    @inlinable
    public init(seed: UInt64, keyPath: [UInt64]) {
        self.init(seed: RandomStream.derivedSeed(seed, keyPath))
    }

    /// Hashes a seed and a key path into one 64-bit seed; each step mixes the running hash with the
    /// key through SplitMix64's avalanche function, so paths that differ anywhere differ everywhere.
    @inlinable
    public static func derivedSeed(_ seed: UInt64, _ keys: [UInt64]) -> UInt64 {
        var h = SplitMix64.mix(seed ^ 0x6A09_E667_F3BC_C909)
        for (i, k) in keys.enumerated() {
            h = SplitMix64.mix(h &+ SplitMix64.mix(k &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(i + 1)))
        }
        return h
    }

    @inlinable @inline(__always)
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = RandomStream.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = RandomStream.rotl(s3, 45)
        return result
    }

    /// Uniform `Double` in [0, 1) with 53 random bits.
    @inlinable @inline(__always)
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform `Double` in (0, 1): never exactly 0, for logarithms.
    @inlinable @inline(__always)
    public mutating func nextOpenUniform() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// Uniform `Float` in [0, 1) with 24 random bits.
    @inlinable @inline(__always)
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// Uniform integer in `0..<bound`: the high word of the 128-bit product `next() · bound`
    /// (Lemire, "Fast random integer generation in an interval", ACM TOMACS 2019, without the
    /// rejection step). The bias is below `bound / 2⁶⁴`, and every bound up to `Int.max` is valid.
    @inlinable @inline(__always)
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "RandomStream.nextIndex: bound must be positive")
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Shuffles `elements` in place (Fisher–Yates, Durstenfeld's form), drawing from this stream.
    public mutating func shuffle<Element>(_ elements: inout [Element]) {
        guard elements.count > 1 else { return }
        for i in stride(from: elements.count - 1, to: 0, by: -1) {
            elements.swapAt(i, nextIndex(below: i + 1))
        }
    }

    /// The 256-bit state, for known-answer tests and checkpoints.
    public var state: (UInt64, UInt64, UInt64, UInt64) { (s0, s1, s2, s3) }
}

/// A stable 64-bit key for a name (FNV-1a), for deriving streams from readable purposes.
/// Unlike `Hasher`, it is the same in every process.
@inlinable
public func streamKey(_ name: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in name.utf8 {
        h ^= UInt64(byte)
        h &*= 0x0000_0100_0000_01B3
    }
    return h
}
