import Numerics

/// The fixed-size observation a fusion policy sees (docs/design.md, "State"): observed user
/// features, session context, running feedback of this session and of the user's history, and a
/// summary of the candidate set's predictions. No latent truth enters it.
public struct StateLayout: Sendable, Equatable {
    /// Feature names, in vector order; recorded once per run in the episode log.
    public let names: [String]
    let taskCount: Int
    let degreeCount: Int

    public var dimension: Int { names.count }

    public init(taskNames: [String], activityDegrees: Int) {
        taskCount = taskNames.count
        degreeCount = activityDegrees
        var names = (0..<activityDegrees).map { "user.activityDegree\($0)" }
        names += ["user.logRegisterDays", "session.requestIndex", "session.logRequestIndex", "session.minutes"]
        names += taskNames.map { "session.rate.\($0)" }
        names += ["session.watchMinutesPerRequest", "last.playRate", "last.watchMinutes",
                  "history.logSessions", "history.logGapHours", "history.depthEWMA", "history.playRateEWMA"]
        for stat in ["mean", "max", "std"] { names += taskNames.map { "candidates.\(stat).\($0)" } }
        self.names = names
    }

    /// Index of the feature called `name`.
    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    /// Offset of the candidate summary block (mean, then max, then std, one per task).
    var candidateOffset: Int { dimension - 3 * taskCount }
}

/// What is observable about a session so far: the running aggregates a production feed keeps.
public struct SessionObservables: Sendable {
    public var requestIndex = 0
    public var minutes: Double = 0
    public var impressions = 0
    public var taskCounts: [Int]
    public var watchSeconds: Double = 0
    public var lastPlays = 0
    public var lastImpressions = 0
    public var lastWatchSeconds: Double = 0

    public init(taskCount: Int) { taskCounts = [Int](repeating: 0, count: taskCount) }
}

/// What is observable about a user's past sessions.
public struct HistoryObservables: Sendable {
    public var sessions = 0
    public var lastGapHours: Double = 0
    /// Exponentially weighted mean of requests per session (weight ½ on the latest).
    public var depthEWMA: Double = 0
    /// Exponentially weighted mean of plays per impression.
    public var playRateEWMA: Double = 0
    public init() {}
}

extension StateLayout {
    /// Writes the state of one request into `out[0..<dimension]`. `predictions` holds the request's
    /// `candidates × taskCount` ranker outputs.
    public func write(degree: Int, registerDays: Float, session s: SessionObservables, history h: HistoryObservables,
               predictions: UnsafePointer<Float>, candidates: Int, into out: UnsafeMutablePointer<Float>) {
        var i = 0
        for g in 0..<degreeCount { out[i] = g == degree ? 1 : 0; i += 1 }
        out[i] = Elementary.log1p(max(registerDays, 0)); i += 1
        out[i] = Float(s.requestIndex); i += 1
        // log(1 + index): the first requests, where a session is won or lost, stay apart after normalisation.
        out[i] = Elementary.log1p(Float(s.requestIndex)); i += 1
        out[i] = Float(s.minutes); i += 1
        let impressions = Float(max(s.impressions, 1))
        for k in 0..<taskCount { out[i] = Float(s.taskCounts[k]) / impressions; i += 1 }
        out[i] = Float(s.watchSeconds / 60) / Float(max(s.requestIndex, 1)); i += 1
        out[i] = Float(s.lastPlays) / Float(max(s.lastImpressions, 1)); i += 1
        out[i] = Float(s.lastWatchSeconds / 60); i += 1
        out[i] = Float(Elementary.log1p(Double(h.sessions))); i += 1
        out[i] = Float(Elementary.log1p(h.lastGapHours)); i += 1
        out[i] = Float(h.depthEWMA); i += 1
        out[i] = Float(h.playRateEWMA); i += 1
        let t = taskCount, base = i
        for k in 0..<t {
            var sum: Float = 0, sumSquares: Float = 0, maximum: Float = 0
            for j in 0..<candidates {
                let v = predictions[j * t + k]
                sum += v
                sumSquares += v * v
                maximum = max(maximum, v)
            }
            let mean = sum / Float(max(candidates, 1))
            out[base + k] = mean
            out[base + t + k] = maximum
            out[base + 2 * t + k] = max(sumSquares / Float(max(candidates, 1)) - mean * mean, 0).squareRoot()
        }
    }
}
