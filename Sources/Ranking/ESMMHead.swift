import Numerics

/// The Entire Space Multi-task Model's cascade head (Ma, Zhao, Huang, Zhu, Zhu, Gai & Zhu, "Entire
/// Space Multi-Task Model", SIGIR 2018):
///
///     p(y = 1, z = 1 | x) = p(y = 1 | x) · p(z = 1 | y = 1, x)       pCTCVR = pCTR × pCVR   (eq. 1–2)
///     L = Σ_i ℓ(y_i, pCTR_i) + Σ_i ℓ(y_i ∧ z_i, pCTR_i · pCVR_i)                            (eq. 3)
///
/// over the *entire* impression space, so the conversion stage is never trained on the biased
/// clicked-only sample. Here both stages are logits of a multi-task network: `a` (click, task
/// `clickTask`, trained by ordinary BCE) and `b` (convert given click, task `conversionTask`,
/// trained only through the product). The product loss and its gradient are computed in log space:
/// `log p = log σ(a) + log σ(b)`, `1 − p = σ(−a) + σ(a)·σ(−b)` (no cancellation), and
///
///     ∂ℓ/∂a = σ(−a) · (p − y) / (1 − p),   ∂ℓ/∂b = σ(−b) · (p − y) / (1 − p),
///
/// where `σ(−a)/(1 − p) ≤ 1`, so the gradients stay bounded for any logits.
public struct ESMMHead: Codable, Equatable, Hashable, Sendable {
    /// Column of the click logit `a`.
    public var clickTask: Int
    /// Column of the conversion-given-click logit `b`.
    public var conversionTask: Int

    public init(clickTask: Int, conversionTask: Int) {
        precondition(clickTask != conversionTask && clickTask >= 0 && conversionTask >= 0,
                     "ESMMHead: click and conversion tasks must be distinct columns, got \(clickTask), \(conversionTask)")
        self.clickTask = clickTask
        self.conversionTask = conversionTask
    }

    /// `p = σ(a)·σ(b)`.
    @inlinable
    public static func jointProbability(clickLogit a: Float, conversionLogit b: Float) -> Float {
        Elementary.sigmoid(a) * Elementary.sigmoid(b)
    }

    /// BCE of the joint label `y` (click ∧ convert) against `σ(a)·σ(b)`, with its gradients.
    @inlinable
    public static func jointLoss(clickLogit a: Float, conversionLogit b: Float, label y: Float)
        -> (loss: Double, clickGradient: Float, conversionGradient: Float) {
        let (a, b, y) = (Double(a), Double(b), Double(y))
        let sa = Elementary.sigmoid(a), sna = Elementary.sigmoid(-a)
        let sb = Elementary.sigmoid(b), snb = Elementary.sigmoid(-b)
        let p = sa * sb
        let q = max(sna + sa * snb, Double.leastNormalMagnitude)  // 1 − p
        let logP = -Elementary.softplus(-a) - Elementary.softplus(-b)
        let loss = -y * logP - (1 - y) * Elementary.log(q)
        let common = (p - y) / q
        return (loss, Float(sna * common), Float(snb * common))
    }

    /// `p(click ∧ convert)` for every row of `logits` (`batch × tasks`).
    public func jointProbabilities(logits: Matrix) -> [Float] {
        (0..<logits.rows).map { i in
            ESMMHead.jointProbability(clickLogit: logits[i, clickTask], conversionLogit: logits[i, conversionTask])
        }
    }

    /// Adds the joint loss of rows with a non-zero `scale` to `gradient` (shaped like `logits`) and
    /// returns `Σ_i scale_i · ℓ_i`. `labels[i]` is the joint label of row `i`; `scales` holds each
    /// row's weight over its normaliser (e.g. `1/B`).
    public func accumulateJointLoss(logits: Matrix, labels: UnsafePointer<Float>, labelStride: Int,
                                    scales: UnsafePointer<Float>, scaleStride: Int, gradient: inout Matrix) -> Double {
        precondition(gradient.rows == logits.rows && gradient.columns == logits.columns,
                     "ESMMHead: gradient \(gradient.rows)×\(gradient.columns) for logits \(logits.rows)×\(logits.columns)")
        let (columns, a, b) = (logits.columns, clickTask, conversionTask)
        var total = 0.0
        logits.withUnsafeBufferPointer { z in
            gradient.withUnsafeMutableBufferPointer { g in
                for i in 0..<logits.rows {
                    let scale = scales[i * scaleStride]
                    if scale == 0 { continue }
                    let r = ESMMHead.jointLoss(clickLogit: z[i * columns + a], conversionLogit: z[i * columns + b],
                                               label: labels[i * labelStride])
                    total += Double(scale) * r.loss
                    g[i * columns + a] += scale * r.clickGradient
                    g[i * columns + b] += scale * r.conversionGradient
                }
            }
        }
        return total
    }
}
