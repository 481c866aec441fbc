import NeuralNet
import Numerics

/// BCQ's state-conditioned generative model G_ω of the logged actions (Fujimoto, Meger & Precup 2019, §4, eq. 12
/// and Appendix D; Kingma & Welling 2014): a conditional VAE whose decoder, given a state and a latent z ~ N(0, I),
/// proposes an action the data would plausibly contain, so that the learner only ever evaluates actions near the
/// batch.
///
/// - Encoder E(s, a) → (μ, log σ), an MLP on `[normalised state | action]` with ReLU hidden layers and `2·L` linear
///   outputs; log σ is clamped to [−4, 15] (the authors' code). The latent dimension is L = 2·dim(A).
/// - Decoder D(s, z) → action, an MLP on `[normalised state | z]` with a tanh output: an action in the normalised box.
/// - Loss (eq. 12, with the authors' weighting): with z = μ + σ ⊙ ε, ε ~ N(0, I) (reparameterisation),
///
///       L = (1/(B·A)) Σ ‖D(s, z) − a‖²  +  w · (1/(B·L)) Σ ½ (μ² + σ² − 1 − log σ²),
///
///   the mean squared reconstruction error plus w = 0.5 times the mean KL(N(μ, σ²) ‖ N(0, I)) per latent coordinate.
/// - At decision time z ~ N(0, I) clipped to [−c, c] (c = 0.5), which keeps proposals near the mode of the data.
///
/// Buffers are kept between calls, so a training step allocates nothing once the batch size is stable.
public struct ConditionalVAE: ParameterStore, Sendable {
    public private(set) var encoder: MLP
    public private(set) var decoder: MLP
    public let stateDimension: Int
    public let actionDimension: Int
    public let latentDimension: Int
    /// Bounds of log σ (the authors' clamp).
    public static let logStdBounds: (lower: Float, upper: Float) = (-4, 15)

    private var encoderInput = Matrix(rows: 0, columns: 0)
    private var decoderInput = Matrix(rows: 0, columns: 0)
    private var latents = Matrix(rows: 0, columns: 0)
    private var encoderGradient = Matrix(rows: 0, columns: 0)
    private var reconstructionGradient = Matrix(rows: 0, columns: 0)

    /// A fresh VAE: He-initialised ReLU layers, output layers from U(±3·10⁻³) (as the actor and critics).
    public init(stateDimension: Int, actionDimension: Int, hiddenSizes: [Int], stream: inout RandomStream) {
        let latent = 2 * actionDimension
        func network(_ sizes: [Int], output: Activation, prefix: String) -> MLP {
            var layers = [Dense]()
            for i in 0..<(sizes.count - 1) {
                let last = i == sizes.count - 2
                layers.append(Dense(inputSize: sizes[i], outputSize: sizes[i + 1],
                                    initialization: last ? .uniform(bound: 3e-3) : .he, stream: &stream, name: "\(prefix).dense\(i)"))
            }
            return MLP(layers: layers, activations: [Activation](repeating: .relu, count: sizes.count - 2) + [output])
        }
        let encoder = network([stateDimension + actionDimension] + hiddenSizes + [2 * latent], output: .identity, prefix: "encoder")
        let decoder = network([stateDimension + latent] + hiddenSizes + [actionDimension], output: .tanh, prefix: "decoder")
        self.init(encoder: encoder, decoder: decoder, stateDimension: stateDimension)
    }

    /// A VAE around existing networks: the encoder maps `state + action` inputs to `2·L` outputs, the decoder
    /// `state + L` inputs to the actions through tanh.
    public init(encoder: MLP, decoder: MLP, stateDimension: Int) {
        let a = decoder.outputSize, latent = decoder.inputSize - stateDimension
        precondition(latent > 0 && encoder.inputSize == stateDimension + a && encoder.outputSize == 2 * latent,
                     "ConditionalVAE: encoder \(encoder.inputSize)→\(encoder.outputSize), decoder \(decoder.inputSize)→\(a) "
                     + "for \(stateDimension) state features")
        precondition(decoder.activations.last == .tanh, "ConditionalVAE: the decoder must end in tanh")
        self.encoder = encoder
        self.decoder = decoder
        self.stateDimension = stateDimension
        self.actionDimension = a
        self.latentDimension = latent
    }

    /// The VAE loss terms for one mini-batch.
    public struct Loss: Sendable, Equatable {
        /// Mean squared reconstruction error per action coordinate.
        public var reconstruction: Double
        /// Mean KL(N(μ, σ²) ‖ N(0, I)) per latent coordinate.
        public var kl: Double
        /// `reconstruction + klWeight · kl`.
        public var total: Double
    }

    /// Runs the encoder and decoder on `(states, actions)` with the standard normal draws `noise` (`batch × L`),
    /// accumulates `∂L/∂ω` in both networks, and returns the loss.
    public mutating func accumulateLoss(states: Matrix, actions: Matrix, noise: Matrix, klWeight: Float) -> Loss {
        let (n, s, a, l) = (states.rows, stateDimension, actionDimension, latentDimension)
        precondition(states.columns == s && actions.columns == a && actions.rows == n && noise.rows == n && noise.columns == l,
                     "ConditionalVAE: states \(states.rows)×\(states.columns), actions \(actions.rows)×\(actions.columns), "
                     + "noise \(noise.rows)×\(noise.columns)")
        ConditionalVAE.concatenate(states, actions, into: &encoderInput)
        let stats = encoder.forward(encoderInput)
        let (lo, hi) = ConditionalVAE.logStdBounds
        latents.resize(rows: n, columns: l)
        var klSum = 0.0
        stats.withUnsafeBufferPointer { st in
            noise.withUnsafeBufferPointer { e in
                latents.withUnsafeMutableBufferPointer { z in
                    for r in 0..<n {
                        for j in 0..<l {
                            let mu = st[r * 2 * l + j], logStd = min(max(st[r * 2 * l + l + j], lo), hi)
                            let sigma = Elementary.exp(logStd)
                            z[r * l + j] = mu + sigma * e[r * l + j]
                            klSum += 0.5 * Double(mu * mu + sigma * sigma - 1 - 2 * logStd)
                        }
                    }
                }
            }
        }
        ConditionalVAE.concatenate(states, latents, into: &decoderInput)
        let reconstruction = decoder.forward(decoderInput)
        var squares = 0.0
        reconstructionGradient.resize(rows: n, columns: a)
        let scale = 2 / Float(n * a)
        reconstruction.withUnsafeBufferPointer { d in
            actions.withUnsafeBufferPointer { x in
                reconstructionGradient.withUnsafeMutableBufferPointer { g in
                    for k in 0..<(n * a) {
                        let diff = d[k] - x[k]
                        squares += Double(diff * diff)
                        g[k] = scale * diff
                    }
                }
            }
        }
        let inputGradient = decoder.backward(reconstructionGradient)
        // ∂L/∂μ = ∂L/∂z + w·μ/(B·L); ∂L/∂(log σ) = ∂L/∂z·σε + w·(σ² − 1)/(B·L), zero where log σ is clamped.
        encoderGradient.resize(rows: n, columns: 2 * l)
        let klScale = klWeight / Float(n * l)
        stats.withUnsafeBufferPointer { st in
            noise.withUnsafeBufferPointer { e in
                inputGradient.withUnsafeBufferPointer { gz in
                    encoderGradient.withUnsafeMutableBufferPointer { g in
                        for r in 0..<n {
                            for j in 0..<l {
                                let dz = gz[r * (s + l) + s + j]
                                let mu = st[r * 2 * l + j], raw = st[r * 2 * l + l + j]
                                let sigma = Elementary.exp(min(max(raw, lo), hi))
                                g[r * 2 * l + j] = dz + klScale * mu
                                g[r * 2 * l + l + j] = raw < lo || raw > hi
                                    ? 0 : dz * sigma * e[r * l + j] + klScale * (sigma * sigma - 1)
                            }
                        }
                    }
                }
            }
        }
        encoder.accumulateGradients(encoderGradient)
        let recon = squares / Double(n * a), kl = klSum / Double(n * l)
        return Loss(reconstruction: recon, kl: kl, total: recon + Double(klWeight) * kl)
    }

    /// The loss without touching caches or gradients (allocates; for tests and diagnostics).
    public func loss(states: Matrix, actions: Matrix, noise: Matrix, klWeight: Float) -> Loss {
        var copy = self
        return copy.accumulateLoss(states: states, actions: actions, noise: noise, klWeight: klWeight)
    }

    /// Draws decision-time latents z ~ N(0, I) clipped to [−c, c] into `latents` (`rows × L`, resized).
    public func sampleLatents(rows: Int, clip: Float, stream: inout RandomStream, into latents: inout Matrix) {
        latents.resize(rows: rows, columns: latentDimension)
        latents.withUnsafeMutableBufferPointer { z in
            for k in 0..<z.count { z[k] = min(max(stream.normalFloat(), -clip), clip) }
        }
    }

    /// D(s, z) for normalised states and latents (`batch × A`, normalised actions) into `workspace`, whose buffers
    /// are kept between calls: sampling never disturbs the decoder's training caches, and each caller's batch shape
    /// stays stable, so nothing is allocated.
    public func decode(states: Matrix, latents: Matrix, workspace: inout InferenceWorkspace) -> Matrix {
        ConditionalVAE.concatenate(states, latents, into: &workspace.input)
        return workspace.run(decoder)
    }

    /// `[x | y]` row by row into `out` (resized, storage reused).
    static func concatenate(_ x: Matrix, _ y: Matrix, into out: inout Matrix) {
        precondition(x.rows == y.rows, "ConditionalVAE: \(x.rows) and \(y.rows) rows")
        let (n, p, q) = (x.rows, x.columns, y.columns)
        out.resize(rows: n, columns: p + q)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeBufferPointer { ys in
                out.withUnsafeMutableBufferPointer { dst in
                    for r in 0..<n {
                        for j in 0..<p { dst[r * (p + q) + j] = xs[r * p + j] }
                        for j in 0..<q { dst[r * (p + q) + p + j] = ys[r * q + j] }
                    }
                }
            }
        }
    }

    public mutating func updateParameters(_ body: (inout Parameter) throws -> Void) rethrows {
        try encoder.updateParameters(body)
        try decoder.updateParameters(body)
    }

    public func forEachParameter(_ body: (Parameter) throws -> Void) rethrows {
        try encoder.forEachParameter(body)
        try decoder.forEachParameter(body)
    }
}

/// Buffers for an inference pass of an `MLP` outside its training caches (BLAS products, one buffer per layer).
public struct InferenceWorkspace: Sendable {
    /// The network's input, filled by the caller.
    var input = Matrix(rows: 0, columns: 0)
    private var outputs: [Matrix] = []

    public init() {}

    /// The network's output for `input`.
    mutating func run(_ network: MLP) -> Matrix {
        if outputs.count != network.layers.count {
            outputs = [Matrix](repeating: Matrix(rows: 0, columns: 0), count: network.layers.count)
        }
        for i in network.layers.indices {
            network.layers[i].forward(i == 0 ? input : outputs[i - 1], into: &outputs[i])
            network.activations[i].apply(&outputs[i])
        }
        return outputs[outputs.count - 1]
    }
}
