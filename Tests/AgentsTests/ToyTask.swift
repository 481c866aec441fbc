import Agents
import Numerics
import Simulator

/// A tiny finite-horizon MDP with a known optimal return, for checking that agents learn.
///
/// State `(x0, x1, t/H)` with `x0, x1 ~ U(−1, 1)` drawn afresh every step; a two-dimensional
/// action whose optimal normalised value depends on the state,
/// `a*(s) = (0.3 + 0.5·x0, 0.5·(x1 − x0))`; reward `1 − ‖a − a*(s)‖²` (normalised units); the
/// episode ends (terminal) after `H = 5` steps. The raw action box is `[0, 2] × [−2, 2]`, so
/// policies must go through `ActionSpace` correctly.
///
/// Known values, in expectation over the states:
/// - optimal (state-dependent) policy: return `H = 5`;
/// - best fixed action `(0.3, 0)`: per step `1 − Var(0.5·x0) − Var(0.5·(x1 − x0)) = 1 − 1/12 − 1/6`, return 3.75;
/// - zero action (centre of the box): return 3.3;
/// - uniformly random actions: return ≈ −0.03.
enum ToyTask {
    static let horizon = 5
    static let optimalReturn = 5.0
    static let bestFixedReturn = 3.75
    static let bestFixedAction: [Float] = [0.3, 0]
    static let actionSpace = ActionSpace(names: ["w.a", "w.b"], low: [0, -2], high: [2, 2], baseline: [1, 0])
    static let environment = AgentEnvironment(stateNames: ["x0", "x1", "time"], actionSpace: actionSpace)

    static func optimalAction(x0: Float, x1: Float) -> (Float, Float) { (0.3 + 0.5 * x0, 0.5 * (x1 - x0)) }

    static func reward(x0: Float, x1: Float, action a0: Float, _ a1: Float) -> Float {
        let (t0, t1) = optimalAction(x0: x0, x1: x1)
        return 1 - (a0 - t0) * (a0 - t0) - (a1 - t1) * (a1 - t1)
    }

    /// Expected return of a fixed normalised action `m` (exact).
    static func expectedReturn(fixed m: [Float]) -> Double {
        let d0 = Double(m[0]) - 0.3, d1 = Double(m[1])
        return Double(horizon) * (1 - (d0 * d0 + 1.0 / 12) - (d1 * d1 + 1.0 / 6))
    }
}

/// `lanes` independent copies of `ToyTask` stepped together; finished episodes restart at once.
struct ToyBatchEnvironment {
    let lanes: Int
    private(set) var states: Matrix
    private var steps: [Int]
    private var stream: RandomStream

    init(lanes: Int, seed: UInt64) {
        self.lanes = lanes
        stream = RandomStream(seed: seed, keys: streamKey("toy-environment"))
        states = Matrix(rows: lanes, columns: 3)
        steps = [Int](repeating: 0, count: lanes)
        for r in 0..<lanes { draw(row: r, step: 0) }
    }

    private mutating func draw(row r: Int, step: Int) {
        states[r, 0] = Float(2 * stream.nextUniform() - 1)
        states[r, 1] = Float(2 * stream.nextUniform() - 1)
        states[r, 2] = Float(step) / Float(ToyTask.horizon)
    }

    /// Applies raw actions (`lanes × 2`), returns the transitions and the rewards.
    mutating func step(rawActions: Matrix) -> TransitionBatch {
        let space = ToyTask.actionSpace
        let before = states
        var rewards = [Float](repeating: 0, count: lanes)
        var terminals = [Bool](repeating: false, count: lanes)
        for r in 0..<lanes {
            let a0 = space.normalize(rawActions[r, 0], dimension: 0)
            let a1 = space.normalize(rawActions[r, 1], dimension: 1)
            rewards[r] = ToyTask.reward(x0: before[r, 0], x1: before[r, 1], action: a0, a1)
            steps[r] += 1
            terminals[r] = steps[r] == ToyTask.horizon
            draw(row: r, step: steps[r])
        }
        let next = states
        for r in 0..<lanes where terminals[r] {
            steps[r] = 0
            draw(row: r, step: 0)
        }
        return TransitionBatch(states: before, rawActions: rawActions, actionSpace: space, rewards: rewards,
                               nextStates: next, terminals: terminals)
    }
}

/// Mean return of `policy` over `episodes` episodes run side by side (fixed seed: common random
/// numbers across policies).
func evaluate(_ policy: some FusionPolicy, episodes: Int = 200, seed: UInt64 = 999) -> Double {
    var environment = ToyBatchEnvironment(lanes: episodes, seed: seed)
    var streams = (0..<episodes).map { RandomStream(seed: seed, keys: streamKey("eval"), UInt64($0)) }
    var output = PolicyOutput(batch: episodes, actionDimension: 2)
    var total = 0.0
    for _ in 0..<ToyTask.horizon {
        streams.withUnsafeMutableBufferPointer { policy.act(states: environment.states, streams: $0.baseAddress!, into: &output) }
        let batch = environment.step(rawActions: output.actions)
        total += batch.rewards.reduce(0) { $0 + Double($1) }
    }
    return total / Double(episodes)
}

/// Collects experience with the agent's behaviour policy in `lanes` parallel episodes and takes
/// `updatesPerStep` gradient steps after every environment step.
func train<A: OnlineAgent>(_ agent: inout A, lanes: Int, environmentSteps: Int, updatesPerStep: Int, seed: UInt64) {
    var environment = ToyBatchEnvironment(lanes: lanes, seed: seed)
    var streams = (0..<lanes).map { RandomStream(seed: seed, keys: streamKey("behaviour"), UInt64($0)) }
    var updateStream = RandomStream(seed: seed, keys: streamKey("updates"))
    var output = PolicyOutput(batch: lanes, actionDimension: 2)
    for _ in 0..<environmentSteps {
        let policy = agent.behaviourPolicy()
        streams.withUnsafeMutableBufferPointer { policy.act(states: environment.states, streams: $0.baseAddress!, into: &output) }
        agent.observe(environment.step(rawActions: output.actions))
        _ = agent.update(steps: updatesPerStep, stream: &updateStream)
    }
}

/// The configuration used by the learning tests: small networks and batches so that a debug
/// build trains in seconds.
func toySettings() -> ActorCriticConfiguration {
    var c = ActorCriticConfiguration()
    c.hiddenSizes = [64, 64]
    c.batchSize = 64
    c.actorLearningRate = 1e-3
    c.criticLearningRate = 1e-3
    c.replayCapacity = 10_000
    c.learningStarts = 256
    c.explorationSigma = 0.3
    c.targetUpdateRate = 0.01
    return c
}
