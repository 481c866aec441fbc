import GRDB

extension EpisodeLogWriter {
    /// Writes whole sessions (with their steps, impressions and candidate sets) to the active run in ONE
    /// transaction: after a crash the file holds all of `sessions` or none of them. Pass many sessions per
    /// call; a commit costs far more than a row.
    ///
    /// Sessions already in the file (same run, episode and session index) are skipped whole, so re-appending
    /// after a resume is harmless. Every session is checked against the run's layout as it is written; the
    /// first misfit throws `.invalidRecord` and rolls back the whole call.
    public func append(sessions: [LoggedSession]) throws {
        guard let layout = activeRun.withLock({ $0 }) else {
            throw EpisodeLogError(path: path, kind: .noRun("no run is being written; call beginRun or resumeRun"))
        }
        try EpisodeLogError.wrapping(path: path) {
            try queue.write { db in
                let statements = try AppendStatements(db, path: path)
                for session in sessions {
                    try layout.validate(session, path: path)
                    try statements.write(session, run: layout.runID)
                }
            }
        }
    }
}

/// The cached prepared statements of one `append` call, and the per-row binding (the hot path).
private struct AppendStatements {
    let sessionExists: RawStatement
    let insertSession: RawStatement
    let insertStep: RawStatement
    let insertImpression: RawStatement
    let insertCandidates: RawStatement

    init(_ db: Database, path: String) throws {
        func prepare(_ sql: String) throws -> RawStatement {
            RawStatement(try db.cachedStatement(sql: sql), path: path)
        }
        sessionExists = try prepare(
            "SELECT 1 FROM sessions WHERE run_id = ?1 AND episode = ?2 AND session_index = ?3")
        insertSession = try prepare("""
            INSERT INTO sessions (run_id, episode, session_index, user_id, start_minutes, duration_minutes,
                requests, impressions, task_counts, watch_seconds, reward, mean_satisfaction, return_gap_minutes,
                end_reason, truncated)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
            """)
        insertStep = try prepare("""
            INSERT INTO steps (run_id, episode, session_index, request_index, state, action, behaviour_mean,
                exploration_scale, exploration_group, log_density, policy_version, reward, reward_components,
                session_end, terminal, truncated, elapsed_minutes)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
            """)
        insertImpression = try prepare("""
            INSERT INTO impressions (run_id, episode, session_index, request_index, position, item, predictions,
                tasks, examined, watch_seconds, true_probabilities, random_exposure)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
            """)
        insertCandidates = try prepare("""
            INSERT INTO candidates (run_id, episode, session_index, request_index, items, predictions)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """)
    }

    /// Inserts one session and everything under it, unless the session is already in the file.
    func write(_ session: LoggedSession, run: Int64) throws {
        sessionExists.bind(1, run)
        sessionExists.bind(2, session.episode)
        sessionExists.bind(3, session.sessionIndex)
        if try sessionExists.returnsRow() { return }

        let s = insertSession
        s.bind(1, run)
        s.bind(2, session.episode)
        s.bind(3, session.sessionIndex)
        s.bind(4, session.user)
        s.bind(5, session.startMinutes)
        s.bind(6, session.durationMinutes)
        s.bind(7, session.requests)
        s.bind(8, session.impressions)
        s.bind(9, text: jsonArray(session.taskCounts))
        s.bind(10, session.watchSeconds)
        s.bind(11, session.reward)
        s.bind(12, session.meanSatisfaction)
        s.bind(13, session.returnGapMinutes)
        s.bind(14, Int(session.end.rawValue))
        s.bind(15, session.truncated)
        try s.execute()

        for step in session.steps {
            try write(step, run: run, episode: session.episode, sessionIndex: session.sessionIndex)
        }
    }

    private func write(_ step: LoggedStep, run: Int64, episode: Int, sessionIndex: Int) throws {
        let s = insertStep
        s.bind(1, run)
        s.bind(2, episode)
        s.bind(3, sessionIndex)
        s.bind(4, step.requestIndex)
        s.bindBlob(5, step.state)
        s.bindBlob(6, step.action)
        s.bindBlob(7, step.behaviourMean)
        s.bind(8, Double(step.explorationScale))
        s.bind(9, Int(step.explorationGroup))
        s.bind(10, step.logDensity)
        s.bind(11, step.policyVersion)
        s.bind(12, step.reward)
        s.bindBlob(13, step.rewardComponents)
        s.bind(14, step.sessionEnd)
        s.bind(15, step.terminal)
        s.bind(16, step.truncated)
        s.bind(17, step.elapsedMinutes)
        try s.execute()

        let i = insertImpression
        if !step.impressions.isEmpty {
            // The key columns are the same for every impression of the step: bind them once.
            i.bind(1, run)
            i.bind(2, episode)
            i.bind(3, sessionIndex)
            i.bind(4, step.requestIndex)
        }
        for impression in step.impressions {
            i.bind(5, impression.position)
            i.bind(6, Int64(impression.item))
            i.bind(8, Int64(impression.tasks))
            i.bind(9, impression.examined)
            i.bind(10, Double(impression.watchSeconds))
            if let truth = impression.trueProbabilities { i.bindBlob(11, truth) } else { i.bindNull(11) }
            i.bind(12, impression.randomExposure)
            try LittleEndianBlob.withBytes(of: impression.predictions) { predictions in
                i.bindBlob(7, noCopy: predictions)
                try i.execute()
            }
        }

        if let candidates = step.candidates {
            let c = insertCandidates
            c.bind(1, run)
            c.bind(2, episode)
            c.bind(3, sessionIndex)
            c.bind(4, step.requestIndex)
            c.bindBlob(5, candidates.items)
            c.bindBlob(6, candidates.predictions)
            try c.execute()
        }
    }

    /// `[3,0,1]`: the session's task counts as a JSON array (readable with SQLite's `json_extract`).
    private func jsonArray(_ values: [Int]) -> String {
        "[" + values.map(String.init).joined(separator: ",") + "]"
    }
}
