import NeuralNet
import Numerics

/// The CQL(H) regulariser of one critic and its gradient (Kumar, Zhou, Tucker & Levine 2020, "Conservative
/// Q-Learning for Offline Reinforcement Learning", eq. 4), added to the critic's TD loss:
///
///     L(θ) = (1/B) Σ_b (Q_θ(s_b, a_b) − y_b)²  +  α · (1/B) Σ_b [ T·log Σ_k exp((Q_θ(s_b, ã_bk) − log μ_k(ã_bk)) / T) − Q_θ(s_b, a_b) ]
///
/// Minimising it pushes Q down where the soft maximum over all actions lies and up on the logged actions: the learned
/// Q lower-bounds the policy's value on the data's states (Theorem 3.2), so the actor cannot climb towards actions
/// the data never tried.
///
/// The log-sum-exp over the continuous action box is estimated by importance sampling (Appendix F): K = 3N actions
/// per state, N from the uniform distribution on the normalised box (density 2^−A), N from the current policy at s
/// and N from the current policy at s′, each entering with its proposal's log density subtracted; the sampled actions
/// and their densities are constants (no gradient reaches the policy). Per state, with `w_bk` the softmax of the
/// importance-weighted values over k,
///
///     ∂L_CQL/∂Q(s_b, ã_bk) = α·w_bk / B,      ∂L_CQL/∂Q(s_b, a_b) = −α / B     (the temperature T cancels).
public enum ConservativePenalty {
    /// The sampled actions of one mini-batch and the scratch of the regulariser, reused from step to step.
    public struct Workspace: Sendable {
        /// `B·K × S`: state b repeated in rows `b·K ..< (b + 1)·K`.
        public var candidateStates = Matrix(rows: 0, columns: 0)
        /// `B·K × A`: the actions ã_bk, normalised.
        public var candidateActions = Matrix(rows: 0, columns: 0)
        /// `B·K × 1`: `log μ_k(ã_bk)`, the log density (normalised units) of the proposal ã_bk was drawn from.
        public var candidateLogDensities = Matrix(rows: 0, columns: 0)
        /// `B × 1`: `T·log Σ_k exp((Q − log μ)/T)` of the last `accumulateLogSumExp`.
        public internal(set) var logSumExp = Matrix(rows: 0, columns: 0)
        var actorStates = Matrix(rows: 0, columns: 0)
        var actorNoise = Matrix(rows: 0, columns: 0)
        var policyActions = Matrix(rows: 0, columns: 0)
        var policyLogProbabilities = Matrix(rows: 0, columns: 0)
        var candidateGradient = Matrix(rows: 0, columns: 0)
        var dataGradient = Matrix(rows: 0, columns: 0)

        public init() {}

        /// Candidates per state, `K`.
        public func candidatesPerState(batch: Int) -> Int { batch > 0 ? candidateStates.rows / batch : 0 }
    }

    /// Draws the K = 3N candidate actions of every state of the batch (Appendix F's importance-sampled estimator):
    /// for state b, rows `b·K + k` hold N uniform actions (k < N), N draws of the policy at s_b (N ≤ k < 2N) and N
    /// draws of the policy at s′_b (2N ≤ k < 3N), each with its log density. One forward pass of the actor on
    /// `2·B·N` rows gives both policy groups. Random numbers, in order: the `B·N·A` uniforms, then `2·B·N·A`
    /// standard normals (the s group, then the s′ group).
    public static func sampleCandidates(states: Matrix, nextStates: Matrix, actor: inout ActorNetwork, perGroup n: Int,
                                        stream: inout RandomStream, workspace w: inout Workspace) {
        guard case .squashedGaussian(let lo, let hi) = actor.head else {
            preconditionFailure("ConservativePenalty: the actor must have a squashed-Gaussian head")
        }
        precondition(n >= 1 && states.rows == nextStates.rows && states.columns == nextStates.columns,
                     "ConservativePenalty: \(n) actions per group, states \(states.rows)×\(states.columns), "
                     + "next states \(nextStates.rows)×\(nextStates.columns)")
        let (b, s, a, k) = (states.rows, states.columns, actor.actionDimension, 3 * n)
        w.candidateStates.resize(rows: b * k, columns: s)
        w.candidateActions.resize(rows: b * k, columns: a)
        w.candidateLogDensities.resize(rows: b * k, columns: 1)
        w.actorStates.resize(rows: 2 * b * n, columns: s)
        w.actorNoise.resize(rows: 2 * b * n, columns: a)
        states.withUnsafeBufferPointer { xs in
            nextStates.withUnsafeBufferPointer { xn in
                w.candidateStates.withUnsafeMutableBufferPointer { cs in
                    w.actorStates.withUnsafeMutableBufferPointer { ps in
                        for r in 0..<b {
                            for j in 0..<k { for c in 0..<s { cs[(r * k + j) * s + c] = xs[r * s + c] } }
                            for j in 0..<n {
                                for c in 0..<s {
                                    ps[(r * n + j) * s + c] = xs[r * s + c]
                                    ps[((b + r) * n + j) * s + c] = xn[r * s + c]
                                }
                            }
                        }
                    }
                }
            }
        }
        let uniformLogDensity = -Float(a) * Elementary.log(Float(2))
        w.candidateActions.withUnsafeMutableBufferPointer { ca in
            w.candidateLogDensities.withUnsafeMutableBufferPointer { cl in
                for r in 0..<b {
                    for j in 0..<n {
                        let row = r * k + j
                        for c in 0..<a { ca[row * a + c] = Float(2 * stream.nextUniform() - 1) }
                        cl[row] = uniformLogDensity
                    }
                }
            }
        }
        w.actorNoise.withUnsafeMutableBufferPointer { e in
            for i in 0..<e.count { e[i] = stream.normalFloat() }
        }
        let outputs = actor.forward(w.actorStates)
        SquashedGaussian.sample(outputs: outputs, noise: w.actorNoise, logStdBounds: (lo, hi),
                                actions: &w.policyActions, logProbabilities: &w.policyLogProbabilities)
        w.policyActions.withUnsafeBufferPointer { pa in
            w.policyLogProbabilities.withUnsafeBufferPointer { pl in
                w.candidateActions.withUnsafeMutableBufferPointer { ca in
                    w.candidateLogDensities.withUnsafeMutableBufferPointer { cl in
                        for group in 0..<2 {
                            for r in 0..<b {
                                for j in 0..<n {
                                    let source = (group * b + r) * n + j
                                    let row = r * k + (group + 1) * n + j
                                    for c in 0..<a { ca[row * a + c] = pa[source * a + c] }
                                    cl[row] = pl[source]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One forward pass of `critic` on the workspace's `B·K` candidates: writes each state's importance-sampled
    /// `T·log Σ_k exp((Q(s_b, ã_bk) − log μ_k)/T)` into `workspace.logSumExp`, accumulates `weight · (1/B) Σ_b ∂lse_b/∂θ`
    /// in the critic, and returns the mean over the batch.
    @discardableResult
    public static func accumulateLogSumExp(critic: inout Critic, batch b: Int, temperature t: Float, weight: Float,
                                           workspace w: inout Workspace) -> Double {
        precondition(b > 0 && w.candidateStates.rows % b == 0 && w.candidateStates.rows == w.candidateActions.rows
                     && w.candidateLogDensities.rows == w.candidateStates.rows,
                     "ConservativePenalty: \(w.candidateStates.rows) candidates for a batch of \(b)")
        let k = w.candidateStates.rows / b
        let q = critic.forward(states: w.candidateStates, actions: w.candidateActions)
        w.logSumExp.resize(rows: b, columns: 1)
        w.candidateGradient.resize(rows: b * k, columns: 1)
        let temperature = Double(t)
        let scale = weight / Float(b)
        var total = 0.0
        q.withUnsafeBufferPointer { qv in
            w.candidateLogDensities.withUnsafeBufferPointer { ld in
                w.logSumExp.withUnsafeMutableBufferPointer { lse in
                    w.candidateGradient.withUnsafeMutableBufferPointer { g in
                        for r in 0..<b {
                            var largest = -Double.infinity
                            for j in 0..<k { largest = max(largest, (Double(qv[r * k + j]) - Double(ld[r * k + j])) / temperature) }
                            var sum = 0.0
                            for j in 0..<k {
                                let e = Elementary.exp((Double(qv[r * k + j]) - Double(ld[r * k + j])) / temperature - largest)
                                g[r * k + j] = Float(e)
                                sum += e
                            }
                            let value = temperature * (largest + Elementary.log(sum))
                            lse[r] = Float(value)
                            total += value
                            let normaliser = scale / Float(sum)
                            for j in 0..<k { g[r * k + j] *= normaliser }
                        }
                    }
                }
            }
        }
        critic.accumulateParameterGradients(w.candidateGradient)
        return total / Double(b)
    }

    /// The TD loss on the logged transitions together with the regulariser's data term `−weight·(1/B) Σ_b Q(s_b, a_b)`:
    /// one forward pass, accumulates `∂/∂θ [(1/B) Σ (Q − y)² − weight·(1/B) Σ Q]`, returns the TD loss alone and the
    /// mean Q on the data.
    public static func accumulateDataTerm(critic: inout Critic, states: Matrix, actions: Matrix, targets: Matrix,
                                          weight: Float, workspace w: inout Workspace) -> (loss: Double, meanQ: Double) {
        let b = states.rows
        precondition(targets.rows == b && targets.columns == 1, "ConservativePenalty: \(targets.rows) targets for \(b) states")
        let q = critic.forward(states: states, actions: actions)
        w.dataGradient.resize(rows: b, columns: 1)
        let inverse = 1 / Float(b)
        var loss = 0.0, sum = 0.0
        q.withUnsafeBufferPointer { qv in
            targets.withUnsafeBufferPointer { y in
                w.dataGradient.withUnsafeMutableBufferPointer { g in
                    for r in 0..<b {
                        let error = qv[r] - y[r]
                        loss += Double(error) * Double(error)
                        sum += Double(qv[r])
                        g[r] = (2 * error - weight) * inverse
                    }
                }
            }
        }
        critic.accumulateParameterGradients(w.dataGradient)
        return (loss / Double(b), sum / Double(b))
    }
}

/// The dual variable α′ ≥ 0 of CQL's Lagrange form (Kumar et al. 2020, eq. 30 and Appendix F), learned as `log α′`:
///
///     max_{α′ ≥ 0}  α′ · (G − τ),   G = α·E[log Σ exp Q − Q_data] (the weighted gap, averaged over the critics)
///
/// by gradient descent on `J(log α′) = −α′(G − τ)`, `∂J/∂log α′ = J`: α′ grows while the gap exceeds τ, so the
/// critics are pushed harder, and shrinks towards 0 once the gap is below τ. Clamped to [0, 10⁶] as in the authors'
/// code.
public struct LagrangeMultiplier: ParameterStore, Sendable {
    /// `log α′`, `1 × 1`.
    public var logValue: Parameter
    public static let maximum: Float = 1e6

    /// α′ = 1 at the start, as in the authors' code.
    public init(initialValue: Float = 1) {
        precondition(initialValue > 0, "LagrangeMultiplier: α′ must start positive, got \(initialValue)")
        logValue = Parameter(name: "logAlphaPrime", value: Matrix(rows: 1, columns: 1, repeating: Elementary.log(initialValue)))
    }

    /// α′.
    public var value: Float { min(Elementary.exp(logValue.value[0, 0]), LagrangeMultiplier.maximum) }

    /// Accumulates `∂J/∂log α′` for the weighted gap `G` and the threshold τ; returns `J`.
    @discardableResult
    public mutating func accumulateLoss(weightedGap: Double, threshold: Float) -> Double {
        let loss = -Double(value) * (weightedGap - Double(threshold))
        if Elementary.exp(logValue.value[0, 0]) < LagrangeMultiplier.maximum { logValue.gradient[0, 0] += Float(loss) }
        return loss
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try body(&logValue)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try body(logValue)
    }
}
