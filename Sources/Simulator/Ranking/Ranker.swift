import Numerics

/// The candidates of a batch of requests, as a ranker may see them: `lanes` requests of
/// `candidatesPerLane` candidates each, row `lane · candidatesPerLane + j`.
///
/// Rankers read observed attributes through `catalog` / `users` (category, creator, duration,
/// observed popularity; activity degree, registration age). The true probabilities are exposed only as
/// `oracleProbabilities`, named so that reading latent truth is always explicit.
public struct CandidateBatch {
    public let lanes: Int
    public let candidatesPerLane: Int
    public let taskCount: Int
    /// User of each lane.
    public let users: UnsafePointer<Int32>
    /// Index of each lane's request in its session (0 for the first), or `nil` when unknown.
    public let requestIndices: UnsafePointer<Int32>?
    /// What has been observed of each lane's user so far, or `nil` when unknown.
    public let histories: UnsafePointer<EngagementHistory>?
    /// Item of each candidate row.
    public let items: UnsafePointer<Int32>
    public let catalog: Catalog
    public let population: UserPopulation
    /// True per-impression probabilities (examined item), `rows × taskCount`. Oracles only.
    public let oracleProbabilities: UnsafePointer<Float>

    public var rows: Int { lanes * candidatesPerLane }

    public init(lanes: Int, candidatesPerLane: Int, taskCount: Int, users: UnsafePointer<Int32>, items: UnsafePointer<Int32>,
                catalog: Catalog, population: UserPopulation, oracleProbabilities: UnsafePointer<Float>,
                requestIndices: UnsafePointer<Int32>? = nil, histories: UnsafePointer<EngagementHistory>? = nil) {
        self.lanes = lanes
        self.candidatesPerLane = candidatesPerLane
        self.taskCount = taskCount
        self.users = users
        self.requestIndices = requestIndices
        self.histories = histories
        self.items = items
        self.catalog = catalog
        self.population = population
        self.oracleProbabilities = oracleProbabilities
    }
}

/// A multi-task ranker: per-task probabilities for every candidate.
public protocol Ranker: Sendable {
    /// Short name for summaries and logs (`oracle-noise`, `mmoe`, …).
    var name: String { get }
    var taskCount: Int { get }
    /// Writes `batch.rows × taskCount` predictions. Randomness, if any, comes from the lane's stream
    /// (one per request's session) so that predictions do not depend on the batch composition.
    func predict(_ batch: CandidateBatch, streams: UnsafeMutablePointer<RandomStream>,
                 into predictions: UnsafeMutablePointer<Float>)
}

/// The world's true probabilities seen through logit-space Gaussian noise: p̂ = σ(logit p + σ_k·ε).
///
/// It lets the simulator run before any model is trained, with per-task accuracy set by σ_k
/// (σ = 0 is the oracle; larger σ lowers the AUC toward what real rankers reach: click ≈ 0.75, like ≈ 0.85
/// on KuaiRand-1K). It reads latent truth by design, and is named so.
public struct OracleNoiseRanker: Ranker {
    public let taskCount: Int
    /// Logit-space noise standard deviation per task.
    public let noise: [Float]
    public var name: String { "oracle-noise" }

    public init(noise: [Float]) {
        taskCount = noise.count
        self.noise = noise
    }

    public init(config: EnvironmentConfig) {
        self.init(noise: config.taskNames.map { Float(config.ranker.noise[$0] ?? config.ranker.defaultNoise) })
    }

    public func predict(_ batch: CandidateBatch, streams: UnsafeMutablePointer<RandomStream>,
                        into predictions: UnsafeMutablePointer<Float>) {
        let t = taskCount, k = batch.candidatesPerLane
        noise.withUnsafeBufferPointer { sigma in
            for lane in 0..<batch.lanes {
                let base = lane * k * t
                // Draw the noise first (a serial ziggurat), then transform with a loop the compiler vectorises:
                // σ(logit p + σε) = p / (p + (1 − p)·e^{−σε}), one exponential and no logarithm.
                for i in 0..<(k * t) { predictions[base + i] = streams[lane].normalFloat() }
                for j in 0..<k {
                    let row = base + j * t
                    for task in 0..<t {
                        let p = min(max(batch.oracleProbabilities[row + task], 1e-7), 1 - 1e-7)
                        let odds = FastMath.exp(-sigma[task] * predictions[row + task])
                        predictions[row + task] = min(max(p / (p + (1 - p) * odds), 1e-7), 1 - 1e-7)
                    }
                }
            }
        }
    }
}
