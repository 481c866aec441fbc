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
    static let migrations: [@Sendable (Database) throws -> Void] = [createVersion1, addTrueProbabilities]

    /// Brings `db` from its `user_version` to `currentVersion`, one transaction per migration, so an
    /// interrupted upgrade leaves a file at a valid intermediate version.
    static func migrate(_ db: DatabaseQueue) throws {
        while true {
            let done: Bool = try db.write { db in
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                guard version < currentVersion else { return true }
                if version == 0 {
                    try db.execute(sql: "PRAGMA application_id = \(applicationID)")
                }
                try migrations[version](db)
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
}
