import EpisodeLog
@testable import MTFSimC
import Numerics
import Rollout
import Simulator
import Testing
import TestSupport

/// An environment made through the C ABI, freed at the end of the test.
final class CEnvironment {
    let pointer: OpaquePointer
    let count: Int, stateDimension: Int, actionDimension: Int, componentCount: Int

    init(_ environment: String? = "tiny", yaml: String? = nil, seed: UInt64, count: Int = 1, users: String = "all",
         scope: Int32 = 0, threads: Int32 = 1) throws {
        var error = [CChar](repeating: 0, count: 512)
        let made: OpaquePointer? = withOptionalCString(environment) { name in
            withOptionalCString(yaml) { text in
                mtfsim_env_create(name, text, nil, seed, Int32(count), users, 0, scope, threads, &error, error.count)
            }
        }
        guard let made else { throw CreateError(message: String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
        pointer = made
        var c: Int32 = 0, s: Int32 = 0, a: Int32 = 0, k: Int32 = 0
        #expect(mtfsim_env_sizes(made, &c, &s, &a, &k) == 0)
        (self.count, stateDimension, actionDimension, componentCount) = (Int(c), Int(s), Int(a), Int(k))
    }

    deinit { mtfsim_env_free(pointer) }

    struct CreateError: Error { var message: String }

    struct Step {
        var observations: [Float], rewards: [Double], components: [Float]
        var terminated: [UInt8], truncated: [UInt8], sessionEnd: [UInt8], elapsedMinutes: [Double]
    }

    var lastError: String { String(cString: mtfsim_env_last_error(pointer)!) }

    func reset(seed: UInt64? = nil, episodes: [Int64]? = nil) -> (status: Int32, observations: [Float]) {
        var observations = [Float](repeating: .nan, count: count * stateDimension)
        let status = withOptionalArray(episodes) { e in
            mtfsim_env_reset(pointer, seed ?? 0, seed == nil ? 0 : 1, e, &observations)
        }
        return (status, observations)
    }

    func step(_ actions: [Float]) -> (status: Int32, step: Step) {
        var s = Step(observations: .init(repeating: .nan, count: count * stateDimension), rewards: .init(repeating: .nan, count: count),
                     components: .init(repeating: .nan, count: count * componentCount), terminated: .init(repeating: 9, count: count),
                     truncated: .init(repeating: 9, count: count), sessionEnd: .init(repeating: 9, count: count),
                     elapsedMinutes: .init(repeating: .nan, count: count))
        let status = mtfsim_env_step(pointer, actions, Int64(actions.count), &s.observations, &s.rewards, &s.components,
                                     &s.terminated, &s.truncated, &s.sessionEnd, &s.elapsedMinutes)
        return (status, s)
    }

    func act(_ policy: String) -> (status: Int32, actions: [Float]) {
        var actions = [Float](repeating: .nan, count: count * actionDimension)
        let status = mtfsim_env_act(pointer, policy, &actions, Int64(actions.count))
        return (status, actions)
    }

    func positions() -> [VectorEnvironment.Position] {
        var e = [Int64](repeating: 0, count: count), u = e
        var s = [Int32](repeating: 0, count: count), r = s
        #expect(mtfsim_env_positions(pointer, &e, &u, &s, &r) == 0)
        var out: [VectorEnvironment.Position] = []
        for slot in 0..<count {
            out.append(VectorEnvironment.Position(episode: Int(e[slot]), user: Int(u[slot]), sessionIndex: Int(s[slot]),
                                                  requestIndex: Int(r[slot])))
        }
        return out
    }
}

private func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}

private func withOptionalArray<R>(_ a: [Int64]?, _ body: (UnsafePointer<Int64>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// The tiny world's episodes under the mixture logging policy, traced as `simulate --log` records them.
private func loggedEpisodes(seed: UInt64, episodes: Range<Int>) throws -> [SessionRecord] {
    let world = try World(config: try EnvironmentLoader.resolve("tiny").config, seed: seed)
    let policy = try PolicySpec.parse("mixture", world: world)
    return Simulation(world: world, ranker: OracleNoiseRanker(config: world.config), policy: policy, seed: seed)
        .episodes(episodes, threads: 1, lanes: 4, trace: true)
}

@Suite("C ABI")
struct CABITests {
    @Test func loggedActionsReproduceTheSimulatedEpisodesBitForBit() throws {
        let seed: UInt64 = 5
        let sessions = try loggedEpisodes(seed: seed, episodes: 0..<6)
        let env = try CEnvironment(seed: seed, count: 1)
        for episode in 0..<6 {
            let steps = sessions.filter { $0.episode == episode }.flatMap(\.steps)
            #expect(!steps.isEmpty)
            var (status, observation) = env.reset(episodes: [Int64(episode)])
            #expect(status == 0)
            for (i, logged) in steps.enumerated() {
                #expect(observation.map(\.bitPattern) == logged.state.map(\.bitPattern), "episode \(episode) step \(i): state")
                let (stepStatus, s) = env.step(logged.action)
                #expect(stepStatus == 0)
                #expect(s.rewards[0].bitPattern == logged.reward.bitPattern, "episode \(episode) step \(i): reward")
                #expect(s.components.map(\.bitPattern) == logged.rewardComponents.map(\.bitPattern))
                #expect(s.sessionEnd[0] == (logged.sessionEnd ? 1 : 0))
                #expect(s.terminated[0] == (logged.terminal ? 1 : 0))
                #expect(s.truncated[0] == (logged.truncated ? 1 : 0))
                #expect(s.elapsedMinutes[0] == logged.elapsedMinutes)
                let last = i == steps.count - 1
                #expect((s.terminated[0] == 1 || s.truncated[0] == 1) == last, "only the last step ends the episode")
                // The final observation is a copy of the last state.
                observation = last ? logged.state : s.observations
                if last { #expect(s.observations.map(\.bitPattern) == logged.state.map(\.bitPattern)) }
            }
        }
    }

    @Test func mtfsimPoliciesActingThroughTheABIReproduceSimulateBitForBit() throws {
        // Three slots, six episodes: slots autoreset into episodes 3, 4 and 5; the mixture draws its exploration from
        // each episode's keyed policy stream, as `simulate --policy mixture` does.
        let seed: UInt64 = 5
        let logged = try loggedEpisodes(seed: seed, episodes: 0..<6)
        let steps = (0..<6).map { e in logged.filter { $0.episode == e }.flatMap(\.steps) }
        let env = try CEnvironment(seed: seed, count: 3)
        #expect(env.act("mixture").status == Status.notReset.rawValue)
        _ = env.reset()
        var next = [Int](repeating: 0, count: 3), finished = 0, restarting = [false, false, false]
        let a = env.actionDimension
        while finished < 6 {
            let (status, actions) = env.act("mixture")
            #expect(status == 0)
            let positions = env.positions()
            for slot in 0..<3 where !restarting[slot] && positions[slot].episode < 6 {
                let step = steps[positions[slot].episode][next[slot]]
                #expect(Array(actions[slot * a..<(slot + 1) * a]).map(\.bitPattern) == step.action.map(\.bitPattern),
                        "episode \(positions[slot].episode) step \(next[slot]): action")
            }
            let (_, s) = env.step(actions)
            for slot in 0..<3 {
                if restarting[slot] { restarting[slot] = false; next[slot] = 0; continue }
                guard positions[slot].episode < 6 else { continue }
                let step = steps[positions[slot].episode][next[slot]]
                #expect(s.rewards[slot].bitPattern == step.reward.bitPattern)
                next[slot] += 1
                if s.terminated[slot] == 1 || s.truncated[slot] == 1 {
                    #expect(next[slot] == steps[positions[slot].episode].count)
                    finished += 1
                    restarting[slot] = true
                }
            }
        }
        #expect(env.act("no-such-policy").status == Status.policy.rawValue)
        #expect(env.lastError.contains("no-such-policy"), "\(env.lastError)")
        #expect(env.act("/no/such/file.ckpt").status == Status.policy.rawValue)
        var short = [Float](repeating: 0, count: 1)
        #expect(mtfsim_env_act(env.pointer, "baseline", &short, 1) == Status.invalidArgument.rawValue)
    }

    @Test func slotsAreIndependentAndAutoresetStartsTheNextEpisode() throws {
        let seed: UInt64 = 9
        let sessions = try loggedEpisodes(seed: seed, episodes: 0..<3)
        let steps = (0..<3).map { e in sessions.filter { $0.episode == e }.flatMap(\.steps) }
        let env = try CEnvironment(seed: seed, count: 3)
        var (status, observations) = env.reset()
        #expect(status == 0)
        #expect(env.positions().map(\.episode) == [0, 1, 2])
        let s = env.stateDimension, a = env.actionDimension
        var cursor = [0, 0, 0], finished = [false, false, false], restarted = [false, false, false]
        while !restarted.allSatisfy({ $0 }) {
            var actions = [Float]()
            for slot in 0..<3 {
                if !finished[slot] {
                    #expect(Array(observations[(slot * s)..<((slot + 1) * s)]) == steps[slot][cursor[slot]].state)
                    actions += steps[slot][cursor[slot]].action
                } else if !restarted[slot] {
                    actions += [Float](repeating: .nan, count: a)   // ignored: the slot resets
                } else {
                    actions += [Float](repeating: 0, count: a)      // the next episode goes on
                }
            }
            let (stepStatus, out) = env.step(actions)
            #expect(stepStatus == 0, "\(env.lastError)")
            observations = out.observations
            for slot in 0..<3 {
                if finished[slot] {
                    if !restarted[slot] {
                        restarted[slot] = true
                        #expect(out.rewards[slot] == 0 && out.terminated[slot] == 0 && out.truncated[slot] == 0)
                        #expect(env.positions()[slot].episode >= 3, "a new episode number")
                        #expect(env.positions()[slot].requestIndex == 0)
                    }
                    continue
                }
                #expect(out.rewards[slot] == steps[slot][cursor[slot]].reward)
                cursor[slot] += 1
                if cursor[slot] == steps[slot].count {
                    #expect(out.terminated[slot] + out.truncated[slot] == 1)
                    finished[slot] = true
                }
            }
        }
        let episodes = env.positions().map(\.episode)
        #expect(Set(episodes).count == 3 && episodes.allSatisfy { $0 >= 3 }, "new, distinct episode numbers: \(episodes)")
    }

    @Test func resultsDoNotDependOnTheThreadCount() throws {
        func trajectory(threads: Int32) throws -> [CEnvironment.Step] {
            let env = try CEnvironment(seed: 4, count: 5, threads: threads)
            #expect(env.reset().status == 0)
            var rng = RandomStream(seed: 77)
            let world = try World(config: try EnvironmentLoader.resolve("tiny").config, seed: 4)
            let space = world.actionSpace
            return (0..<400).map { _ in
                let actions = (0..<(5 * env.actionDimension)).map { i in
                    let d = i % env.actionDimension
                    return space.low[d] + Float(rng.nextUniform()) * (space.high[d] - space.low[d])
                }
                return env.step(actions).step
            }
        }
        let one = try trajectory(threads: 1)
        #expect(one.contains { $0.terminated.contains(1) || $0.truncated.contains(1) }, "episodes end and restart")
        for threads: Int32 in [2, 3, 5] {
            let other = try trajectory(threads: threads)
            #expect(other.map(\.observations) == one.map(\.observations), "threads \(threads)")
            #expect(other.map(\.rewards) == one.map(\.rewards) && other.map(\.terminated) == one.map(\.terminated))
        }
    }

    @Test func sessionScopeEndsEpisodesAtTheSessionsEnd() throws {
        let seed: UInt64 = 5
        let sessions = try loggedEpisodes(seed: seed, episodes: 0..<1)
        let env = try CEnvironment(seed: seed, count: 1, scope: 1)
        #expect(env.reset(episodes: [0]).status == 0)
        for session in sessions {
            #expect(env.positions()[0].sessionIndex == session.sessionIndex)
            for (i, logged) in session.steps.enumerated() {
                let out = env.step(logged.action).step
                let last = i == session.steps.count - 1
                #expect(out.sessionEnd[0] == (last ? 1 : 0))
                #expect((out.terminated[0] + out.truncated[0] == 1) == last)
                #expect(out.truncated[0] == (last && session.truncated ? 1 : 0))
            }
            if session.end == .returned {
                // The next episode is the same user's next session.
                let reset = env.step([Float](repeating: 0, count: env.actionDimension)).step
                #expect(reset.rewards[0] == 0)
                #expect(env.positions()[0].episode == 0 && env.positions()[0].sessionIndex == session.sessionIndex + 1)
            }
        }
    }

    @Test func badInputGetsAStatusAndAMessageNeverATrap() throws {
        #expect(throws: CEnvironment.CreateError.self) { try CEnvironment("no-such-preset", seed: 1) }
        do {
            _ = try CEnvironment("no-such-preset", seed: 1)
        } catch let error as CEnvironment.CreateError {
            #expect(error.message.contains("not a preset"), "\(error.message)")
        }
        #expect(throws: CEnvironment.CreateError.self) { try CEnvironment(nil, yaml: "tasks: 3", seed: 1) }
        #expect(throws: CEnvironment.CreateError.self) { try CEnvironment(seed: 1, users: "5..2") }
        #expect(throws: CEnvironment.CreateError.self) { try CEnvironment(seed: 1, scope: 7) }
        #expect(throws: CEnvironment.CreateError.self) { try CEnvironment(nil, yaml: nil, seed: 1) }

        let env = try CEnvironment(seed: 1, count: 2)
        let a = env.actionDimension
        #expect(env.step([Float](repeating: 0, count: 2 * a)).status == Status.notReset.rawValue)
        #expect(env.lastError.contains("reset"))
        let (_, first) = env.reset()
        #expect(env.step([Float](repeating: 0, count: a)).status == Status.invalidArgument.rawValue, "wrong shape")
        #expect(env.lastError.contains("expected 2 × \(a)"), "\(env.lastError)")
        var nan = [Float](repeating: 0, count: 2 * a)
        nan[a + 1] = .nan
        #expect(env.step(nan).status == Status.invalidAction.rawValue)
        #expect(env.lastError.contains("slot 1, dimension 1"), "\(env.lastError)")
        // A refused step changes nothing: the same first request is still pending.
        #expect(env.positions().map(\.requestIndex) == [0, 0])
        #expect(mtfsim_env_reset(env.pointer, 0, 0, nil, nil) == Status.invalidArgument.rawValue)
        #expect(mtfsim_env_sizes(nil, nil, nil, nil, nil) == Status.invalidArgument.rawValue)
        #expect(env.reset(episodes: [-1, 0]).status == Status.invalidArgument.rawValue)
        _ = first
    }

    @Test func actionsOutsideTheBoxAreClippedToIt() throws {
        let world = try World(config: try EnvironmentLoader.resolve("tiny").config, seed: 3)
        let space = world.actionSpace
        let high = try CEnvironment(seed: 3), clipped = try CEnvironment(seed: 3)
        #expect(high.reset(episodes: [0]).status == 0 && clipped.reset(episodes: [0]).status == 0)
        for _ in 0..<20 {
            let a = high.step(space.high.map { $0 + 100 }).step
            let b = clipped.step(space.high).step
            #expect(a.observations == b.observations && a.rewards == b.rewards)
        }
    }

    @Test func describeReportsNamesBoundsAndUsers() throws {
        let env = try CEnvironment("short-video", seed: 1, users: "held-out")
        var needed = 0
        #expect(mtfsim_env_describe(env.pointer, nil, 0, &needed) == 0)
        var small = [CChar](repeating: 0, count: 4)
        #expect(mtfsim_env_describe(env.pointer, &small, small.count, &needed) == Status.bufferTooSmall.rawValue)
        var buffer = [CChar](repeating: 0, count: needed)
        #expect(mtfsim_env_describe(env.pointer, &buffer, buffer.count, &needed) == 0)
        let json = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let world = try World(config: try EnvironmentLoader.resolve("short-video").config, seed: 1)
        let pool = UserPool.heldOut.users(population: world.population.count)
        #expect(json.contains("\"users_low\":\(pool.lowerBound)") && json.contains("\"users_high\":\(pool.upperBound)"))
        #expect(json.contains("\"state_names\":[\"degree.") || json.contains("\"state_names\":["))
        #expect(env.stateDimension == world.stateLayout.dimension && env.actionDimension == world.actionSpace.dimension)
        #expect(env.componentCount == world.reward.componentCount)
        #expect(mtfsim_abi_version() == 2)
    }
}
