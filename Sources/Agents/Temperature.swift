import NeuralNet
import Numerics

/// SAC's entropy temperature α, learned as `log α` so that it stays positive (Haarnoja et al. 2018,
/// "Soft Actor-Critic Algorithms and Applications", §5, eq. 18):
///
///     J(α) = E_{a~π}[ −α (log π(a|s) + H̄) ],   ∂J/∂log α = −α (E[log π] + H̄) = J
///
/// with `log π` treated as a constant. When the policy's entropy `−E[log π]` falls below the
/// target H̄ (default −dim(A)), the gradient step raises α, and lowers it otherwise.
public struct Temperature: ParameterStore, Sendable {
    /// `log α`, `1 × 1`.
    public var logAlpha: Parameter

    public init(initialValue: Float) {
        precondition(initialValue > 0, "Temperature: α must be positive, got \(initialValue)")
        logAlpha = Parameter(name: "logAlpha", value: Matrix(rows: 1, columns: 1, repeating: Elementary.log(initialValue)))
    }

    /// α.
    public var value: Float { Elementary.exp(logAlpha.value[0, 0]) }

    /// Accumulates `∂J/∂log α` for the batch mean of `log π` and returns `J`.
    @discardableResult
    public mutating func accumulateLoss(meanLogProbability: Double, targetEntropy: Float) -> Double {
        let loss = -Double(value) * (meanLogProbability + Double(targetEntropy))
        logAlpha.gradient[0, 0] += Float(loss)
        return loss
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&logAlpha)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try body(logAlpha)
    }
}
