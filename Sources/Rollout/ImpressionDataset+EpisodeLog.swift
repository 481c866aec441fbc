import EpisodeLog
import Ranking
import Simulator

extension ImpressionDataset {
    /// The examined impressions of run `run` of `log`, in key order, with each session's user, the request's
    /// index in its session and the user's engagement history before the request, rebuilt from the episode's
    /// earlier impressions exactly as the simulator keeps it (`world` gives the items' categories).
    /// Unexamined impressions carry no feedback and are left out (the ranker predicts feedback given
    /// examination, as the world's true probabilities do).
    public static func examinedImpressions(of log: EpisodeLogReader, run: Int, world: World) throws -> ImpressionDataset {
        let info = try log.run(run)
        var sessions: [SessionKey: (user: Int32, start: Double, duration: Double)] = [:]
        try log.sessions(run: run).forEach { batch in
            for session in batch {
                sessions[SessionKey(episode: session.episode, session: session.sessionIndex)] =
                    (Int32(session.user), session.startMinutes, session.durationMinutes)
            }
        }
        let taskCount = info.metadata.taskNames.count
        var data = ImpressionDataset(taskCount: taskCount)
        let category = world.catalog.category
        var history = EngagementHistory(taskCount: taskCount, categoryCount: world.catalog.categoryCount)
        var current: (episode: Int, session: Int, request: Int)? = nil
        var request: [LoggedImpression] = []
        func closeRequest() {
            history.record(count: request.count, examined: { request[$0].examined },
                           categories: { category[Int(request[$0].item)] }, tasks: { request[$0].tasks })
            request.removeAll(keepingCapacity: true)
        }
        try log.impressions(run: run).forEach { batch in
            for keyed in batch {
                let key = (episode: keyed.episode, session: keyed.sessionIndex, request: keyed.requestIndex)
                if let c = current, c != key {
                    closeRequest()
                    if c.episode != key.episode {
                        history = EngagementHistory(taskCount: taskCount, categoryCount: world.catalog.categoryCount)
                    } else if c.session != key.session {
                        guard let previous = sessions[SessionKey(episode: c.episode, session: c.session)],
                              let next = sessions[SessionKey(episode: key.episode, session: key.session)] else {
                            throw EpisodeLogError(path: log.path, kind: .corrupt(
                                "impressions of episode \(key.episode) without their session rows"))
                        }
                        history.startSession(idleHours: (next.start - (previous.start + previous.duration)) / 60)
                    }
                }
                current = key
                let impression = keyed.impression
                request.append(impression)
                guard impression.examined else { continue }
                guard let user = sessions[SessionKey(episode: keyed.episode, session: keyed.sessionIndex)]?.user,
                      Int(impression.item) < category.count, impression.item >= 0 else {
                    throw EpisodeLogError(path: log.path, kind: .corrupt(
                        "impression of episode \(keyed.episode) session \(keyed.sessionIndex) without its session, "
                        + "or of an item outside the world's catalog"))
                }
                let c = Int(category[Int(impression.item)])
                data.append(user: user, item: impression.item, requestIndex: Int32(keyed.requestIndex),
                            history: { history.write(category: c, into: $0) },
                            tasks: impression.tasks, watchSeconds: impression.watchSeconds,
                            trueProbabilities: impression.trueProbabilities)
            }
        }
        return data
    }
}

private struct SessionKey: Hashable {
    var episode: Int
    var session: Int
}
