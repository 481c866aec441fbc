import EpisodeLog
import Foundation
import GRDB
import Testing

/// `s'` is the next step of the same episode, across sessions; `terminal` only at churn; the last step of an
/// episode cut at the horizon is `truncated` with `s' = s`; an episode without an end yet yields no last
/// transition; a transition's minutes are its request's plus the return gap after a session's last request.
@Suite struct TransitionTests {
    /// A step whose state is `[id]` so that `s'` can be read off.
    func step(_ request: Int, id: Float, sessionEnd: Bool = false, terminal: Bool = false,
              truncated: Bool = false) -> LoggedStep {
        LoggedStep(requestIndex: request, state: [id], action: [id / 10], behaviourMean: [0], explorationScale: 0.5,
                   explorationGroup: 1, logDensity: -Double(id), policyVersion: 3, reward: Double(id),
                   rewardComponents: [], sessionEnd: sessionEnd, terminal: terminal, truncated: truncated,
                   impressions: [], candidates: nil, elapsedMinutes: Double(id))
    }

    func session(_ episode: Int, _ index: Int, end: UInt8, _ steps: [LoggedStep]) -> LoggedSession {
        LoggedSession(episode: episode, user: episode, sessionIndex: index, startMinutes: 0, durationMinutes: 1,
                      requests: steps.count, impressions: 0, taskCounts: [], watchSeconds: 0, reward: 0,
                      meanSatisfaction: 0, returnGapMinutes: end == 1 ? nil : 60, end: LoggedSession.End(rawValue: end)!, truncated: false,
                      steps: steps)
    }

    @Test func nextStatesFollowTheEpisodeAcrossSessions() throws {
        var metadata = Fixtures.metadata(logsCandidates: false)
        metadata.taskNames = []
        metadata.stateNames = ["id"]
        metadata.actionNames = ["w"]
        metadata.actionLow = [0]
        metadata.actionHigh = [1]
        metadata.rewardComponentNames = []
        let sessions = [
            // Episode 0: two sessions; the user returns after the first, churns after the second.
            session(0, 0, end: 0, [step(0, id: 1), step(1, id: 2), step(2, id: 3, sessionEnd: true)]),
            session(0, 1, end: 1, [step(0, id: 4), step(1, id: 5, sessionEnd: true, terminal: true)]),
            // Episode 1: cut at the horizon.
            session(1, 0, end: 2, [step(0, id: 6), step(1, id: 7, sessionEnd: true, truncated: true)]),
            // Episode 2: the user will return, but the next session is not logged (yet).
            session(2, 0, end: 0, [step(0, id: 8), step(1, id: 9, sessionEnd: true)]),
        ]
        try Fixtures.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("log.sqlite").path
            let run = try Fixtures.writeLog(path: path, metadata: metadata, sessions: sessions, batchSize: 1)
            let log = try EpisodeLogFile.open(path: path)
            for batchSize in [1, 2, 3, 100] {
                var rows: [String] = []
                var batches = 0
                try log.transitions(run: run, batchSize: batchSize).forEach { batch in
                    batches += 1
                    for t in batch {
                        #expect(t.action == [t.state[0] / 10] && t.reward == Double(t.state[0]))
                        #expect(t.logDensity == -Double(t.state[0]) && t.policyVersion == 3)
                        #expect(t.explorationGroup == 1 && t.explorationScale == 0.5 && t.behaviourMean == [0])
                        rows.append("\(Int(t.state[0]))→\(Int(t.nextState[0]))"
                                    + (t.terminal ? " terminal" : "") + (t.truncated ? " truncated" : "")
                                    + (t.sessionEnd ? " end" : "") + " \(t.elapsedMinutes ?? -1)")
                    }
                }
                #expect(rows == ["1→2 1.0", "2→3 2.0", "3→4 end 63.0", "4→5 4.0", "5→5 terminal end 5.0", "6→7 6.0",
                                 "7→7 truncated end 67.0", "8→9 8.0"],
                        "batch size \(batchSize)")
                #expect(batches >= (batchSize == 1 ? 8 : 1))
            }
        }
    }

    /// One line per transition with every field the columns carry (floats as bit patterns, unknown minutes as "nil").
    static func lines(_ transitions: [LoggedTransition]) -> [String] {
        transitions.map { t in
            "\(t.episode) \(t.sessionIndex) \(t.requestIndex) \(Exact.bits(t.state)) \(Exact.bits(t.action)) "
                + "\(Exact.bits(t.reward)) \(Exact.bits(t.logDensity)) \(t.explorationGroup) \(t.sessionEnd) \(t.terminal) "
                + "\(t.truncated) \(t.elapsedMinutes.map(Exact.bits) ?? "nil")"
        }
    }

    static func lines(_ c: TransitionColumns) -> [String] {
        let (s, a) = (c.stateDimension, c.actionDimension)
        return (0..<c.count).map { r in
            "\(c.episodes[r]) \(c.sessionIndices[r]) \(c.requestIndices[r]) \(Exact.bits(Array(c.states[(r * s)..<((r + 1) * s)]))) "
                + "\(Exact.bits(Array(c.actions[(r * a)..<((r + 1) * a)]))) \(Exact.bits(c.rewards[r])) "
                + "\(Exact.bits(c.logDensities[r])) \(c.explorationGroups[r]) \(c.sessionEnds[r]) \(c.terminals[r]) "
                + "\(c.truncations[r]) \(c.elapsedMinutes[r].isNaN ? "nil" : Exact.bits(c.elapsedMinutes[r]))"
        }
    }

    @Test("the transitions read as columns are the streamed ones, field by field, bit for bit")
    func columnsAreTheStreamedTransitions() throws {
        var small = Fixtures.metadata(logsCandidates: false)
        small.taskNames = []
        small.rewardComponentNames = []
        small.stateNames = ["id"]
        small.actionNames = ["w"]
        small.actionLow = [0]
        small.actionHigh = [1]
        let handMade = [
            session(0, 0, end: 0, [step(0, id: 1), step(1, id: 2), step(2, id: 3, sessionEnd: true)]),
            session(0, 1, end: 1, [step(0, id: 4), step(1, id: 5, sessionEnd: true, terminal: true)]),
            session(1, 0, end: 2, [step(0, id: 6), step(1, id: 7, sessionEnd: true, truncated: true)]),
            session(2, 0, end: 0, [step(0, id: 8), step(1, id: 9, sessionEnd: true)]),
        ]
        let metadata = Fixtures.metadata(logsCandidates: false)
        for (metadata, sessions) in [(small, handMade), (metadata, Fixtures.sessions(episodes: 25, metadata: metadata))] {
            try Fixtures.withTemporaryDirectory { directory in
                let path = directory.appendingPathComponent("log.sqlite").path
                let run = try Fixtures.writeLog(path: path, metadata: metadata, sessions: sessions)
                let log = try EpisodeLogFile.open(path: path)
                defer { try? log.close() }
                var streamed: [LoggedTransition] = []
                try log.transitions(run: run).forEach { streamed += $0 }
                let (ds, da) = (metadata.stateNames.count, metadata.actionNames.count)
                let columns = try log.snapshot { try $0.transitionColumns(run: run, stateDimension: ds, actionDimension: da) }
                #expect(columns.count == streamed.count && columns.count >= 8)
                #expect(Self.lines(columns) == Self.lines(streamed))

                // Steps stored out of key order (episode 0's moved to the end of the table) are read in key order.
                try log.close()
                var config = Configuration()
                config.foreignKeysEnabled = false
                try DatabaseQueue(path: path, configuration: config).write { db in
                    try db.execute(sql: """
                        CREATE TEMP TABLE moved AS SELECT * FROM steps WHERE episode = 0;
                        DELETE FROM steps WHERE episode = 0;
                        INSERT INTO steps SELECT * FROM moved;
                        """)
                }
                let reopened = try EpisodeLogFile.open(path: path)
                defer { try? reopened.close() }
                let reordered = try reopened.snapshot { try $0.transitionColumns(run: run, stateDimension: ds, actionDimension: da) }
                #expect(Self.lines(reordered) == Self.lines(streamed))

                // A layout the steps do not have is refused as corrupt, naming the run and the lengths.
                do {
                    _ = try reopened.snapshot { try $0.transitionColumns(run: run, stateDimension: ds + 1, actionDimension: da) }
                    Issue.record("a state width the steps do not have was accepted")
                } catch let error as EpisodeLogError {
                    let text = "\(error)"
                    #expect(text.contains(path) && text.contains("run \(run), episode ")
                            && text.contains(": a step of \(ds) state and \(da) action values, the run names \(ds + 1) and \(da)"), "\(text)")
                }
            }
        }
    }

    @Test("discounting a transition: per decision ignores time; by time needs it and says when it is unknown")
    func discountFactors() {
        let keyed = KeyedStep(episode: 0, sessionIndex: 0, step: step(0, id: 1))
        let timed = LoggedTransition(step: keyed, nextState: [2], terminal: false, truncated: false, elapsedMinutes: 360)
        var untimed = timed
        untimed.elapsedMinutes = nil
        let perDecision = Discounting(perDecision: 0.9), byTime = Discounting(perDecision: 1, halfLifeHours: 3)
        #expect(perDecision.factor(for: timed) == 0.9 && perDecision.factor(for: untimed) == 0.9)
        // Six hours at a half-life of three: a quarter.
        #expect(abs(byTime.factor(for: timed)! - 0.25) < 1e-6)
        #expect(byTime.factor(for: untimed) == nil)
    }
}
