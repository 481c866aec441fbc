import Dispatch
import NeuralNet
import Numerics
import Rollout
import Simulator
import Synchronization

/// The industry default: a search over one fixed fusion-weight vector for all requests, by the cross-entropy
/// method (Rubinstein 1999; de Boer et al. 2005) in the normalised action box, each candidate scored by its
/// reward per user-day on the same `episodes` training-user episodes (common random numbers across candidates
/// and iterations, so differences are not noise from different users).
public struct FixedWeightSearch: Sendable {
    public let world: World
    public let ranker: any Ranker
    public let configuration: CrossEntropyMethodConfiguration
    /// Training-user episodes each candidate is scored on.
    public let episodes: Int
    public let seed: UInt64
    public let threads: Int

    public init(world: World, ranker: any Ranker, configuration: CrossEntropyMethodConfiguration, episodes: Int,
                seed: UInt64, threads: Int) {
        self.world = world
        self.ranker = ranker
        self.configuration = configuration
        self.episodes = episodes
        self.seed = seed
        self.threads = threads
    }

    /// Reward per user-day of the fixed normalised action `x` on the search episodes, and the requests simulated.
    public func score(_ x: [Float]) -> (value: Double, requests: Int) {
        let space = world.actionSpace
        let policy = FixedPolicy(action: space.denormalize(x.map { min(max($0, -1), 1) }), actionSpace: space)
        let sessions = Simulation(world: world, ranker: ranker, policy: policy, seed: seed, users: .training)
            .episodes(0..<episodes, threads: 1, trace: false)
        return (HeldOutEvaluation.result(sessions, horizonDays: world.config.episode.horizonDays).rewardPerUserDay.mean,
                sessions.reduce(0) { $0 + $1.requests })
    }

    /// Runs the search from the environment's baseline weights; returns the final mean (normalised units) and the
    /// requests simulated, and reports each iteration (an error thrown by `report` stops the search). Candidates of an
    /// iteration are scored in parallel, one per thread.
    public func run(iteration report: (CrossEntropyMethod.Iteration) throws -> Void = { _ in }) throws
        -> (mean: [Float], environmentSteps: Int) {
        let space = world.actionSpace
        var cem = try CrossEntropyMethod(dimension: space.dimension, configuration: configuration,
                                     initialMean: space.normalize(space.baseline))
        var stream = RandomStream(seed: seed, keys: streamKey("cem"))
        var requests = 0
        for _ in 0..<configuration.iterations {
            let population = cem.samplePopulation(stream: &stream)
            let values = Mutex([Double](repeating: .nan, count: population.count))
            let next = Atomic(0), steps = Atomic(0)
            DispatchQueue.concurrentPerform(iterations: min(threads, population.count)) { _ in
                while true {
                    let i = next.add(1, ordering: .relaxed).oldValue
                    guard i < population.count else { return }
                    let (value, simulated) = score(population[i])
                    values.withLock { $0[i] = value }
                    steps.add(simulated, ordering: .relaxed)
                }
            }
            requests += steps.load(ordering: .relaxed)
            try report(cem.tell(population: population, values: values.withLock { $0 }))
        }
        return (cem.mean, requests)
    }

    /// A deterministic policy that always plays the normalised action `x`, as an `ActorPolicy` (a state-free
    /// actor: zero weights, output bias atanh(x)) so that it is saved, loaded and evaluated like a learned one.
    public static func constantPolicy(_ x: [Float], environment: AgentEnvironment, agentName: String) -> ActorPolicy {
        var stream = RandomStream(seed: 0)
        var actor = ActorNetwork(stateDimension: environment.stateDimension, actionDimension: environment.actionDimension,
                                 hiddenSizes: [], head: .deterministic, stream: &stream)
        actor.updateParameters { p in
            p.value.withUnsafeMutableBufferPointer { v in
                if p.name.hasSuffix(".bias") {
                    for k in 0..<v.count {
                        let a = min(max(x[k], -0.999_999), 0.999_999)
                        v[k] = 0.5 * Elementary.log((1 + a) / (1 - a))  // atanh
                    }
                } else {
                    for k in 0..<v.count { v[k] = 0 }
                }
            }
        }
        return ActorPolicy(agentName: agentName, actor: actor, normalizer: .identity(dimension: environment.stateDimension),
                           environment: environment)
    }
}
