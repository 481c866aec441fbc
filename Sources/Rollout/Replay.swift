import EpisodeLog
import Numerics
import Simulator

/// Replays of logged runs: counterfactual re-ranking of logged candidate sets, and re-simulation of the
/// logged users under another policy with common random numbers.
public enum Replay {
    /// Rebuilds the world a logged run was simulated in (environment as written, same seed).
    public static func world(of run: RunInfo, path: String) throws -> World {
        let config = try EnvironmentLoader.decode(yaml: run.metadata.environmentYAML, file: "\(path) (run \(run.id))")
        return try World(config: config, seed: run.metadata.seed)
    }

    /// How the logged engagement would have ranked under another policy, per task.
    public struct RerankTask: Sendable, Codable {
        public var task: String
        /// Shown items with this feedback in the log.
        public var engaged: Int
        /// Share of them that the new policy also puts in its top N.
        public var keptShare: Double
        /// Mean NDCG@N of the logged feedback under the new ranking (relevance 1 for a shown item with this feedback,
        /// 0 otherwise, unshown items 0; ideal = the engaged items first), over requests with at least one engaged item.
        public var ndcg: Double
    }

    /// Re-ranks every logged candidate set with `policy` acting on the logged state, and compares the new top N with
    /// the logged feedback. Requires a run logged with `--log-candidates`; streams session by session.
    public static func rerank(reader: EpisodeLogReader, run: RunInfo, world: World, policy: any FusionPolicy) throws -> [RerankTask] {
        let m = run.metadata
        let t = m.taskNames.count, n = m.slateSize
        var engaged = [Int](repeating: 0, count: t), kept = [Int](repeating: 0, count: t)
        var ndcgSum = [Double](repeating: 0, count: t), ndcgCount = [Int](repeating: 0, count: t)
        var output = PolicyOutput(batch: 1, actionDimension: world.actionSpace.dimension)
        let discount = (0..<n).map { 1 / Elementary.log(Double($0) + 2) * Elementary.log(2.0) }
        try reader.sessions(run: run.id).forEach { headers in
            for header in headers {
                guard let session = try reader.session(run: run.id, episode: header.episode, sessionIndex: header.sessionIndex) else { continue }
                var stream = RandomStream(seed: m.seed, keys: streamKey("rerank"), UInt64(session.episode), UInt64(session.sessionIndex))
                for step in session.steps {
                    guard let candidates = step.candidates else { continue }
                    let state = Matrix(rows: 1, columns: step.state.count, elements: step.state)
                    withUnsafeMutablePointer(to: &stream) { policy.act(states: state, streams: $0, into: &output) }
                    let k = candidates.items.count
                    var scores = [Float](repeating: 0, count: k)
                    var top = [Int32](repeating: 0, count: n)
                    candidates.predictions.withUnsafeBufferPointer { p in
                        output.actions.withUnsafeBufferPointer { a in
                            scores.withUnsafeMutableBufferPointer { s in
                                world.fusion.score(predictions: p.baseAddress!, count: k, action: a.baseAddress!, into: s.baseAddress!)
                                top.withUnsafeMutableBufferPointer { Fusion.topIndices(scores: s.baseAddress!, count: k, n: n, into: $0.baseAddress!) }
                            }
                        }
                    }
                    let newItems = top.map { candidates.items[Int($0)] }
                    for task in 0..<t {
                        let positives = Set(step.impressions.filter { $0.tasks & (1 << UInt32(task)) != 0 }.map(\.item))
                        guard !positives.isEmpty else { continue }
                        engaged[task] += positives.count
                        kept[task] += newItems.filter { positives.contains($0) }.count
                        var dcg = 0.0
                        for (position, item) in newItems.enumerated() where positives.contains(item) { dcg += discount[position] }
                        let ideal = (0..<min(positives.count, n)).reduce(0.0) { $0 + discount[$1] }
                        ndcgSum[task] += dcg / ideal
                        ndcgCount[task] += 1
                    }
                }
            }
        }
        return (0..<t).map { k in
            RerankTask(task: m.taskNames[k], engaged: engaged[k],
                       keptShare: engaged[k] > 0 ? Double(kept[k]) / Double(engaged[k]) : .nan,
                       ndcg: ndcgCount[k] > 0 ? ndcgSum[k] / Double(ndcgCount[k]) : .nan)
        }
    }

    /// Paired differences (new policy − logged policy) per episode, with 95% t-intervals over episodes.
    public struct Resimulation: Sendable, Codable {
        public var episodes: Int
        public var rewardPerSession: SimulationSummary.Estimate
        public var requestsPerSession: SimulationSummary.Estimate
        public var returnGapHours: SimulationSummary.Estimate
        public var sessionsPerEpisode: SimulationSummary.Estimate
    }

    /// Re-runs the logged run's users from the same starting state, with the same random streams, under `policy`
    /// (common random numbers) and the logged ranker, and pairs every episode that is complete in both runs with its logged counterpart.
    public static func resimulate(reader: EpisodeLogReader, run: RunInfo, world: World, policy: any FusionPolicy,
                                  threads: Int) throws -> Resimulation {
        var logged: [Int: [LoggedSession]] = [:]
        try reader.sessions(run: run.id).forEach { batch in
            for s in batch { logged[s.episode, default: []].append(s) }
        }
        let ranker = try SimulationRanker.make(run.metadata.rankerName, world: world)
        let output = Simulation(world: world, ranker: ranker, policy: policy, seed: run.metadata.seed)
            .run(.init(sessions: run.metadata.requestedSessions, threads: threads, lanes: run.metadata.lanes,
                       randomExposure: run.metadata.randomExposure, episodes: SimulationRun.episodes(of: run.metadata)))
        var fresh: [Int: [SessionRecord]] = [:]
        for s in output.sessions { fresh[s.episode, default: []].append(s) }
        var reward: [Double] = [], depth: [Double] = [], gap: [Double] = [], count: [Double] = []
        for episode in logged.keys.sorted() {
            // Complete episodes only (ended by churn or at the horizon in both runs), so totals compare like with like.
            guard let a = logged[episode], let b = fresh[episode], let lastA = a.max(by: { $0.sessionIndex < $1.sessionIndex }),
                  let lastB = b.max(by: { $0.sessionIndex < $1.sessionIndex }), lastA.end != .returned, lastB.end != .returned
            else { continue }
            func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
            reward.append(mean(b.map(\.reward)) - mean(a.map(\.reward)))
            depth.append(mean(b.map { Double($0.requests) }) - mean(a.map { Double($0.requests) }))
            let gapsA = a.compactMap(\.returnGapMinutes), gapsB = b.compactMap(\.returnGapMinutes)
            if !gapsA.isEmpty && !gapsB.isEmpty { gap.append((mean(gapsB) - mean(gapsA)) / 60) }
            count.append(Double(b.count - a.count))
        }
        func estimate(_ values: [Double]) -> SimulationSummary.Estimate {
            guard values.count > 1 else { return .init(mean: values.first ?? .nan, lower: .nan, upper: .nan) }
            let ci = tInterval(values: values)
            return .init(mean: ci.estimate, lower: ci.lower, upper: ci.upper)
        }
        return Resimulation(episodes: reward.count, rewardPerSession: estimate(reward), requestsPerSession: estimate(depth),
                            returnGapHours: estimate(gap), sessionsPerEpisode: estimate(count))
    }
}
