import GRDB
import Numerics

/// What `mtfsim inspect` shows about one run: counts, feedback rates, reward and action statistics, file size.
///
/// Counts, rates and reward moments are SQL aggregates (the per-task rate of task `k` is
/// `SUM((tasks >> k) & 1) / COUNT(*)` over impressions); the action statistics decode the action BLOBs in one
/// streaming pass. Nothing is loaded whole.
public struct EpisodeLogSummary: Sendable, Equatable {
    /// Positive rate of one task per impression.
    public struct TaskRate: Sendable, Equatable {
        public var name: String
        /// Impressions whose `tasks` bitmask has this task's bit.
        public var positives: Int
        /// `positives / impressions` (`nan` without impressions).
        public var rate: Double
    }

    /// Statistics of one action dimension over all steps.
    public struct DimensionStatistics: Sendable, Equatable {
        public var name: String
        public var mean: Double
        /// Sample standard deviation (`nan` below two steps).
        public var standardDeviation: Double
        public var minimum: Double
        public var maximum: Double
    }

    public var path: String
    /// Database plus write-ahead log, in bytes.
    public var fileBytes: Int
    /// Runs in the file (all of them, not only `run`).
    public var runCount: Int
    public var run: RunInfo
    public var sessions: Int
    public var steps: Int
    public var impressions: Int
    public var candidateSets: Int
    /// Sessions by how they ended: returned, churned, horizon (`LoggedSession.End` order).
    public var sessionEnds: [Int]
    /// Share of impressions the user examined.
    public var examinedRate: Double
    /// One entry per task, in the run's task order.
    public var taskRates: [TaskRate]
    /// Mean and sample standard deviation of the per-step reward.
    public var rewardMean: Double
    public var rewardStandardDeviation: Double
    /// Mean total reward per session.
    public var sessionRewardMean: Double
    /// One entry per action dimension, in the run's action order.
    public var actions: [DimensionStatistics]

    /// Computes the summary of run `run` of `log`.
    public init(log: EpisodeLogReader, run: Int) throws {
        let info = try log.run(run)
        path = log.path
        fileBytes = try log.fileBytes()
        self.run = info
        let taskNames = info.metadata.taskNames
        let actionNames = info.metadata.actionNames
        let path = log.path

        struct Aggregates {
            var runCount = 0, sessions = 0, steps = 0, impressions = 0, candidateSets = 0
            var sessionEnds = [0, 0, 0]
            var examined = 0
            var positives: [Int] = []
            var rewardMean = Double.nan, rewardSD = Double.nan, sessionRewardMean = Double.nan
            var actions: [RunningStatistics] = []
        }
        let aggregates: Aggregates = try log.read { db in
            var a = Aggregates()
            let arguments: StatementArguments = [run]
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
            a.runCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") ?? 0
            a.sessions = try count("SELECT count(*) FROM sessions WHERE run_id = ?")
            a.steps = try count("SELECT count(*) FROM steps WHERE run_id = ?")
            a.candidateSets = try count("SELECT count(*) FROM candidates WHERE run_id = ?")
            a.sessionRewardMean = try Double.fetchOne(
                db, sql: "SELECT avg(reward) FROM sessions WHERE run_id = ?", arguments: arguments) ?? .nan
            let ends = try Row.fetchAll(
                db, sql: "SELECT end_reason, count(*) FROM sessions WHERE run_id = ? GROUP BY end_reason",
                arguments: arguments)
            for row in ends {
                let reason: Int = row[0]
                if a.sessionEnds.indices.contains(reason) { a.sessionEnds[reason] = row[1] }
            }

            // One pass over impressions for the count, examined share and every task's positives.
            let taskSums = taskNames.indices.map { ", coalesce(sum((tasks >> \($0)) & 1), 0)" }.joined()
            if let row = try Row.fetchOne(
                db, sql: "SELECT count(*), coalesce(sum(examined), 0)\(taskSums) FROM impressions WHERE run_id = ?",
                arguments: arguments)
            {
                a.impressions = row[0]
                a.examined = row[1]
                a.positives = taskNames.indices.map { row[2 + $0] }
            }

            // Two passes for the reward's standard deviation: the mean, then the squared deviations from it
            // (avoids the cancellation of Σr² − n·r̄²).
            if a.steps > 0 {
                let mean = try Double.fetchOne(
                    db, sql: "SELECT avg(reward) FROM steps WHERE run_id = ?", arguments: arguments) ?? .nan
                a.rewardMean = mean
                if a.steps > 1 {
                    let squares = try Double.fetchOne(
                        db, sql: "SELECT sum((reward - ?) * (reward - ?)) FROM steps WHERE run_id = ?",
                        arguments: [mean, mean, run]) ?? .nan
                    a.rewardSD = (squares / Double(a.steps - 1)).squareRoot()
                }
            }

            // Action statistics: decode each action BLOB in place, one streaming pass.
            var actions = [RunningStatistics](repeating: RunningStatistics(), count: actionNames.count)
            let rows = try Row.fetchCursor(
                db, sql: "SELECT action FROM steps WHERE run_id = ?", arguments: arguments)
            while let row = try rows.next() {
                try row.withUnsafeData(atIndex: 0) { data in
                    guard let data, data.count == 4 * actions.count else {
                        throw EpisodeLogError(path: path, kind: .corrupt(
                            "an action BLOB does not have \(actions.count) Float32 values"))
                    }
                    data.withUnsafeBytes { bytes in
                        for d in actions.indices {
                            let bits = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * d, as: UInt32.self))
                            actions[d].add(Double(Float(bitPattern: bits)))
                        }
                    }
                }
            }
            a.actions = actions
            return a
        }

        runCount = aggregates.runCount
        sessions = aggregates.sessions
        steps = aggregates.steps
        impressions = aggregates.impressions
        candidateSets = aggregates.candidateSets
        sessionEnds = aggregates.sessionEnds
        examinedRate = aggregates.impressions > 0 ? Double(aggregates.examined) / Double(aggregates.impressions) : .nan
        taskRates = zip(taskNames, aggregates.positives).map { name, positives in
            TaskRate(name: name, positives: positives,
                     rate: aggregates.impressions > 0 ? Double(positives) / Double(aggregates.impressions) : .nan)
        }
        rewardMean = aggregates.rewardMean
        rewardStandardDeviation = aggregates.rewardSD
        sessionRewardMean = aggregates.sessionRewardMean
        actions = zip(actionNames, aggregates.actions).map { name, statistics in
            DimensionStatistics(name: name, mean: statistics.mean, standardDeviation: statistics.standardDeviation,
                                minimum: statistics.minimum, maximum: statistics.maximum)
        }
    }
}
