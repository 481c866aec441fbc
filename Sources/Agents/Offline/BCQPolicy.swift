import NeuralNet
import Numerics
import Simulator

/// A trained BCQ policy as a `FusionPolicy` (Fujimoto, Meger & Precup 2019, eq. 10): for each state, n latents
/// z ~ N(0, I) clipped to [−c, c] are decoded into proposals a_i = D(s, z_i), each is perturbed,
/// a'_i = clip(a_i + Φ·tanh(f(s, a_i)), −1, 1), and the one with the largest Q₁(s, a'_i) is taken (the first on ties).
///
/// What it records in `PolicyOutput`: the chosen action in raw units as both `actions` and `means` (there is no
/// action "without exploration": the proposals are the policy), group `.implicit`, log-density 0. The action is
/// random through the latents, but its distribution, an argmax over n draws pushed through two networks, has no
/// closed form; the episode log's `log_density` is `REAL NOT NULL` (SQLite stores a NaN as NULL), so 0 is written and
/// the group tells estimators that it is not a density. For the same reason `BCQPolicy` is not a `PolicyDensity`.
///
/// Rows are independent: every network runs row by row in a fixed order of operations (`RowIndependentDense`) and
/// row `r`'s latents come only from `streams[r]` (n·L standard normals, in order), so a session's actions do not
/// depend on which other sessions share the batch.
public struct BCQPolicy: FusionPolicy {
    /// The generative model's decoder D(s, z): `state + L` inputs, tanh output.
    public let decoder: MLP
    public let perturbation: PerturbationNetwork
    /// Q₁, which ranks the perturbed proposals.
    public let critic: Critic
    public let normalizer: NormalizerStatistics
    public let environment: AgentEnvironment
    /// n: proposals per decision.
    public let candidateCount: Int
    /// c: latents are clipped to [−c, c].
    public let latentClip: Float
    /// Gradient steps the learner had taken.
    public let updates: Int
    public let spec: String

    public init(decoder: MLP, perturbation: PerturbationNetwork, critic: Critic, normalizer: NormalizerStatistics,
                environment: AgentEnvironment, candidateCount: Int, latentClip: Float, updates: Int = 0, spec: String? = nil) {
        let (s, a) = (environment.stateDimension, environment.actionDimension)
        precondition(normalizer.dimension == s && perturbation.stateDimension == s && critic.stateDimension == s
                     && decoder.inputSize > s,
                     "BCQPolicy: networks and normaliser do not take the environment's \(s) state features")
        precondition(decoder.outputSize == a && perturbation.actionDimension == a && critic.actionDimension == a,
                     "BCQPolicy: networks do not choose the environment's \(a) actions")
        precondition(decoder.activations.last == .tanh, "BCQPolicy: the decoder must end in tanh")
        precondition(candidateCount >= 1 && latentClip > 0, "BCQPolicy: n = \(candidateCount), c = \(latentClip)")
        self.decoder = decoder
        self.perturbation = perturbation
        self.critic = critic
        self.normalizer = normalizer
        self.environment = environment
        self.candidateCount = candidateCount
        self.latentClip = latentClip
        self.updates = updates
        self.spec = spec ?? "\(BCQ.name)@\(updates)"
    }

    public var actionSpace: ActionSpace { environment.actionSpace }
    /// Φ, normalised units.
    public var perturbationLimit: Float { perturbation.limit }
    /// No Gaussian σ or box half-width describes the randomness: 0.
    public var explorationScale: Float { 0 }
    public var latentDimension: Int { decoder.inputSize - environment.stateDimension }

    /// One batch of decisions in normalised units: `proposals` and `perturbed` are `(batch·n) × A` (rows
    /// `r·n … r·n + n − 1` belong to state r), `values` their Q₁, `choices[r]` the chosen candidate of state r.
    public struct Decision: Sendable {
        public var proposals: Matrix
        public var perturbed: Matrix
        public var values: Matrix
        public var choices: [Int]

        /// The chosen action of state `r`, normalised.
        public func action(_ r: Int, candidates n: Int) -> [Float] { Array(perturbed.row(r * n + choices[r])) }
    }

    /// The proposals, their perturbations and values, and the choice for each raw state; row `r` draws from `streams[r]`.
    public func decide(states: Matrix, streams: UnsafeMutablePointer<RandomStream>) -> Decision {
        let (b, n, l) = (states.rows, candidateCount, latentDimension)
        let normalized = normalizer.applied(to: states)
        var repeated = Matrix(rows: 0, columns: 0)
        BCQ.repeatRows(normalized, times: n, into: &repeated)
        var latents = Matrix(rows: b * n, columns: l)
        let c = latentClip
        latents.withUnsafeMutableBufferPointer { z in
            for r in 0..<b {
                for k in 0..<(n * l) { z[r * n * l + k] = min(max(streams[r].normalFloat(), -c), c) }
            }
        }
        var input = Matrix(rows: 0, columns: 0)
        ConditionalVAE.concatenate(repeated, latents, into: &input)
        let proposals = RowIndependentDense.predict(decoder, input)
        ConditionalVAE.concatenate(repeated, proposals, into: &input)
        var perturbed = Matrix(rows: 0, columns: 0)
        PerturbationNetwork.perturb(proposals, by: RowIndependentDense.predict(perturbation.network, input),
                                    limit: perturbation.limit, into: &perturbed)
        ConditionalVAE.concatenate(repeated, perturbed, into: &input)
        let values = RowIndependentDense.predict(critic.network, input)
        var choices = [Int](repeating: 0, count: b)
        for r in 0..<b {
            var best = 0
            for i in 1..<max(n, 1) where values[r * n + i, 0] > values[r * n + best, 0] { best = i }
            choices[r] = best
        }
        return Decision(proposals: proposals, perturbed: perturbed, values: values, choices: choices)
    }

    public func act(states: Matrix, streams: UnsafeMutablePointer<RandomStream>, into output: inout PolicyOutput) {
        let (b, a) = (states.rows, environment.actionDimension)
        output.prepare(batch: b, actionDimension: a)
        guard b > 0 else { return }
        let decision = decide(states: states, streams: streams)
        let space = environment.actionSpace
        var raw = [Float](repeating: 0, count: a)
        for r in 0..<b {
            let row = r * candidateCount + decision.choices[r]
            for j in 0..<a {
                raw[j] = min(max(space.denormalize(decision.perturbed[row, j], dimension: j), space.low[j]), space.high[j])
            }
            output.record(row: r, action: raw, mean: raw, logDensity: 0, group: .implicit)
        }
    }}
