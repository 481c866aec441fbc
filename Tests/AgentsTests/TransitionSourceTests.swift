import Agents
import EpisodeLog
import Foundation
import Rollout
import Simulator
import Testing

/// One transition source: what online training learns from a run's traced sessions equals, bit for bit, what is read
/// back from that run's episode log (states, actions, rewards, next states, flags, elapsed time, discounts), for
/// episodes that end by churn and at the horizon, across returns.
@Suite("One transition source")
struct TransitionSourceTests {
    /// The tiny preset with churn made common, so that every kind of ending occurs in a few episodes.
    static let world: World = {
        var (config, _) = try! EnvironmentLoader.resolve("tiny")
        config.returnModel.churnIntercept = -2.5
        return try! World(config: config, seed: 23)
    }()

    @Test("traced sessions and their log give the same transitions and the same learner batches")
    func onlineEqualsLog() throws {
        let world = Self.world
        let policy = try PolicySpec.parse("mixture", world: world)
        let sessions = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config), policy: policy, seed: 5,
                                  users: .training, policyVersion: 2)
            .episodes(0..<24, threads: 2, lanes: 8, trace: true)
        let ends = Dictionary(grouping: sessions, by: \.end).mapValues(\.count)
        try #require((ends[.churned] ?? 0) > 0 && (ends[.horizon] ?? 0) > 0 && (ends[.returned] ?? 0) > 0, "\(ends)")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mtfsim-transitions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("run.sqlite").path
        let writer = try EpisodeLogFile.create(path: path)
        let run = try writer.beginRun(SimulationLog.metadata(
            name: "transitions", world: world, environmentText: "", seed: 5, policy: policy,
            ranker: OracleNoiseRanker(config: world.config), sessions: sessions.count, lanes: 8, logCandidates: false))
        try writer.append(sessions: sessions)
        try writer.finishRun()
        try writer.close()
        let reader = try EpisodeLogFile.open(path: path)
        defer { try? reader.close() }
        var logged: [LoggedTransition] = []
        try reader.transitions(run: run, batchSize: 97).forEach { logged += $0 }

        let ordered = sessions.sorted { ($0.episode, $0.sessionIndex) < ($1.episode, $1.sessionIndex) }
        let traced = TransitionRule.transitions(of: ordered)
        #expect(logged == traced, "\(logged.count) logged, \(traced.count) traced")
        #expect(traced.count == sessions.reduce(0) { $0 + $1.requests })
        #expect(traced.filter(\.terminal).count == ends[.churned])
        #expect(traced.filter(\.truncated).count == ends[.horizon])
        #expect(traced.allSatisfy { $0.elapsedMinutes != nil && !($0.terminal && $0.truncated) })

        let online = TransitionBatch(sessions: sessions, actionSpace: world.actionSpace, stateDimension: world.stateLayout.dimension)
        let fromLog = TransitionBatch(transitions: logged, actionSpace: world.actionSpace, stateDimension: world.stateLayout.dimension)
        #expect(online.count == traced.count - (ends[.horizon] ?? 0))
        func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
        #expect(bits(online.states.elements) == bits(fromLog.states.elements))
        #expect(bits(online.actions.elements) == bits(fromLog.actions.elements))
        #expect(bits(online.rewards) == bits(fromLog.rewards))
        #expect(bits(online.nextStates.elements) == bits(fromLog.nextStates.elements))
        #expect(online.terminals == fromLog.terminals)
        let hours = try #require(online.elapsedHours), loggedHours = try #require(fromLog.elapsedHours)
        #expect(bits(hours) == bits(loggedHours))
        for discounting in [Discounting(perDecision: 0.95), Discounting(perDecision: 1, halfLifeHours: 6)] {
            let a = hours.map { discounting.factor(elapsedHours: $0) }
            let b = logged.filter(\.hasOutcome).compactMap { discounting.factor(for: $0) }
            #expect(bits(a) == bits(b), "\(discounting)")
        }
    }

    /// The clock of each transition, from the records alone: a request's minutes, plus the gap after a session's last
    /// request unless the user churned; and the next state is the next request's, across the return.
    @Test("elapsed minutes and next states follow the session records")
    func clockAndChaining() throws {
        let world = Self.world
        let sessions = Simulation(world: world, ranker: OracleNoiseRanker(config: world.config),
                                  policy: try PolicySpec.parse("mixture", world: world), seed: 8, users: .training)
            .episodes(0..<12, threads: 1, lanes: 4, trace: true)
            .sorted { ($0.episode, $0.sessionIndex) < ($1.episode, $1.sessionIndex) }
        let transitions = TransitionRule.transitions(of: sessions)
        var index = 0
        for (s, session) in sessions.enumerated() {
            for (r, step) in session.steps.enumerated() {
                let t = transitions[index]
                index += 1
                let last = r == session.steps.count - 1
                let gap = last && session.end != .churned ? session.returnGapMinutes! : nil
                #expect(t.elapsedMinutes == gap.map { step.elapsedMinutes! + $0 } ?? step.elapsedMinutes)
                #expect(t.terminal == (last && session.end == .churned))
                #expect(t.truncated == (last && session.end == .horizon))
                let next = !last ? session.steps[r + 1].state
                    : session.end == .returned ? sessions[s + 1].steps[0].state : step.state
                #expect(t.nextState == next, "episode \(session.episode) session \(session.sessionIndex) request \(r)")
            }
        }
        #expect(index == transitions.count)
    }
}
