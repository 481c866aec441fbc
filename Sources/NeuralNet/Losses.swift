import Numerics

/// Loss functions returning the value and writing `∂L/∂input` into a caller-owned buffer.
///
/// Every loss is the weighted sum of per-element terms `ℓ_ij` over a `batch × tasks` matrix,
/// normalised as `weighting.normalization` says: by default **averaged over the batch (rows) and
/// summed over tasks (columns)**, `L = (1/B)·Σ_i Σ_j ℓ_ij`. Values are accumulated in `Double`;
/// gradients are resized to the prediction's shape, their storage reused between calls.
public enum Loss {
    /// Binary cross-entropy on logits `z` with targets `y ∈ [0, 1]`, in the overflow-free form
    /// `ℓ = max(z, 0) − z·y + log(1 + e^{−|z|})`; `∂ℓ/∂z = σ(z) − y`.
    public static func binaryCrossEntropyWithLogits(
        logits: Matrix, targets: Matrix, weighting: LossWeighting = .none, gradient: inout Matrix
    ) -> Double {
        prepare(logits, targets, "binaryCrossEntropyWithLogits", &gradient)
        return logits.withUnsafeBufferPointer { z in
            targets.withUnsafeBufferPointer { y in
                gradient.withUnsafeMutableBufferPointer { g in
                    weighting.reduce(rows: logits.rows, columns: logits.columns) { k, scale in
                        let zk = z[k], yk = y[k]
                        g[k] = scale * (Elementary.sigmoid(zk) - yk)
                        return Double(max(zk, 0) - zk * yk) + Double(Elementary.log1p(Elementary.exp(-abs(zk))))
                    }
                }
            }
        }
    }

    /// Squared error `ℓ = (p − y)²`; `∂ℓ/∂p = 2(p − y)`.
    public static func meanSquaredError(
        predictions: Matrix, targets: Matrix, weighting: LossWeighting = .none, gradient: inout Matrix
    ) -> Double {
        prepare(predictions, targets, "meanSquaredError", &gradient)
        return predictions.withUnsafeBufferPointer { p in
            targets.withUnsafeBufferPointer { y in
                gradient.withUnsafeMutableBufferPointer { g in
                    weighting.reduce(rows: predictions.rows, columns: predictions.columns) { k, scale in
                        let r = p[k] - y[k]
                        g[k] = scale * 2 * r
                        return Double(r) * Double(r)
                    }
                }
            }
        }
    }

    /// Huber loss (Huber 1964) with threshold `δ`: `ℓ = ½r²` for `|r| ≤ δ`, else `δ(|r| − ½δ)`,
    /// with `r = p − y`; `∂ℓ/∂p = r` inside, `δ·sign(r)` outside (quadratic near zero, linear tails
    /// robust to outlying targets such as TD errors).
    public static func huber(
        predictions: Matrix, targets: Matrix, delta: Float = 1, weighting: LossWeighting = .none,
        gradient: inout Matrix
    ) -> Double {
        precondition(delta > 0, "Loss.huber: delta must be positive, got \(delta)")
        prepare(predictions, targets, "huber", &gradient)
        return predictions.withUnsafeBufferPointer { p in
            targets.withUnsafeBufferPointer { y in
                gradient.withUnsafeMutableBufferPointer { g in
                    weighting.reduce(rows: predictions.rows, columns: predictions.columns) { k, scale in
                        let r = p[k] - y[k]
                        if abs(r) <= delta {
                            g[k] = scale * r
                            return 0.5 * Double(r) * Double(r)
                        }
                        g[k] = scale * (r > 0 ? delta : -delta)
                        return Double(delta) * (Double(abs(r)) - 0.5 * Double(delta))
                    }
                }
            }
        }
    }

    /// Gaussian negative log-likelihood of `y` under `N(μ, σ²)` with the network predicting `μ` and
    /// `log σ` (a heteroscedastic regression head, e.g. Nix & Weigend 1994; Kendall & Gal 2017):
    /// `ℓ = log σ + (y − μ)² / (2σ²) + ½·log 2π`.
    ///
    /// Gradients: `∂ℓ/∂μ = −(y − μ)/σ²` into `meanGradient`, `∂ℓ/∂log σ = 1 − (y − μ)²/σ²` into
    /// `logStdGradient`. Clamp `log σ` upstream if the targets can be fitted exactly.
    public static func gaussianNegativeLogLikelihood(
        mean: Matrix, logStd: Matrix, targets: Matrix, weighting: LossWeighting = .none,
        meanGradient: inout Matrix, logStdGradient: inout Matrix
    ) -> Double {
        prepare(mean, targets, "gaussianNegativeLogLikelihood", &meanGradient)
        prepare(logStd, targets, "gaussianNegativeLogLikelihood(logStd)", &logStdGradient)
        let halfLogTwoPi = 0.5 * Elementary.log(2 * Double.pi)
        return mean.withUnsafeBufferPointer { mu in
            logStd.withUnsafeBufferPointer { s in
                targets.withUnsafeBufferPointer { y in
                    meanGradient.withUnsafeMutableBufferPointer { gm in
                        logStdGradient.withUnsafeMutableBufferPointer { gs in
                            weighting.reduce(rows: mean.rows, columns: mean.columns) { k, scale in
                                let r = Double(y[k]) - Double(mu[k])
                                let inverseVariance = Elementary.exp(-2 * Double(s[k]))
                                let z2 = r * r * inverseVariance
                                gm[k] = scale * Float(-r * inverseVariance)
                                gs[k] = scale * Float(1 - z2)
                                return Double(s[k]) + 0.5 * z2 + halfLogTwoPi
                            }
                        }
                    }
                }
            }
        }
    }

    private static func prepare(_ prediction: Matrix, _ targets: Matrix, _ name: String, _ gradient: inout Matrix) {
        precondition(prediction.rows == targets.rows && prediction.columns == targets.columns,
                     "Loss.\(name): prediction is \(prediction.rows)×\(prediction.columns), "
                     + "targets are \(targets.rows)×\(targets.columns)")
        gradient.resize(rows: prediction.rows, columns: prediction.columns)
        gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}
