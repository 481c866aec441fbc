import GRDB

extension EpisodeLogReader {
    /// Session headers of `run` (totals, no steps) in key order, `batchSize` at a time.
    public func sessions(run: Int, batchSize: Int = 1024) -> LogBatches<LoggedSession> {
        let query = KeysetQuery(
            table: "sessions", keyColumns: RowDecoding.sessionKeyColumns,
            valueColumns: RowDecoding.sessionValueColumns)
        return batches(query, run: run, batchSize: batchSize) { row, path in try RowDecoding.session(row, path: path) }
    }

    /// Steps of `run` (without impressions) ordered by episode, session, request, `batchSize` at a time.
    public func steps(run: Int, batchSize: Int = 4096) -> LogBatches<KeyedStep> {
        let query = KeysetQuery(
            table: "steps", keyColumns: RowDecoding.stepKeyColumns,
            valueColumns: RowDecoding.stepValueColumns(schemaVersion: schemaVersion))
        return batches(query, run: run, batchSize: batchSize) { row, path in try RowDecoding.step(row, path: path) }
    }

    /// Impressions of `run` ordered by episode, session, request, position, `batchSize` at a time.
    public func impressions(run: Int, batchSize: Int = 16384) -> LogBatches<KeyedImpression> {
        let query = KeysetQuery(
            table: "impressions", keyColumns: RowDecoding.impressionKeyColumns,
            valueColumns: RowDecoding.impressionValueColumns(schemaVersion: schemaVersion))
        return batches(query, run: run, batchSize: batchSize) { row, path in
            try RowDecoding.impression(row, path: path)
        }
    }

    /// Candidate sets of `run` (empty unless the run logs candidates) in request order, `batchSize` at a time.
    public func candidates(run: Int, batchSize: Int = 1024) -> LogBatches<KeyedCandidates> {
        let query = KeysetQuery(
            table: "candidates", keyColumns: RowDecoding.stepKeyColumns,
            valueColumns: RowDecoding.candidateValueColumns)
        return batches(query, run: run, batchSize: batchSize) { row, path in
            try RowDecoding.candidates(row, path: path)
        }
    }

    /// RL transitions of `run` in step order, about `batchSize` at a time, by `TransitionRule` (see
    /// `TransitionBatches`).
    public func transitions(run: Int, batchSize: Int = 4096) -> TransitionBatches {
        let query = KeysetQuery(
            table: "steps", keyColumns: RowDecoding.stepKeyColumns,
            valueColumns: RowDecoding.transitionStepValueColumns(schemaVersion: schemaVersion))
        let steps = batches(query, run: run, batchSize: batchSize) { row, path in
            try RowDecoding.transitionStep(row, path: path)
        }
        return TransitionBatches(steps: steps, batchSize: batchSize)
    }

    private func batches<Element>(
        _ query: KeysetQuery, run: Int, batchSize: Int, decode: @escaping (Row, String) throws -> Element
    ) -> LogBatches<Element> {
        let limit = max(1, batchSize)
        return LogBatches { [self] after in
            try read { db in
                try query.fetch(db, run: run, after: after, limit: limit) { row in try decode(row, path) }
            }
        }
    }
}
