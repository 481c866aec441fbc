import Foundation
import Numerics
import Rollout
import Simulator

/// How an agent is trained online in the simulator.
public struct OnlineTrainingOptions: Codable, Sendable, Equatable {
    /// Environment steps (requests) to collect in total.
    public var environmentSteps = 300_000
    /// Episodes (users' multi-day runs) simulated per collection round (about 300 steps each on short-video).
    public var episodesPerRound = 64
    /// Episodes advanced together in one batch; a round's blocks are spread over the threads.
    public var lanes = 32
    /// Gradient steps per collected transition (the update-to-data ratio).
    public var updatesPerStep = 0.125
    /// Evaluate the deterministic policy on held-out users after every this many environment steps.
    public var evaluationInterval = 50_000
    /// Held-out episodes per evaluation.
    public var evaluationEpisodes = 128
    /// Seeds the agent, its updates and the training episodes' streams.
    public var seed: UInt64 = 1
    /// Simulation threads (results do not depend on it).
    public var threads = 1

    public init() {}
}

/// One point of a learning curve: the deterministic policy's held-out value after some training.
public struct LearningCurvePoint: Codable, Sendable, Equatable {
    public var environmentSteps: Int
    public var updates: Int
    public var wallSeconds: Double
    public var heldOut: HeldOutEvaluation.Result

    public init(environmentSteps: Int, updates: Int, wallSeconds: Double, heldOut: HeldOutEvaluation.Result) {
        self.environmentSteps = environmentSteps
        self.updates = updates
        self.wallSeconds = wallSeconds
        self.heldOut = heldOut
    }
}

/// Online training of an off-policy actor-critic agent over batched simulator sessions (docs/design.md, "Training").
///
/// Each round simulates `episodesPerRound` whole episodes of training users (`UserPool.training`) with the
/// agent's behaviour policy (the first round: the environment's BatchRL-MTF mixture logging policy, for a
/// diverse start), hands their transitions to the agent, and takes `updatesPerStep` gradient steps per new
/// transition. Rounds use fresh episode indices, hence fresh streams; everything is seeded, and the result does
/// not depend on the thread count. Every `evaluationInterval` steps the deterministic policy is evaluated on
/// held-out users.
public struct OnlineTraining<A: OnlineAgent> {
    public private(set) var agent: A
    public let world: World
    public let ranker: any Ranker
    public let options: OnlineTrainingOptions
    public let evaluation: HeldOutEvaluation
    public private(set) var curve: [LearningCurvePoint] = []
    public private(set) var environmentSteps = 0
    public private(set) var lastDiagnostics = UpdateDiagnostics()

    public init(agent: A, world: World, ranker: any Ranker, options: OnlineTrainingOptions) {
        self.agent = agent
        self.world = world
        self.ranker = ranker
        self.options = options
        evaluation = HeldOutEvaluation(world: world, ranker: ranker, seed: HeldOutEvaluation.trainingSeed,
                                       episodes: options.evaluationEpisodes, threads: options.threads)
    }

    /// Trains to `options.environmentSteps`.
    ///
    /// - Parameters:
    ///   - sessions: receives each round's traced sessions (for the episode log) before learning from them.
    ///   - progress: environment steps so far, after every round.
    ///   - evaluated: each learning-curve point as it is measured.
    ///   An error thrown by any of them stops training after the round in progress and is rethrown.
    public mutating func run(sessions sink: ([SessionRecord]) throws -> Void = { _ in },
                             progress: (Int) throws -> Void = { _ in },
                             evaluated: (LearningCurvePoint) throws -> Void = { _ in }) throws {
        let clock = ContinuousClock(), start = clock.now
        var updateStream = RandomStream(seed: options.seed, keys: streamKey("agent-updates"))
        let warmup = try PolicySpec.parse("mixture", world: world)
        var round = 0, nextEvaluation = options.evaluationInterval, updateDebt = 0.0
        let stateDimension = world.stateLayout.dimension
        func evaluate() throws {
            let point = LearningCurvePoint(environmentSteps: environmentSteps, updates: agent.updateCount,
                                           wallSeconds: (clock.now - start).seconds,
                                           heldOut: evaluation.evaluate(agent.evaluationPolicy()))
            curve.append(point)
            try evaluated(point)
        }
        while environmentSteps < options.environmentSteps {
            let behaviour: any FusionPolicy = round == 0 ? warmup : agent.behaviourPolicy()
            let first = round * options.episodesPerRound
            let sessions = Simulation(world: world, ranker: ranker, policy: behaviour, seed: options.seed,
                                      users: .training, policyVersion: agent.updateCount)
                .episodes(first..<(first + options.episodesPerRound), threads: options.threads, lanes: options.lanes, trace: true)
            try sink(sessions)
            let batch = TransitionBatch(sessions: sessions, actionSpace: agent.environment.actionSpace,
                                        stateDimension: stateDimension)
            agent.observe(batch)
            environmentSteps += sessions.reduce(0) { $0 + $1.requests }
            updateDebt += Double(batch.count) * options.updatesPerStep
            let steps = Int(updateDebt)
            updateDebt -= Double(steps)
            lastDiagnostics = agent.update(steps: steps, stream: &updateStream)
            round += 1
            try progress(min(environmentSteps, options.environmentSteps))
            if environmentSteps >= nextEvaluation && environmentSteps < options.environmentSteps {
                try evaluate()
                nextEvaluation += options.evaluationInterval
            }
        }
        try evaluate()
    }
}
