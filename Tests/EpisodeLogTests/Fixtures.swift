import EpisodeLog
import Foundation
import Numerics

/// Synthetic runs, sessions and scratch files for the episode log tests.
enum Fixtures {
    static let taskNames = ["click", "like", "follow"]

    /// Run metadata with small layouts (6 state, 3 action, 2 reward components, 3 tasks), a seed above 2⁶³
    /// (stored as a negative SQLite integer) and special values in the action bounds.
    static func metadata(name: String = "test-run", logsCandidates: Bool = true) -> RunMetadata {
        RunMetadata(
            name: name, environmentName: "tiny", environmentYAML: "name: tiny\nusers: 10\n# ünïcode ✓\n",
            seed: 0xF000_0000_0000_0001, codeVersion: "0.1.0-test", policySpec: "gaussian:sigma=0.1",
            policyParameters: #"{"sigma":0.1,"weights":[1,2,3]}"#, rankerName: "mlp",
            taskNames: taskNames, stateNames: ["s0", "s1", "s2", "s3", "s4", "s5"],
            actionNames: ["w_click", "w_like", "w_follow"], rewardComponentNames: ["watch", "return"],
            actionLow: [-0.0, 0, -.infinity], actionHigh: [1, .greatestFiniteMagnitude, .infinity],
            requestedSessions: 100, lanes: 2, logsCandidates: logsCandidates, slateSize: 4,
            candidatesPerRequest: 5, randomExposure: 0.125)
    }

    /// Values that must survive a BLOB round trip bit for bit.
    static let specialFloats: [Float] = [
        -0.0, .leastNonzeroMagnitude, Float(bitPattern: 0x0040_0000), -.leastNormalMagnitude, .infinity,
        -.infinity, Float(bitPattern: 0x7FC1_2345), Float(bitPattern: 0xFF81_2345), .greatestFiniteMagnitude,
    ]

    static func floats(_ count: Int, _ stream: inout RandomStream) -> [Float] {
        (0..<count).map { _ in
            stream.nextUniform() < 0.25
                ? specialFloats[stream.nextIndex(below: specialFloats.count)]
                : stream.normalFloat()
        }
    }

    /// A random session of `metadata`'s layout. The episode churns in this session when `last` is true.
    static func session(
        episode: Int, index: Int, last: Bool, metadata: RunMetadata, stream: inout RandomStream
    ) -> LoggedSession {
        let tasks = metadata.taskNames.count
        let stepCount = 1 + stream.nextIndex(below: 4)
        var steps: [LoggedStep] = []
        var impressionCount = 0
        var taskCounts = [Int](repeating: 0, count: tasks)
        for r in 0..<stepCount {
            let shown = r == 1 ? 0 : 1 + stream.nextIndex(below: 4)  // one step without impressions
            let impressions = (0..<shown).map { position in
                let bits = UInt32(stream.nextIndex(below: 1 << tasks))
                for k in 0..<tasks where bits >> UInt32(k) & 1 == 1 { taskCounts[k] += 1 }
                return LoggedImpression(
                    position: position, item: Int32(truncatingIfNeeded: stream.next()),
                    predictions: floats(tasks, &stream), tasks: bits, examined: stream.nextUniform() < 0.7,
                    watchSeconds: Float(stream.nextUniform() * 30),
                    trueProbabilities: position == 2 ? nil : floats(tasks, &stream), randomExposure: position == 1)
            }
            impressionCount += shown
            let candidateCount = metadata.candidatesPerRequest
            let candidates = metadata.logsCandidates
                ? LoggedCandidates(items: (0..<candidateCount).map { _ in Int32(truncatingIfNeeded: stream.next()) },
                                   predictions: floats(candidateCount * tasks, &stream))
                : nil
            let isLast = r == stepCount - 1
            var minutes = 0.0
            for i in impressions {
                LegacyStepTiming.accumulate(&minutes, examined: i.examined, played: i.tasks & 1 != 0,
                                            watchSeconds: i.watchSeconds, browseSecondsPerImpression: browseSeconds)
            }
            steps.append(LoggedStep(
                requestIndex: r, state: floats(metadata.stateNames.count, &stream),
                action: floats(metadata.actionNames.count, &stream),
                behaviourMean: floats(metadata.actionNames.count, &stream),
                explorationScale: Float(stream.nextUniform()), explorationGroup: UInt8(stream.nextIndex(below: 3)),
                logDensity: stream.normal(), policyVersion: stream.nextIndex(below: 5), reward: stream.normal(),
                rewardComponents: floats(metadata.rewardComponentNames.count, &stream),
                sessionEnd: isLast, terminal: isLast && last, truncated: false,
                impressions: impressions, candidates: candidates, elapsedMinutes: minutes))
        }
        return LoggedSession(
            episode: episode, user: 1000 + episode, sessionIndex: index, startMinutes: stream.nextUniform() * 1e4,
            durationMinutes: stream.nextUniform() * 30, requests: stepCount, impressions: impressionCount,
            taskCounts: taskCounts, watchSeconds: stream.nextUniform() * 600, reward: stream.normal(),
            meanSatisfaction: stream.nextUniform(), returnGapMinutes: last ? nil : stream.nextUniform() * 1440,
            end: last ? .churned : .returned, truncated: stream.nextUniform() < 0.2, steps: steps)
    }

    /// Seconds per examined impression of the fixtures' world: their steps' `elapsedMinutes` count them.
    static let browseSeconds = 3.5

    /// `episodes` episodes of 1–3 sessions each, in key order.
    static func sessions(episodes: Int, metadata: RunMetadata, seed: UInt64 = 42) -> [LoggedSession] {
        var stream = RandomStream(seed: seed)
        var sessions: [LoggedSession] = []
        for episode in 0..<episodes {
            let count = 1 + stream.nextIndex(below: 3)
            for index in 0..<count {
                sessions.append(session(episode: episode, index: index, last: index == count - 1,
                                        metadata: metadata, stream: &stream))
            }
        }
        return sessions
    }

    /// A fresh directory removed when `body` returns.
    static func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("episode-log-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    /// Writes a complete log of `sessions` at `path` in batches of `batchSize`.
    @discardableResult
    static func writeLog(
        path: String, metadata: RunMetadata = metadata(), sessions: [LoggedSession], batchSize: Int = 4
    ) throws -> Int {
        let writer = try EpisodeLogFile.create(path: path)
        let run = try writer.beginRun(metadata)
        for start in stride(from: 0, to: sessions.count, by: batchSize) {
            try writer.append(sessions: Array(sessions[start..<min(start + batchSize, sessions.count)]))
        }
        try writer.finishRun()
        try writer.close()
        return run
    }
}

/// Exact renderings (floats as bit patterns) for comparisons where NaN must equal itself.
enum Exact {
    static func bits(_ values: [Float]) -> String { values.map { String($0.bitPattern, radix: 16) }.joined(separator: ",") }
    static func bits(_ value: Double) -> String { String(value.bitPattern, radix: 16) }

    static func text(_ i: LoggedImpression) -> String {
        "imp \(i.position) \(i.item) [\(bits(i.predictions))] \(i.tasks) \(i.examined) \(bits([i.watchSeconds])) "
            + (i.trueProbabilities.map { "truth [\(bits($0))]" } ?? "no truth") + (i.randomExposure ? " random" : "")
    }

    static func text(_ c: LoggedCandidates?) -> String {
        guard let c else { return "no candidates" }
        return "cand \(c.items) [\(bits(c.predictions))]"
    }

    /// Everything of a step except impressions and candidates.
    static func header(_ s: LoggedStep) -> String {
        "step \(s.requestIndex) [\(bits(s.state))] [\(bits(s.action))] [\(bits(s.behaviourMean))] "
            + "\(bits([s.explorationScale])) \(s.explorationGroup) \(bits(s.logDensity)) \(s.policyVersion) "
            + "\(bits(s.reward)) [\(bits(s.rewardComponents))] \(s.sessionEnd) \(s.terminal) \(s.truncated) "
            + (s.elapsedMinutes.map(bits) ?? "nil")
    }

    static func text(_ s: LoggedStep) -> String {
        ([header(s)] + s.impressions.map(text) + [text(s.candidates)]).joined(separator: "\n")
    }

    /// Everything of a session except its steps.
    static func header(_ s: LoggedSession) -> String {
        "session \(s.episode)/\(s.sessionIndex) user \(s.user) \(bits(s.startMinutes)) \(bits(s.durationMinutes)) "
            + "\(s.requests) \(s.impressions) \(s.taskCounts) \(bits(s.watchSeconds)) \(bits(s.reward)) "
            + "\(bits(s.meanSatisfaction)) \(s.returnGapMinutes.map(bits) ?? "nil") \(s.end) \(s.truncated)"
    }

    static func text(_ s: LoggedSession) -> String {
        ([header(s)] + s.steps.map(text)).joined(separator: "\n")
    }

    static func text(_ m: RunMetadata) -> String {
        "\(m.name)|\(m.environmentName)|\(m.environmentYAML)|\(m.seed)|\(m.codeVersion)|\(m.policySpec)|"
            + "\(m.policyParameters)|\(m.rankerName)|\(m.taskNames)|\(m.stateNames)|\(m.actionNames)|"
            + "\(m.rewardComponentNames)|\(bits(m.actionLow))|\(bits(m.actionHigh))|\(m.requestedSessions)|"
            + "\(m.lanes)|\(m.logsCandidates)|\(m.slateSize)|\(m.candidatesPerRequest)|\(m.randomExposure)"
    }
}
