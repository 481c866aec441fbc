import EpisodeLog
import Rollout
import Simulator
import Testing
import TestSupport

/// A session that hits its request cap ends there and the user returns as after any session: the session says it was
/// capped (`truncated`), while its steps' `truncated` is only ever the horizon's cut, so the episode's transitions go on.
@Suite("Request cap")
struct RequestCapTests {
    @Test func cappedSessionsContinueTheEpisode() throws {
        var config = Fixtures.tinyConfig
        config.episode.maxRequestsPerSession = 2
        let world = try World(config: config, seed: 7)
        let sessions = Simulation(world: world, ranker: OracleNoiseRanker(config: config),
                                  policy: Fixtures.baselinePolicy(world), seed: 4)
            .episodes(0..<16, threads: 1, lanes: 8, trace: true)
            .sorted { ($0.episode, $0.sessionIndex) < ($1.episode, $1.sessionIndex) }
        let capped = sessions.filter { $0.truncated }
        try #require(capped.contains { $0.end == .returned }, "no capped session with a return")
        #expect(sessions.allSatisfy { $0.requests <= 2 && (!$0.truncated || $0.requests == 2) })
        for session in sessions {
            for (r, step) in session.steps.enumerated() {
                let last = r == session.steps.count - 1
                #expect(step.truncated == (last && session.end == .horizon),
                        "episode \(session.episode) session \(session.sessionIndex) request \(r)")
            }
        }
        // Every step of a capped session that the user returned from has a successor.
        let transitions = TransitionRule.transitions(of: sessions)
        let returnedCapped = Set(capped.filter { $0.end == .returned }.map { [$0.episode, $0.sessionIndex] })
        #expect(transitions.filter { returnedCapped.contains([$0.episode, $0.sessionIndex]) }
            .allSatisfy { !$0.truncated && !$0.terminal })
    }
}
