import Agents
import EpisodeLog
import Foundation
import Numerics
import Rollout
import Simulator
import Testing

/// The agents wired to the simulator: transitions from traced sessions, training and held-out users, online
/// training on the tiny preset, the fixed-weight search and policy checkpoints where policies are taken.
@Suite("Training in the simulator", .serialized)
struct SimulatorTrainingTests {
    static let world: World = {
        let (config, _) = try! EnvironmentLoader.resolve("tiny")
        return try! World(config: config, seed: 17)
    }()

    @Test("training and held-out users are disjoint and cover the population")
    func userPools() {
        for count in [1, 2, 5, 100, 5_000] {
            let training = UserPool.training.users(population: count), heldOut = UserPool.heldOut.users(population: count)
            #expect(!training.isEmpty && !heldOut.isEmpty)
            if count > 1 {
                #expect(training.upperBound == heldOut.lowerBound && heldOut.upperBound == count && training.lowerBound == 0)
            }
            #expect((0..<3 * count).allSatisfy { heldOut.contains(UserPool.heldOut.user(episode: $0, population: count)) })
        }
        #expect(UserPool.heldOut.users(population: 5_000) == 4_000..<5_000)
    }

    @Test("transitions chain each episode's steps across sessions; churn is terminal; horizon ends are dropped")
    func transitionsFromSessions() throws {
        // Tiny with churn raised from σ(−6 − 2S̄) to σ(−2.5 − 2S̄) per session, so that 24 episodes hold churns
        // (terminal transitions) besides returns and horizon ends.
        var config = Self.world.config
        config.returnModel.churnIntercept = -2.5
        let world = try World(config: config, seed: 17)
        let policy = try PolicySpec.parse("mixture", world: world)
        let sessions = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config), policy: policy, seed: 3,
                                  users: .training, policyVersion: 7)
            .episodes(0..<24, threads: 2, lanes: 8, trace: true)
        let batch = TransitionBatch(sessions: sessions, actionSpace: world.actionSpace,
                                    stateDimension: world.stateLayout.dimension)
        let steps = sessions.reduce(0) { $0 + $1.requests }
        let horizonEnds = sessions.filter { $0.end == .horizon }.count
        let churns = sessions.filter { $0.end == .churned }.count
        #expect(batch.count == steps - horizonEnds)
        #expect(batch.terminals.filter { $0 }.count == churns)
        #expect(sessions.allSatisfy { $0.steps.allSatisfy { $0.policyVersion == 7 } })
        #expect(sessions.allSatisfy { UserPool.training.users(population: world.population.count).contains($0.user) })
        // The episodes must exercise every case: a session that returns (the link across sessions), a churn and a
        // horizon end.
        try #require(sessions.contains { $0.end == .returned }, "no session returns: the link across sessions goes unchecked")
        #expect(churns > 0 && horizonEnds > 0, "\(churns) churns, \(horizonEnds) horizon ends in \(sessions.count) sessions")
        // The oracle, built here from the session records: per episode, its steps in (session, request) order; a
        // step's next state is the following step's state, across a return into the user's next session; a churned
        // session's last step is terminal (next state its own); a horizon end's last step is left out.
        var expected: [(state: [Float], action: [Float], reward: Float, next: [Float], terminal: Bool, label: String)] = []
        let space = world.actionSpace
        for episode in Set(sessions.map(\.episode)).sorted() {
            let own = sessions.filter { $0.episode == episode }.sorted { $0.sessionIndex < $1.sessionIndex }
            #expect(own.map(\.sessionIndex) == Array(0..<own.count), "episode \(episode) has a gap in its sessions")
            let steps = own.flatMap { session in session.steps.enumerated().map { (session, $0.offset, $0.element) } }
            for (k, (session, request, step)) in steps.enumerated() {
                let action = step.action.enumerated().map { min(max(space.normalize($0.element, dimension: $0.offset), -1), 1) }
                let label = "episode \(episode) session \(session.sessionIndex) request \(request)"
                if k + 1 < steps.count {
                    expected.append((step.state, action, Float(step.reward), steps[k + 1].2.state, false, label))
                } else if session.end == .churned {
                    expected.append((step.state, action, Float(step.reward), step.state, true, label))
                } else {
                    #expect(session.end == .horizon, "\(label): the last session of a finished episode returned")
                }
            }
        }
        #expect(batch.count == expected.count)
        var mismatches: [String] = []
        for (r, e) in expected.enumerated() where r < batch.count {
            let fields = [("state", Array(batch.states.row(r)) == e.state), ("action", Array(batch.actions.row(r)) == e.action),
                          ("reward", batch.rewards[r] == e.reward), ("next state", Array(batch.nextStates.row(r)) == e.next),
                          ("terminal flag", batch.terminals[r] == e.terminal)]
            for (field, equal) in fields where !equal { mismatches.append("row \(r) (\(e.label)): \(field)") }
        }
        if !mismatches.isEmpty {
            Issue.record("\(mismatches.count) fields differ from the session records; first: \(mismatches.prefix(3).joined(separator: "; "))")
        }
        // The same episodes, any thread count.
        let again = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config), policy: policy, seed: 3,
                               users: .training, policyVersion: 7)
            .episodes(0..<24, threads: 1, lanes: 8, trace: true)
        #expect(again.map(\.reward) == sessions.map(\.reward))
    }

    @Test("elapsed times follow the simulator's clock: requests sum to the session's duration, gaps join sessions")
    func elapsedTimes() throws {
        let world = Self.world
        let browse = world.config.dynamics.browseSecondsPerImpression
        let sessions = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config),
                                  policy: try PolicySpec.parse("mixture", world: world), seed: 4, users: .training)
            .episodes(0..<16, threads: 1, lanes: 8, trace: true)
        // Each step's minutes are its impressions' browse and watch times, counted as the schema-3 upgrade of an
        // older log recounts them; and they add up, in order, to the session's duration: equal, not just close.
        for session in sessions {
            for step in session.steps {
                var recount = 0.0
                for impression in step.impressions {
                    LegacyStepTiming.accumulate(&recount, examined: impression.examined, played: impression.tasks & 1 != 0,
                                                watchSeconds: impression.watchSeconds, browseSecondsPerImpression: browse)
                }
                #expect(step.elapsedMinutes == recount, "episode \(session.episode) session \(session.sessionIndex)")
            }
            let minutes = session.steps.reduce(0.0) { $0 + $1.elapsedMinutes! }
            #expect(minutes == session.durationMinutes, "episode \(session.episode) session \(session.sessionIndex)")
        }
        let batch = TransitionBatch(sessions: sessions, actionSpace: world.actionSpace, stateDimension: world.stateLayout.dimension)
        let hours = try #require(batch.elapsedHours)
        #expect(hours.count == batch.count && hours.allSatisfy { $0 >= 0 })
        // Per episode, the transitions span its first request's start to the start of its last transition's next
        // request: the last session's last request (horizon) or the churned one's own end.
        var row = 0
        for episode in Set(sessions.map(\.episode)).sorted() {
            let own = sessions.filter { $0.episode == episode }.sorted { $0.sessionIndex < $1.sessionIndex }
            let last = own[own.count - 1], lastSteps = last.steps
            let transitions = own.reduce(0) { $0 + $1.steps.count } - (last.end == .horizon ? 1 : 0)
            let span = hours[row..<(row + transitions)].reduce(0.0) { $0 + Double($1) }
            let end = last.end == .horizon
                ? last.startMinutes + last.durationMinutes
                    - lastSteps[lastSteps.count - 1].elapsedMinutes!
                : last.startMinutes + last.durationMinutes
            #expect(abs(span - (end - own[0].startMinutes) / 60) < 1e-3, "episode \(episode)")
            row += transitions
        }
        #expect(row == batch.count)
    }

    @Test("TD3 trained online on tiny beats ranking without predictions on held-out users; deterministic per seed")
    func onlineTrainingLearns() throws {
        let world = Self.world
        let ranker = OracleNoiseRanker(config: world.config)
        var configuration = TD3Configuration()
        configuration.actorCritic.hiddenSizes = [32, 32]
        configuration.actorCritic.batchSize = 64
        configuration.actorCritic.learningStarts = 200
        configuration.actorCritic.actorLearningRate = 1e-3
        configuration.actorCritic.criticLearningRate = 1e-3
        var options = OnlineTrainingOptions()
        options.environmentSteps = 6_000
        options.episodesPerRound = 16
        options.lanes = 8
        options.updatesPerStep = 0.25
        options.evaluationInterval = 3_000
        options.evaluationEpisodes = 20
        options.threads = 2
        func train() throws -> OnlineTraining<TD3Agent> {
            var training = OnlineTraining(agent: try TD3Agent(environment: AgentEnvironment(world: world),
                                                              configuration: configuration, seed: 5),
                                          world: world, ranker: ranker, options: options)
            try training.run()
            return training
        }
        let trained = try train()
        #expect(trained.environmentSteps >= 6_000 && trained.curve.count >= 2)
        #expect(trained.agent.updateCount > 1_000)
        // All-zero weights leave the candidates in retrieval order: what a feed is worth without the ranker.
        let unranked = trained.evaluation.evaluate(try PolicySpec.parse("fixed:0,0,0", world: world))
        let learned = trained.curve.last!.heldOut
        #expect(learned.rewardPerUserDay.mean > 1.05 * unranked.rewardPerUserDay.mean,
                "learned \(learned.rewardPerUserDay.mean) vs unranked \(unranked.rewardPerUserDay.mean)")
        let again = try train()
        #expect(again.curve.map(\.heldOut) == trained.curve.map(\.heldOut))
    }

    @Test("the fixed-weight search improves on its start and its constant policy plays exactly its weights")
    func fixedWeightSearch() throws {
        let world = Self.world
        var configuration = CrossEntropyMethodConfiguration()
        configuration.populationSize = 6
        configuration.iterations = 3
        let search = FixedWeightSearch(world: world, ranker: OracleNoiseRanker(config: world.config),
                                       configuration: configuration, episodes: 16, seed: 2, threads: 2)
        var iterations: [CrossEntropyMethod.Iteration] = []
        let (mean, steps) = try search.run { iterations.append($0) }
        #expect(steps > 6 * 3 * 16)
        #expect(iterations.count == 3)
        let found = search.score(mean).value, baseline = search.score(world.actionSpace.normalize(world.actionSpace.baseline)).value
        #expect(found > baseline, "CEM mean \(found), baseline \(baseline)")
        let policy = FixedWeightSearch.constantPolicy(mean, environment: AgentEnvironment(world: world), agentName: "cem")
        let states = Matrix(rows: 3, columns: world.stateLayout.dimension) { r, c in Float(r * 10 + c) }
        var output = PolicyOutput(batch: 3, actionDimension: world.actionSpace.dimension)
        var streams = (0..<3).map { RandomStream(seed: UInt64($0)) }
        streams.withUnsafeMutableBufferPointer { policy.act(states: states, streams: $0.baseAddress!, into: &output) }
        let expected = world.actionSpace.denormalize(mean)
        for r in 0..<3 {
            for (a, b) in zip(output.actions.row(r), expected) { #expect(abs(a - b) < 1e-4 * max(1, abs(b))) }
        }
    }

    @Test("a policy checkpoint resolves wherever a spec does; specs still parse")
    func policyResolver() throws {
        let world = Self.world
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mtfsim-resolver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cem.ckpt").path
        let x = world.actionSpace.normalize(world.actionSpace.baseline)
        try FixedWeightSearch.constantPolicy(x, environment: AgentEnvironment(world: world), agentName: "cem")
            .save(to: URL(fileURLWithPath: path))
        let loaded = try PolicyResolver.resolve(path, world: world)
        #expect(loaded.spec.hasSuffix("cem.ckpt"))
        // State-free policies give their weights (`train --around`); a state-dependent one is refused.
        let weights = try PolicyResolver.fixedWeights(path, world: world)
        for (a, b) in zip(weights, world.actionSpace.baseline) { #expect(abs(a - b) < 1e-4 * max(1, abs(b))) }
        #expect(try PolicyResolver.fixedWeights("fixed:" + weights.map { "\($0)" }.joined(separator: ","), world: world) == weights)
        let feature = world.stateLayout.names[0]
        let low = weights.map { "\($0)" }.joined(separator: ","), high = weights.map { "\($0 / 2)" }.joined(separator: ",")
        #expect { _ = try PolicyResolver.fixedWeights("ramp:\(feature)=-1..1@\(low)@\(high)", world: world) } throws: { error in
            "\(error)".contains("depend on the state")
        }
        #expect(!(try PolicyResolver.resolve("baseline", world: world) is ActorPolicy))
        #expect(throws: (any Error).self) { _ = try PolicyResolver.resolve(directory.appendingPathComponent("none.ckpt").path, world: world) }
        let (shortVideo, _) = try EnvironmentLoader.resolve("short-video")
        var small = shortVideo
        small.catalog = world.config.catalog
        small.users = world.config.users
        small.kuairand = nil
        #expect { _ = try PolicyResolver.resolve(path, world: try World(config: small, seed: 1)) } throws: { error in
            "\(error)".contains("cem.ckpt")
        }
    }
}
