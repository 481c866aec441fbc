import GRDB
import GRDBSQLite

/// The RL transitions of one run, by `TransitionRule` (the transitions `TransitionBatches` streams, in the same
/// order), as flat columns: what off-policy evaluation reads of a log, without next states, reward components or
/// behaviour means.
///
/// Read by one prepared statement whose columns are copied straight from SQLite's buffers into the arrays
/// (`EpisodeLogSnapshot.transitionColumns`): no row objects, no per-step arrays. 10⁶ steps take
/// `count × (state + action)` floats (about 200 MB on `short-video`) and a few `Double` columns.
public struct TransitionColumns: Sendable {
    public let stateDimension: Int
    public let actionDimension: Int
    public var episodes: [Int] = []
    public var sessionIndices: [Int] = []
    public var requestIndices: [Int] = []
    /// Raw states, `count × stateDimension`, row-major.
    public var states: [Float] = []
    /// Raw logged actions, `count × actionDimension`, row-major.
    public var actions: [Float] = []
    public var rewards: [Double] = []
    /// Behaviour log-densities as logged.
    public var logDensities: [Double] = []
    public var explorationGroups: [UInt8] = []
    public var sessionEnds: [Bool] = []
    /// `LoggedTransition.terminal`.
    public var terminals: [Bool] = []
    /// `LoggedTransition.truncated`.
    public var truncations: [Bool] = []
    /// `LoggedTransition.elapsedMinutes`, NaN where unknown.
    public var elapsedMinutes: [Double] = []

    /// Number of transitions.
    public var count: Int { rewards.count }

    init(stateDimension: Int, actionDimension: Int, capacity: Int) {
        self.stateDimension = stateDimension
        self.actionDimension = actionDimension
        episodes.reserveCapacity(capacity)
        sessionIndices.reserveCapacity(capacity)
        requestIndices.reserveCapacity(capacity)
        states.reserveCapacity(capacity * stateDimension)
        actions.reserveCapacity(capacity * actionDimension)
        rewards.reserveCapacity(capacity)
        logDensities.reserveCapacity(capacity)
        explorationGroups.reserveCapacity(capacity)
        sessionEnds.reserveCapacity(capacity)
        terminals.reserveCapacity(capacity)
        truncations.reserveCapacity(capacity)
        elapsedMinutes.reserveCapacity(capacity)
    }

    /// Removes the last row (a step that yields no transition).
    mutating func removeLast() {
        episodes.removeLast()
        sessionIndices.removeLast()
        requestIndices.removeLast()
        states.removeLast(stateDimension)
        actions.removeLast(actionDimension)
        rewards.removeLast()
        logDensities.removeLast()
        explorationGroups.removeLast()
        sessionEnds.removeLast()
        terminals.removeLast()
        truncations.removeLast()
        elapsedMinutes.removeLast()
    }
}

extension EpisodeLogSnapshot {
    /// Every transition of `run` (`TransitionRule`), in step order, as columns. `expectedSteps` sizes the arrays
    /// (the run's step count, `stepCount(run:)`). Refused as corrupt (naming the file, run and step): a state or
    /// action BLOB of another length than `stateDimension` or `actionDimension` values, and a session's last step
    /// without a valid `end_reason`.
    ///
    /// The steps are scanned in the table's storage order, which is key order when the writer appended them in
    /// order (as `simulate` does); the scan checks that, and reads again through the primary key when it is not. The
    /// sessions' endings are merged in from one ordered scan of `sessions`.
    public func transitionColumns(run: Int, stateDimension ds: Int, actionDimension da: Int,
                                  expectedSteps: Int = 0) throws -> TransitionColumns {
        try EpisodeLogError.wrapping(path: path) {
            let endings = try sessionEndings(run: run)
            if let columns = try scanTransitions(run: run, ds, da, expectedSteps, endings, ordered: false) { return columns }
            return try scanTransitions(run: run, ds, da, expectedSteps, endings, ordered: true)!
        }
    }

    /// Committed steps of `run` (`untimed`: only those without an elapsed time), counted on the primary key.
    public func stepCount(run: Int, untimed: Bool = false) throws -> Int {
        guard !untimed || schemaVersion >= 3 else { return try stepCount(run: run) }
        let sql = "SELECT COUNT(*) FROM steps WHERE run_id = ?" + (untimed ? " AND elapsed_minutes IS NULL" : "")
        return try EpisodeLogError.wrapping(path: path) {
            try Int.fetchOne(db, sql: sql, arguments: [run]) ?? 0
        }
    }

    /// How each session of `run` ended, in key order.
    private func sessionEndings(run: Int) throws -> [(episode: Int, session: Int, ending: TransitionRule.SessionEnding?)] {
        let statement = try db.makeStatement(sql: """
            SELECT episode, session_index, end_reason, return_gap_minutes FROM sessions WHERE run_id = ?
            ORDER BY episode, session_index
            """)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        sqlite3_bind_int64(handle, 1, Int64(run))
        var out: [(episode: Int, session: Int, ending: TransitionRule.SessionEnding?)] = []
        while try step(handle) {
            let reason = sqlite3_column_int64(handle, 2)
            let end = (0...2).contains(reason) ? LoggedSession.End(rawValue: UInt8(reason)) : nil
            out.append((Int(sqlite3_column_int64(handle, 0)), Int(sqlite3_column_int64(handle, 1)),
                        end.map { .init(end: $0, returnGapMinutes: Self.optionalDouble(handle, 3)) }))
        }
        return out
    }

    /// Steps the statement: true on a row, false when done; throws on an error.
    private func step(_ handle: SQLiteStatement) throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw EpisodeLogError(path: path, kind: .io("SQLite error \(code & 0xFF): \(String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))))"))
    }

    /// One scan of the steps into columns: through the primary key (`ordered`), or in storage order, giving up
    /// (nil) at the first step out of key order.
    private func scanTransitions(run: Int, _ ds: Int, _ da: Int, _ expectedSteps: Int,
                                 _ endings: [(episode: Int, session: Int, ending: TransitionRule.SessionEnding?)],
                                 ordered: Bool) throws -> TransitionColumns? {
        let elapsed = schemaVersion >= 3 ? "elapsed_minutes" : "NULL"
        let statement = try db.makeStatement(sql: """
            SELECT episode, session_index, request_index, state, action, exploration_group, log_density, reward,
              session_end, \(elapsed)
            FROM steps \(ordered ? "" : "NOT INDEXED ")WHERE run_id = ?\(ordered ? " ORDER BY episode, session_index, request_index" : "")
            """)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        sqlite3_bind_int64(handle, 1, Int64(run))
        var rule = ColumnTransitionRule(columns: TransitionColumns(stateDimension: ds, actionDimension: da,
                                                                   capacity: expectedSteps))
        var nextSession = 0
        var previous: (Int, Int, Int)? = nil
        while try step(handle) {
            let episode = Int(sqlite3_column_int64(handle, 0))
            let sessionIndex = Int(sqlite3_column_int64(handle, 1))
            let requestIndex = Int(sqlite3_column_int64(handle, 2))
            if let previous, previous >= (episode, sessionIndex, requestIndex) {
                guard ordered else { return nil }
            }
            previous = (episode, sessionIndex, requestIndex)
            rule.resolvePending(followedBy: (episode, sessionIndex, requestIndex))
            let stateBytes = Int(sqlite3_column_bytes(handle, 3)), actionBytes = Int(sqlite3_column_bytes(handle, 4))
            guard stateBytes == 4 * ds, actionBytes == 4 * da else {
                throw EpisodeLogError(path: path, kind: .corrupt(
                    "run \(run), episode \(episode): a step of \(stateBytes / 4) state and \(actionBytes / 4) "
                        + "action values, the run names \(ds) and \(da)"))
            }
            Self.appendFloats(sqlite3_column_blob(handle, 3), count: ds, to: &rule.columns.states)
            Self.appendFloats(sqlite3_column_blob(handle, 4), count: da, to: &rule.columns.actions)
            let sessionEnd = sqlite3_column_int64(handle, 8) != 0
            var ending: TransitionRule.SessionEnding? = nil
            if sessionEnd {
                while nextSession < endings.count
                        && (endings[nextSession].episode, endings[nextSession].session) < (episode, sessionIndex) {
                    nextSession += 1
                }
                guard nextSession < endings.count, endings[nextSession].episode == episode,
                      endings[nextSession].session == sessionIndex, let found = endings[nextSession].ending else {
                    throw EpisodeLogError(path: path, kind: .corrupt(
                        "step (\(episode), \(sessionIndex), \(requestIndex)) ends a session without a valid end_reason"))
                }
                ending = found
            }
            rule.columns.episodes.append(episode)
            rule.columns.sessionIndices.append(sessionIndex)
            rule.columns.requestIndices.append(requestIndex)
            rule.columns.explorationGroups.append(UInt8(truncatingIfNeeded: sqlite3_column_int64(handle, 5)))
            rule.columns.logDensities.append(sqlite3_column_double(handle, 6))
            rule.columns.rewards.append(sqlite3_column_double(handle, 7))
            rule.columns.sessionEnds.append(sessionEnd)
            rule.columns.terminals.append(false)
            rule.columns.truncations.append(false)
            rule.columns.elapsedMinutes.append(.nan)
            rule.pending = (episode, sessionIndex, requestIndex, sessionEnd, ending, Self.optionalDouble(handle, 9))
        }
        rule.resolvePending(followedBy: nil)
        return rule.columns
    }

    /// The REAL in column `index`, nil when NULL.
    @inline(__always)
    private static func optionalDouble(_ handle: SQLiteStatement, _ index: Int32) -> Double? {
        sqlite3_column_type(handle, index) == SQLITE_NULL ? nil : sqlite3_column_double(handle, index)
    }

    /// Appends `count` little-endian `Float`s from a BLOB's bytes.
    @inline(__always)
    private static func appendFloats(_ blob: UnsafeRawPointer?, count: Int, to out: inout [Float]) {
        guard count > 0, let blob else { return }
        #if _endian(little)
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: count))
        out.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: 4 * start).copyMemory(from: blob, byteCount: 4 * count) }
        #else
        for i in 0..<count {
            out.append(Float(bitPattern: UInt32(littleEndian: blob.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
        }
        #endif
    }

    /// The user of each episode of `run` (from its sessions), in episode order; one row per session is read.
    public func episodeUsers(run: Int) throws -> [(episode: Int, user: Int)] {
        try EpisodeLogError.wrapping(path: path) {
            let statement = try db.makeStatement(sql: "SELECT episode, user_id FROM sessions WHERE run_id = ? ORDER BY episode, session_index")
            let handle = statement.sqliteStatement
            defer { sqlite3_reset(handle) }
            sqlite3_bind_int64(handle, 1, Int64(run))
            var out: [(episode: Int, user: Int)] = []
            while try step(handle) {
                out.append((Int(sqlite3_column_int64(handle, 0)), Int(sqlite3_column_int64(handle, 1))))
            }
            return out
        }
    }
}

/// `TransitionRule` applied to rows as they are appended to `TransitionColumns`: the last row appended waits for the
/// next step's key, which decides whether it is a transition (and with which flags and minutes) or is dropped.
private struct ColumnTransitionRule {
    var columns: TransitionColumns
    /// The last row's key, session ending and request minutes, until the next step's key resolves it.
    var pending: (episode: Int, session: Int, request: Int, sessionEnd: Bool, ending: TransitionRule.SessionEnding?,
                  minutes: Double?)? = nil

    /// Completes the pending row given the next step's key (nil at the end), or drops it when it yields nothing.
    mutating func resolvePending(followedBy next: (episode: Int, session: Int, request: Int)?) {
        guard let p = pending else { return }
        pending = nil
        let row = columns.count - 1
        if let next, TransitionRule.follows(episode: next.episode, session: next.session, request: next.request,
                                            previous: (p.episode, p.session, p.request, p.sessionEnd)) {
            columns.elapsedMinutes[row] = TransitionRule.minutes(request: p.minutes, sessionEnd: p.sessionEnd,
                                                                 ending: p.ending) ?? .nan
        } else if let outcome = TransitionRule.finalOutcome(sessionEnd: p.sessionEnd, ending: p.ending) {
            columns.terminals[row] = outcome.terminal
            columns.truncations[row] = outcome.truncated
            let minutes = outcome.withGap
                ? TransitionRule.minutes(request: p.minutes, sessionEnd: p.sessionEnd, ending: p.ending) : p.minutes
            columns.elapsedMinutes[row] = minutes ?? .nan
        } else {
            columns.removeLast()
        }
    }
}
