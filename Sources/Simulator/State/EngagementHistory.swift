import Numerics

/// What a feed has observed of one user's engagement so far in an episode, the history features a production
/// ranker keeps per user (per-task rates overall and per category, recent category consumption): only examined
/// impressions and their realised feedback enter, never latent truth.
///
/// The simulator keeps one per lane and hands it to the ranker with each request; the ranker-training loader
/// rebuilds the same sequence from a log's impressions (`record` after each request, `startSession` at each
/// session), so training and simulation see identical features.
public struct EngagementHistory: Sendable, Equatable {
    public let taskCount: Int
    public let categoryCount: Int
    /// Examined impressions and per-task counts over the episode so far.
    public private(set) var impressions: Float = 0
    public private(set) var taskCounts: [Float]
    /// Examined impressions, plays (task 0) and follow-ups (task 1, e.g. long views) per category over the
    /// episode so far.
    public private(set) var categoryImpressions: [Float]
    public private(set) var categoryPlays: [Float]
    public private(set) var categoryFollowUps: [Float]
    /// Recent plays per category: decayed by `recentDecay` after every request and halved every
    /// `recentHalfLifeHours` between sessions (a production feed's decayed counters).
    public private(set) var recentCategoryPlays: [Float]
    /// Plays in the current session.
    public private(set) var sessionPlays: Float = 0
    /// `log((taskCounts[k] + 1) / (impressions + 1))`, kept up to date by `record` (one request's candidates all
    /// read the same values).
    public private(set) var logTaskRates: [Float]

    /// Decay per request of `recentCategoryPlays`.
    public static let recentDecay: Float = 0.9
    /// Half-life of `recentCategoryPlays` between sessions.
    public static let recentHalfLifeHours = 6.0

    public init(taskCount: Int, categoryCount: Int) {
        self.taskCount = taskCount
        self.categoryCount = categoryCount
        taskCounts = [Float](repeating: 0, count: taskCount)
        categoryImpressions = [Float](repeating: 0, count: categoryCount)
        categoryPlays = categoryImpressions
        categoryFollowUps = categoryImpressions
        recentCategoryPlays = categoryImpressions
        logTaskRates = [Float](repeating: 0, count: taskCount)
    }

    /// Number of features `write` produces.
    public static func featureCount(taskCount: Int) -> Int { taskCount + 7 }

    /// Feature names, in `write` order.
    public static func featureNames(taskNames: [String]) -> [String] {
        let followUp = taskNames.count > 1 ? taskNames[1] : "task1"
        return ["history.logImpressions"] + taskNames.map { "history.logRate.\($0)" }
            + ["history.category.logImpressions", "history.category.playRate", "session.category.recentPlays",
               "history.\(followUp)PerPlay", "history.category.\(followUp)PerPlay", "session.logPlays"]
    }

    /// A new session begins `idleHours` after the previous one ended: recent consumption fades with its
    /// half-life, and the session's play count restarts.
    public mutating func startSession(idleHours: Double) {
        let recovery = Float(Elementary.pow(0.5, max(idleHours, 0) / Self.recentHalfLifeHours))
        for c in 0..<categoryCount { recentCategoryPlays[c] *= recovery }
        sessionPlays = 0
    }

    /// Records one request: decays recent consumption, then adds each examined impression (`categories[i]`,
    /// realised `tasks[i]` bitmask).
    public mutating func record(count: Int, examined: (Int) -> Bool, categories: (Int) -> Int32, tasks: (Int) -> UInt32) {
        for c in 0..<categoryCount { recentCategoryPlays[c] *= Self.recentDecay }
        for i in 0..<count where examined(i) {
            let c = Int(categories(i)), bits = tasks(i)
            impressions += 1
            categoryImpressions[c] += 1
            for k in 0..<taskCount where bits >> UInt32(k) & 1 == 1 { taskCounts[k] += 1 }
            if bits & 1 == 1 {
                sessionPlays += 1
                categoryPlays[c] += 1
                recentCategoryPlays[c] += 1
            }
            if bits & 2 == 2 { categoryFollowUps[c] += 1 }
        }
        let denominator = 1 / (impressions + 1)
        for k in 0..<taskCount { logTaskRates[k] = Elementary.log((taskCounts[k] + 1) * denominator) }
    }

    /// Writes the `featureCount` features for a candidate of category `category`: log(1 + impressions), each
    /// task's log rate (log((count + 1) / (impressions + 1)): on a log scale, because the rare tasks' rates (a like
    /// per 70 impressions, a follow per 2,000) would otherwise differ between users by less than 0.01 and a ranker
    /// could not tell a user who likes twice as often from another), log(1 + impressions in the category), the category's play rate
    /// shrunk toward the overall one ((plays_c + r) / (impressions_c + 1), r the overall play rate), the
    /// decayed plays of the category in this session, and task 1 per play (e.g. long views per play: how much
    /// of what the user starts they watch) overall ((n₁ + ½) / (plays + 1)) and in the category, shrunk the same
    /// way, and log(1 + plays in this session) (with the request index, what tires a user within a session).
    @inline(__always)
    public func write(category: Int, into out: UnsafeMutablePointer<Float>) {
        let denominator = 1 / (impressions + 1)
        out[0] = Elementary.log1p(impressions) / 5
        for k in 0..<taskCount { out[1 + k] = logTaskRates[k] }
        let overallPlayRate = taskCount > 0 ? taskCounts[0] * denominator : 0
        out[taskCount + 1] = Elementary.log1p(categoryImpressions[category]) / 3
        out[taskCount + 2] = (categoryPlays[category] + overallPlayRate) / (categoryImpressions[category] + 1)
        out[taskCount + 3] = recentCategoryPlays[category]
        let plays = taskCount > 0 ? taskCounts[0] : 0, followUps = taskCount > 1 ? taskCounts[1] : 0
        let followUpPerPlay = (followUps + 0.5) / (plays + 1)
        out[taskCount + 4] = followUpPerPlay
        out[taskCount + 5] = (categoryFollowUps[category] + followUpPerPlay) / (categoryPlays[category] + 1)
        out[taskCount + 6] = Elementary.log1p(sessionPlays) / 3
    }
}
