import Numerics

/// Fuses a candidate's per-task predictions o_k into one ranking score with the action's parameters.
///
/// - weighted sum: s = Σ_k w_k·o_k
/// - log-sum (BatchRL-MTF, Zhang et al., KDD 2022, eq. 1): s = Σ_k w_k·log(o_k + β_k), i.e. the
///   order of Π_k (o_k + β_k)^{w_k}, with fixed β from the environment
/// - power product (UnifiedRL, 2024): s = Π_k (o_k + b_k)^{w_k} with the biases b_k in the action;
///   ranked by its logarithm Σ_k w_k·log(o_k + b_k), which orders candidates identically.
public struct Fusion: Sendable {
    public let form: FusionConfig.Form
    public let taskCount: Int
    /// β_k of the log-sum form.
    public let beta: [Float]

    public init(config: EnvironmentConfig) {
        form = config.fusion.form
        taskCount = config.tasks.count
        beta = config.taskNames.map { Float(config.fusion.beta[$0] ?? config.fusion.defaultBeta) }
    }

    /// Scores `count` candidates whose predictions are rows of `predictions` (`count × taskCount`).
    @inline(__always)
    public func score(predictions: UnsafePointer<Float>, count: Int, action: UnsafePointer<Float>,
                      into scores: UnsafeMutablePointer<Float>) {
        let t = taskCount
        switch form {
        case .weightedSum:
            for i in 0..<count {
                let row = predictions + i * t
                var s: Float = 0
                for k in 0..<t { s += action[k] * row[k] }
                scores[i] = s
            }
        case .logSum:
            for i in 0..<count {
                let row = predictions + i * t
                var s: Float = 0
                for k in 0..<t { s += action[k] * Elementary.log(row[k] + beta[k]) }
                scores[i] = s
            }
        case .powerProduct:
            for i in 0..<count {
                let row = predictions + i * t
                var s: Float = 0
                for k in 0..<t { s += action[k] * Elementary.log(row[k] + action[t + k]) }
                scores[i] = s
            }
        }
    }

    /// Indices of the `n` highest scores, best first; ties go to the lower index (deterministic).
    @inline(__always)
    public static func topIndices(scores: UnsafePointer<Float>, count: Int, n: Int, into out: UnsafeMutablePointer<Int32>) {
        var filled = 0
        for i in 0..<count {
            let s = scores[i]
            if filled == n && !(s > scores[Int(out[n - 1])]) { continue }
            var j = filled < n ? filled : n - 1
            while j > 0 && s > scores[Int(out[j - 1])] {
                out[j] = out[j - 1]
                j -= 1
            }
            out[j] = Int32(i)
            if filled < n { filled += 1 }
        }
    }
}
