import Numerics

/// Updates a model's parameters from its accumulated gradients.
///
/// An optimiser instance belongs to one model: its state (moments, step count) is aligned with the
/// model's parameter visiting order and created on the first `step`.
public protocol Optimizer {
    /// One update of every parameter of `model` from `Parameter.gradient` (gradients are left as is;
    /// zero them before the next accumulation).
    mutating func step<Model: ParameterStore>(_ model: inout Model)
}

/// Stochastic gradient descent with optional heavy-ball momentum:
/// `v ← μ·v + g`, `θ ← θ − η·v` (Polyak 1964; with `μ = 0`, plain SGD).
public struct SGD: Optimizer, Sendable {
    public var learningRate: Float
    public var momentum: Float
    private var velocity: [Matrix] = []

    public init(learningRate: Float, momentum: Float = 0) {
        precondition(learningRate > 0 && momentum >= 0 && momentum < 1,
                     "SGD: learning rate \(learningRate) must be positive and momentum \(momentum) in [0, 1)")
        self.learningRate = learningRate
        self.momentum = momentum
    }

    public mutating func step<Model: ParameterStore>(_ model: inout Model) {
        let (lr, mu) = (learningRate, momentum)
        if mu == 0 {
            model.updateParameters { p in
                p.gradient.withUnsafeBufferPointer { g in
                    p.value.withUnsafeMutableBufferPointer { w in
                        for j in 0..<w.count { w[j] -= lr * g[j] }
                    }
                }
            }
            return
        }
        OptimizerState.prepare(&velocity, for: model, optimizer: "SGD")
        var i = 0
        model.updateParameters { p in
            p.gradient.withUnsafeBufferPointer { g in
                p.value.withUnsafeMutableBufferPointer { w in
                    velocity[i].withUnsafeMutableBufferPointer { v in
                        for j in 0..<w.count {
                            v[j] = mu * v[j] + g[j]
                            w[j] -= lr * v[j]
                        }
                    }
                }
            }
            i += 1
        }
    }
}

/// Adam (Kingma & Ba 2015, Algorithm 1) with bias-corrected moments, and AdamW's decoupled weight
/// decay (Loshchilov & Hutter 2019, Algorithm 2) when `weightDecay > 0`:
///
///     m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²
///     m̂ = m / (1 − β₁ᵗ)              v̂ = v / (1 − β₂ᵗ)
///     θ ← θ − η·(m̂ / (√v̂ + ε) + λ·θ)
///
/// The decay `λ·θ` is applied to the weights directly rather than added to the gradient, so it is
/// not rescaled by `√v̂`; as in PyTorch's `AdamW`, it is multiplied by the learning rate η.
/// The decay applies to every tensor, biases included.
public struct Adam: Optimizer, Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Decoupled weight decay λ (0: plain Adam).
    public var weightDecay: Float
    /// Number of steps taken, `t`.
    public private(set) var stepCount = 0
    private var firstMoments: [Matrix] = []
    private var secondMoments: [Matrix] = []

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        precondition(learningRate > 0, "Adam: learning rate must be positive, got \(learningRate)")
        precondition(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
                     "Adam: betas must be in [0, 1), got \(beta1), \(beta2)")
        precondition(epsilon >= 0 && weightDecay >= 0, "Adam: epsilon and weight decay must be non-negative")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// AdamW with the defaults of Loshchilov & Hutter's PyTorch implementation (λ = 0.01).
    public static func adamW(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                             epsilon: Float = 1e-8, weightDecay: Float = 1e-2) -> Adam {
        Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
    }

    public mutating func step<Model: ParameterStore>(_ model: inout Model) {
        OptimizerState.prepare(&firstMoments, for: model, optimizer: "Adam")
        OptimizerState.prepare(&secondMoments, for: model, optimizer: "Adam")
        stepCount += 1
        let t = Double(stepCount)
        let (b1, b2, eps, lr) = (beta1, beta2, epsilon, learningRate)
        let correction1 = Float(1 / (1 - Elementary.pow(Double(b1), t)))
        let correction2 = Float(1 / (1 - Elementary.pow(Double(b2), t)))
        let decay = lr * weightDecay
        var i = 0
        model.updateParameters { p in
            p.gradient.withUnsafeBufferPointer { g in
                p.value.withUnsafeMutableBufferPointer { w in
                    firstMoments[i].withUnsafeMutableBufferPointer { m in
                        secondMoments[i].withUnsafeMutableBufferPointer { v in
                            for j in 0..<w.count {
                                let gj = g[j]
                                m[j] = b1 * m[j] + (1 - b1) * gj
                                v[j] = b2 * v[j] + (1 - b2) * gj * gj
                                let mHat = m[j] * correction1
                                let vHat = v[j] * correction2
                                w[j] -= lr * mHat / (vHat.squareRoot() + eps) + decay * w[j]
                            }
                        }
                    }
                }
            }
            i += 1
        }
    }
}

enum OptimizerState {
    /// Creates zero state shaped like `model`'s parameters on first use, and checks the shapes on
    /// later uses (an optimiser must not be shared between models).
    static func prepare<Model: ParameterStore>(_ state: inout [Matrix], for model: Model, optimizer: String) {
        if state.isEmpty {
            model.forEachParameter { p in state.append(Matrix(rows: p.value.rows, columns: p.value.columns)) }
            return
        }
        var i = 0
        model.forEachParameter { p in
            precondition(i < state.count && state[i].rows == p.value.rows && state[i].columns == p.value.columns,
                         "\(optimizer): parameter \(p.name) does not match the optimiser state; one optimiser per model")
            i += 1
        }
        precondition(i == state.count, "\(optimizer): model has \(i) tensors, optimiser state has \(state.count)")
    }
}
