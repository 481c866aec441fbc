import GRDB

/// The episode log's SQL schema, its version number and the migrations that bring older files up to date.
///
/// `PRAGMA user_version` is the single source of truth for the version (any SQLite client can read it), so the
/// migrations are a plain list applied in order rather than GRDB's `DatabaseMigrator`, which keeps its own
/// bookkeeping table. `PRAGMA application_id` marks the file as an MTFSim log.
enum EpisodeLogSchema {
    /// `PRAGMA application_id` of every MTFSim episode log: the bytes "MTFS" (0x4D544653).
    static let applicationID: Int32 = 0x4D54_4653

    /// The schema version this build writes and the newest it reads.
    static var currentVersion: Int { migrations.count }

    /// The tables a log of the current version must have.
    static let requiredTables: Set<String> = ["runs", "sessions", "steps", "impressions", "candidates"]

    /// `migrations[v]` upgrades a file from version `v` to `v + 1`. Never edit a released migration; append one.
    static let migrations: [@Sendable (Database, LegacyStepTiming?) throws -> Void] = [
        { db, _ in try createVersion1(db) }, { db, _ in try addTrueProbabilities(db) }, addStepElapsedMinutes,
    ]

    /// Brings `db` from its `user_version` to `currentVersion`, one transaction per migration, so an
    /// interrupted upgrade leaves a file at a valid intermediate version. `timing` derives the step times that
    /// version 3 records for runs written before it (see `LegacyStepTiming`).
    static func migrate(_ db: DatabaseQueue, timing: LegacyStepTiming? = nil) throws {
        while true {
            let done: Bool = try db.write { db in
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                guard version < currentVersion else { return true }
                if version == 0 {
                    try db.execute(sql: "PRAGMA application_id = \(applicationID)")
                }
                try migrations[version](db, timing)
                try db.execute(sql: "PRAGMA user_version = \(version + 1)")
                return false
            }
            if done { return }
        }
    }

    /// Version 1. Natural keys everywhere (no autoincrement outside `runs`), so a table's logical content does
    /// not depend on the order sessions were written in. Vectors are little-endian Float32 BLOBs (`items` is
    /// Int32); their dimension names live in the run's `*_names` JSON arrays.
    private static func createVersion1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE runs (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted')),
                created_at TEXT NOT NULL,
                finished_at TEXT,
                environment_name TEXT NOT NULL,
                environment_yaml TEXT NOT NULL,
                seed INTEGER NOT NULL,
                code_version TEXT NOT NULL,
                policy_spec TEXT NOT NULL,
                policy_parameters TEXT NOT NULL CHECK (json_valid(policy_parameters)),
                ranker_name TEXT NOT NULL,
                task_names TEXT NOT NULL CHECK (json_valid(task_names)),
                state_names TEXT NOT NULL CHECK (json_valid(state_names)),
                action_names TEXT NOT NULL CHECK (json_valid(action_names)),
                reward_component_names TEXT NOT NULL CHECK (json_valid(reward_component_names)),
                action_low BLOB NOT NULL,
                action_high BLOB NOT NULL,
                requested_sessions INTEGER NOT NULL,
                lanes INTEGER NOT NULL,
                logs_candidates INTEGER NOT NULL,
                slate_size INTEGER NOT NULL,
                candidates_per_request INTEGER NOT NULL
            );

            CREATE TABLE sessions (
                run_id INTEGER NOT NULL REFERENCES runs(id),
                episode INTEGER NOT NULL,
                session_index INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                start_minutes REAL NOT NULL,
                duration_minutes REAL NOT NULL,
                requests INTEGER NOT NULL,
                impressions INTEGER NOT NULL,
                task_counts TEXT NOT NULL,
                watch_seconds REAL NOT NULL,
                reward REAL NOT NULL,
                mean_satisfaction REAL NOT NULL,
                return_gap_minutes REAL,
                end_reason INTEGER NOT NULL CHECK (end_reason IN (0, 1, 2)),
                truncated INTEGER NOT NULL,
                PRIMARY KEY (run_id, episode, session_index)
            ) WITHOUT ROWID;

            CREATE TABLE steps (
                run_id INTEGER NOT NULL,
                episode INTEGER NOT NULL,
                session_index INTEGER NOT NULL,
                request_index INTEGER NOT NULL,
                state BLOB NOT NULL,
                action BLOB NOT NULL,
                behaviour_mean BLOB NOT NULL,
                exploration_scale REAL NOT NULL,
                exploration_group INTEGER NOT NULL,
                log_density REAL NOT NULL,
                policy_version INTEGER NOT NULL,
                reward REAL NOT NULL,
                reward_components BLOB NOT NULL,
                session_end INTEGER NOT NULL,
                terminal INTEGER NOT NULL,
                truncated INTEGER NOT NULL,
                PRIMARY KEY (run_id, episode, session_index, request_index),
                FOREIGN KEY (run_id, episode, session_index) REFERENCES sessions
            );

            CREATE TABLE impressions (
                run_id INTEGER NOT NULL,
                episode INTEGER NOT NULL,
                session_index INTEGER NOT NULL,
                request_index INTEGER NOT NULL,
                position INTEGER NOT NULL,
                item INTEGER NOT NULL,
                predictions BLOB NOT NULL,
                tasks INTEGER NOT NULL,
                examined INTEGER NOT NULL,
                watch_seconds REAL NOT NULL,
                PRIMARY KEY (run_id, episode, session_index, request_index, position),
                FOREIGN KEY (run_id, episode, session_index, request_index) REFERENCES steps
            ) WITHOUT ROWID;

            CREATE TABLE candidates (
                run_id INTEGER NOT NULL,
                episode INTEGER NOT NULL,
                session_index INTEGER NOT NULL,
                request_index INTEGER NOT NULL,
                items BLOB NOT NULL,
                predictions BLOB NOT NULL,
                PRIMARY KEY (run_id, episode, session_index, request_index),
                FOREIGN KEY (run_id, episode, session_index, request_index) REFERENCES steps
            );
            """)
    }

    /// Version 2: the world's true per-task probabilities of each shown item (`impressions.true_probabilities`,
    /// Float32 BLOB in task order, NULL when unknown), so that evaluation can put a ranker beside its ceiling; and
    /// random exposure (`impressions.random_exposure`, `runs.random_exposure`: the probability per slot).
    private static func addTrueProbabilities(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE impressions ADD COLUMN true_probabilities BLOB;
            ALTER TABLE impressions ADD COLUMN random_exposure INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE runs ADD COLUMN random_exposure REAL NOT NULL DEFAULT 0;
            """)
    }

    /// Version 3: each step's duration on the simulator's clock (`steps.elapsed_minutes`: the request's browsing
    /// and watching; the return gap after a session's last step is on the session), so that transitions can be
    /// discounted by time from the log alone; and one meaning of `steps.truncated`: the episode was cut at the
    /// horizon after this step (a session that hit its request cap says so in `sessions.truncated`).
    ///
    /// Steps of older runs get the minutes the simulator counted for them, recomputed from their impressions as
    /// `LegacyStepTiming.accumulate` counts them; without `timing` (no world model at hand), or for a run whose
    /// environment it cannot read, they stay NULL (unknown).
    private static func addStepElapsedMinutes(_ db: Database, timing: LegacyStepTiming?) throws {
        try db.execute(sql: """
            ALTER TABLE steps ADD COLUMN elapsed_minutes REAL;
            UPDATE steps SET truncated = 0 WHERE truncated = 1 AND NOT (session_end = 1 AND (
                SELECT end_reason FROM sessions s WHERE s.run_id = steps.run_id AND s.episode = steps.episode
                    AND s.session_index = steps.session_index) = 2);
            """)
        guard let timing else { return }
        let runs = try Row.fetchAll(db, sql: "SELECT id, environment_yaml FROM runs ORDER BY id")
        let update = try db.makeStatement(sql: """
            UPDATE steps SET elapsed_minutes = ?5
            WHERE run_id = ?1 AND episode = ?2 AND session_index = ?3 AND request_index = ?4
            """)
        for run in runs {
            let id: Int64 = run[0]
            // A run whose environment the world model cannot read keeps unknown times rather than blocking the file.
            guard let browseSeconds = try? timing.browseSecondsPerImpression(run[1]) else { continue }
            // Steps without impressions took no time; the others are overwritten below.
            try db.execute(sql: "UPDATE steps SET elapsed_minutes = 0 WHERE run_id = ?", arguments: [id])
            let impressions = try Row.fetchCursor(db, sql: """
                SELECT episode, session_index, request_index, tasks, examined, watch_seconds FROM impressions
                WHERE run_id = ? ORDER BY episode, session_index, request_index, position
                """, arguments: [id])
            var key: (Int64, Int64, Int64)? = nil
            var minutes = 0.0
            func flush() throws {
                guard let k = key else { return }
                try update.execute(arguments: [id, k.0, k.1, k.2, minutes])
            }
            while let row = try impressions.next() {
                let k: (Int64, Int64, Int64) = (row[0], row[1], row[2])
                if key.map({ $0 != k }) ?? true {
                    try flush()
                    key = k
                    minutes = 0
                }
                let tasks: Int64 = row[3], examined: Bool = row[4], watchSeconds: Double = row[5]
                LegacyStepTiming.accumulate(&minutes, examined: examined, played: tasks & 1 != 0,
                                            watchSeconds: Float(watchSeconds), browseSecondsPerImpression: browseSeconds)
            }
            try flush()
        }
    }
}
