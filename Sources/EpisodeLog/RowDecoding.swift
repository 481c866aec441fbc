import Foundation
import GRDB

/// Column lists and row decoders shared by the readers. Each decoder expects the columns of its `…Columns`
/// string, in order; vectors are decoded from the row's BLOB bytes without an intermediate copy.
enum RowDecoding {
    static let sessionKeyColumns = ["episode", "session_index"]
    static let sessionValueColumns = [
        "user_id", "start_minutes", "duration_minutes", "requests", "impressions", "task_counts", "watch_seconds",
        "reward", "mean_satisfaction", "return_gap_minutes", "end_reason", "truncated",
    ]
    static let sessionColumns = (sessionKeyColumns + sessionValueColumns).joined(separator: ", ")
    static let stepKeyColumns = ["episode", "session_index", "request_index"]
    /// Step values; a log older than version 3 has no `elapsed_minutes` column and reads it as NULL.
    static func stepValueColumns(schemaVersion: Int) -> [String] {
        ["state", "action", "behaviour_mean", "exploration_scale", "exploration_group", "log_density",
         "policy_version", "reward", "reward_components", "session_end", "terminal", "truncated"]
            + [schemaVersion >= 3 ? "elapsed_minutes" : "NULL AS elapsed_minutes"]
    }
    static func stepColumns(schemaVersion: Int) -> String {
        (stepKeyColumns + stepValueColumns(schemaVersion: schemaVersion)).joined(separator: ", ")
    }
    /// Step values with the ending of the step's session (for the transition rule): its `end_reason` and
    /// `return_gap_minutes`, looked up only for a session's last step (NULL otherwise).
    static func transitionStepValueColumns(schemaVersion: Int) -> [String] {
        let session = "FROM sessions s WHERE s.run_id = steps.run_id AND s.episode = steps.episode "
            + "AND s.session_index = steps.session_index"
        return stepValueColumns(schemaVersion: schemaVersion) + [
            "CASE WHEN session_end THEN (SELECT end_reason \(session)) END",
            "CASE WHEN session_end THEN (SELECT return_gap_minutes \(session)) END",
        ]
    }
    static let impressionKeyColumns = ["episode", "session_index", "request_index", "position"]
    /// Impression values; a version-1 log has no `true_probabilities` column and reads it as NULL.
    static func impressionValueColumns(schemaVersion: Int) -> [String] {
        ["item", "predictions", "tasks", "examined", "watch_seconds"]
            + (schemaVersion >= 2 ? ["true_probabilities", "random_exposure"]
                                  : ["NULL AS true_probabilities", "0 AS random_exposure"])
    }
    static func impressionColumns(schemaVersion: Int) -> String {
        (impressionKeyColumns + impressionValueColumns(schemaVersion: schemaVersion)).joined(separator: ", ")
    }
    static let candidateValueColumns = ["items", "predictions"]
    static let candidateColumns = (stepKeyColumns + candidateValueColumns).joined(separator: ", ")

    static func session(_ row: Row, path: String) throws -> LoggedSession {
        let taskCountsText: String = row[7]
        guard let taskCounts = parseIntArray(taskCountsText) else {
            throw EpisodeLogError(path: path, kind: .corrupt("malformed task_counts \"\(taskCountsText)\""))
        }
        let endReason: Int64 = row[12]
        guard let end = LoggedSession.End(rawValue: UInt8(truncatingIfNeeded: endReason)), (0...2).contains(endReason) else {
            throw EpisodeLogError(path: path, kind: .corrupt("end_reason \(endReason) is not 0, 1 or 2"))
        }
        return LoggedSession(
            episode: row[0], user: row[2], sessionIndex: row[1], startMinutes: row[3], durationMinutes: row[4],
            requests: row[5], impressions: row[6], taskCounts: taskCounts, watchSeconds: row[8], reward: row[9],
            meanSatisfaction: row[10], returnGapMinutes: row[11], end: end, truncated: row[13], steps: [])
    }

    static func step(_ row: Row, path: String) throws -> KeyedStep {
        let step = LoggedStep(
            requestIndex: row[2],
            state: try floats(row, 3, path: path),
            action: try floats(row, 4, path: path),
            behaviourMean: try floats(row, 5, path: path),
            explorationScale: Float(row[6] as Double),
            explorationGroup: UInt8(truncatingIfNeeded: row[7] as Int64),
            logDensity: row[8],
            policyVersion: row[9],
            reward: row[10],
            rewardComponents: try floats(row, 11, path: path),
            sessionEnd: row[12], terminal: row[13], truncated: row[14],
            impressions: [], candidates: nil, elapsedMinutes: row[15])
        return KeyedStep(episode: row[0], sessionIndex: row[1], step: step)
    }

    /// A step read with `transitionStepValueColumns`: its session's ending follows the step's columns.
    static func transitionStep(_ row: Row, path: String) throws -> TransitionBatches.TransitionStep {
        let keyed = try step(row, path: path)
        guard keyed.step.sessionEnd else { return .init(keyed: keyed, ending: nil) }
        let endReason: Int64? = row[16]
        guard let endReason, let end = LoggedSession.End(rawValue: UInt8(truncatingIfNeeded: endReason)),
              (0...2).contains(endReason) else {
            throw EpisodeLogError(path: path, kind: .corrupt(
                "step (\(keyed.episode), \(keyed.sessionIndex), \(keyed.step.requestIndex)) ends a session without a valid end_reason"))
        }
        return .init(keyed: keyed, ending: .init(end: end, returnGapMinutes: row[17]))
    }

    static func impression(_ row: Row, path: String) throws -> KeyedImpression {
        let impression = LoggedImpression(
            position: row[3],
            item: Int32(truncatingIfNeeded: row[4] as Int64),
            predictions: try floats(row, 5, path: path),
            tasks: UInt32(truncatingIfNeeded: row[6] as Int64),
            examined: row[7],
            watchSeconds: Float(row[8] as Double),
            trueProbabilities: row.hasNull(atIndex: 9) ? nil : try floats(row, 9, path: path),
            randomExposure: row[10])
        return KeyedImpression(episode: row[0], sessionIndex: row[1], requestIndex: row[2], impression: impression)
    }

    static func candidates(_ row: Row, path: String) throws -> KeyedCandidates {
        let candidates = LoggedCandidates(
            items: try blob(row, 3, as: Int32.self, path: path),
            predictions: try floats(row, 4, path: path))
        return KeyedCandidates(episode: row[0], sessionIndex: row[1], requestIndex: row[2], candidates: candidates)
    }

    @inline(__always)
    static func floats(_ row: Row, _ index: Int, path: String) throws -> [Float] {
        try blob(row, index, as: Float.self, path: path)
    }

    /// Decodes the BLOB in column `index` (a zero-length BLOB, which SQLite may return as NULL, is `[]`).
    static func blob<Element: LittleEndianBlobElement>(
        _ row: Row, _ index: Int, as: Element.Type, path: String
    ) throws -> [Element] {
        let values = try row.withUnsafeData(atIndex: index) { data in
            LittleEndianBlob.decode(data, as: Element.self)
        }
        guard let values else {
            throw EpisodeLogError(path: path, kind: .corrupt("a vector BLOB's length is not a multiple of 4"))
        }
        return values
    }

    /// Parses `[1,2,3]` (the writer's `task_counts` format; whitespace tolerated).
    static func parseIntArray(_ text: String) -> [Int]? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { return nil }
        let inner = trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
        if inner.isEmpty { return [] }
        var values: [Int] = []
        for part in inner.split(separator: ",") {
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else { return nil }
            values.append(value)
        }
        return values
    }
}
