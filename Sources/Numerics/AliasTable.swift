/// Constant-time sampling from a fixed discrete distribution: Walker's alias method
/// (Walker, "An efficient method for generating discrete random variables with general
/// distributions", ACM TOMS 1977) built with Vose's numerically stable O(n) construction
/// (Vose, "A linear algorithm for generating random numbers with a given distribution", IEEE TSE 1991).
///
/// Each of the `n` buckets holds one outcome with probability `threshold` and its alias otherwise.
/// A draw uses a single 64-bit random number: the high word of `bits · n` picks the bucket and the
/// low word, uniform within the bucket, is compared with the threshold.
public struct AliasTable: Sendable {
    @usableFromInline
    struct Bucket: Sendable {
        /// Keep the bucket's own outcome when the low word is below this (probability · 2⁶⁴).
        @usableFromInline var threshold: UInt64
        @usableFromInline var alias: Int
    }

    @usableFromInline let buckets: [Bucket]
    /// The normalised weights.
    public let probabilities: [Double]

    /// A table for outcomes `0..<weights.count` with probabilities proportional to `weights`.
    /// - Precondition: every weight is finite and ≥ 0, and their sum is positive.
    public init(weights: [Double]) {
        precondition(!weights.isEmpty, "AliasTable: no weights")
        precondition(weights.allSatisfy { $0 >= 0 && $0.isFinite }, "AliasTable: weights must be finite and non-negative")
        let total = weights.reduce(0, +)
        precondition(total > 0 && total.isFinite, "AliasTable: weights must have a positive finite sum, got \(total)")
        let n = weights.count
        probabilities = weights.map { $0 / total }
        var scaled = probabilities.map { $0 * Double(n) }
        var small = [Int]()
        var large = [Int]()
        small.reserveCapacity(n)
        large.reserveCapacity(n)
        for (i, p) in scaled.enumerated() {
            if p < 1 { small.append(i) } else { large.append(i) }
        }
        var buckets = [Bucket](repeating: Bucket(threshold: .max, alias: 0), count: n)
        while let s = small.last, let l = large.last {
            small.removeLast()
            buckets[s] = Bucket(threshold: AliasTable.threshold(scaled[s]), alias: l)
            scaled[l] = (scaled[l] + scaled[s]) - 1
            if scaled[l] < 1 {
                large.removeLast()
                small.append(l)
            }
        }
        // What remains is full up to rounding: keep the outcome itself.
        for i in large { buckets[i] = Bucket(threshold: .max, alias: i) }
        for i in small { buckets[i] = Bucket(threshold: .max, alias: i) }
        self.buckets = buckets
    }

    /// `p · 2⁶⁴`, saturated, for a bucket probability `p ∈ [0, 1]`.
    static func threshold(_ p: Double) -> UInt64 {
        let scaled = p * 0x1.0p64
        return scaled >= 0x1.0p64 ? .max : UInt64(max(scaled, 0))
    }

    /// Number of outcomes.
    @inlinable public var count: Int { buckets.count }

    /// The probability of outcome `i`.
    public func probability(of i: Int) -> Double { probabilities[i] }

    /// An outcome in `0..<count`, drawn with one 64-bit random number.
    @inlinable
    public func sample(_ rng: inout RandomStream) -> Int {
        let product = rng.next().multipliedFullWidth(by: UInt64(buckets.count))
        let bucket = buckets[Int(truncatingIfNeeded: product.high)]
        return product.low < bucket.threshold ? Int(truncatingIfNeeded: product.high) : bucket.alias
    }
}
