/// The `q`-quantile of `values` with linear interpolation between order statistics
/// (Hyndman & Fan, "Sample quantiles in statistical packages", 1996, type 7; the default of R and NumPy):
/// with sorted `x` and `h = (n − 1)·q`, `x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])`.
/// - Precondition: `values` is non-empty and free of NaN; `q ∈ [0, 1]`.
public func quantile(_ values: [Double], _ q: Double) -> Double {
    quantiles(values, [q])[0]
}

/// Several type-7 quantiles of `values`, sorting once.
public func quantiles(_ values: [Double], _ qs: [Double]) -> [Double] {
    precondition(!values.isEmpty, "quantile: no values")
    precondition(!values.contains { $0.isNaN }, "quantile: values contain NaN")
    let sorted = values.sorted()
    return qs.map { sortedQuantile(sorted, $0) }
}

/// The type-7 quantile of already sorted values.
func sortedQuantile(_ sorted: [Double], _ q: Double) -> Double {
    precondition(q >= 0 && q <= 1, "quantile: q must lie in [0, 1], got \(q)")
    let h = Double(sorted.count - 1) * q
    let lower = Int(h.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    return sorted[lower] + (h - Double(lower)) * (sorted[upper] - sorted[lower])
}

/// Area under the ROC curve: the probability that a random positive scores above a random negative,
/// ties counting one half.
///
/// Computed from ranks as the Mann–Whitney statistic (Hanley & McNeil, Radiology 1982):
/// `AUC = (R₊ − n₊(n₊ + 1)/2) / (n₊ n₋)` with `R₊` the sum of the positives' mid-ranks. O(n log n).
/// Returns `nan` when either class is empty.
/// - Precondition: `scores.count == labels.count`, no NaN score.
public func rocAUC<Score: BinaryFloatingPoint>(scores: [Score], labels: [Bool]) -> Double {
    precondition(scores.count == labels.count, "rocAUC: \(scores.count) scores for \(labels.count) labels")
    let n = scores.count
    let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
    let negatives = n - positives
    guard positives > 0 && negatives > 0 else { return .nan }
    return scores.withUnsafeBufferPointer { s in
        labels.withUnsafeBufferPointer { y in
            var order = Array(0..<n)
            order.sort { s[$0] < s[$1] }
            return order.withUnsafeBufferPointer { o in
                var positiveRankSum = 0.0
                var start = 0
                while start < n {
                    let value = s[o[start]]
                    precondition(!value.isNaN, "rocAUC: NaN score")
                    var end = start + 1
                    while end < n && s[o[end]] == value { end += 1 }
                    var groupPositives = 0
                    for i in start..<end where y[o[i]] { groupPositives += 1 }
                    let midRank = Double(start + 1 + end) / 2
                    positiveRankSum += midRank * Double(groupPositives)
                    start = end
                }
                let p = Double(positives)
                return (positiveRankSum - p * (p + 1) / 2) / (p * Double(negatives))
            }
        }
    }
}

/// Mean binary cross-entropy `−(1/n) Σ [y log p + (1 − y) log(1 − p)]`, with `p` clipped to
/// `[ε, 1 − ε]` (ε = 1e-7, as scikit-learn did for float32) so a confident mistake costs `−log ε ≈ 16.1`
/// rather than infinity. Returns `nan` for no values.
public func logLoss<Probability: BinaryFloatingPoint>(probabilities: [Probability], labels: [Bool],
                                                      epsilon: Double = 1e-7) -> Double {
    precondition(probabilities.count == labels.count,
                 "logLoss: \(probabilities.count) probabilities for \(labels.count) labels")
    guard !probabilities.isEmpty else { return .nan }
    return probabilities.withUnsafeBufferPointer { p in
        labels.withUnsafeBufferPointer { y in
            var total = 0.0
            for i in 0..<p.count {
                let clipped = min(max(Double(p[i]), epsilon), 1 - epsilon)
                total -= y[i] ? Elementary.log(clipped) : Elementary.log1p(-clipped)
            }
            return total / Double(p.count)
        }
    }
}
