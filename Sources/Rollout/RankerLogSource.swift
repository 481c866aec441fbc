import EpisodeLog
import Foundation
import NeuralNet
import Ranking
import Simulator

/// The impressions of one run of a log, its world and its user split: what rankers are trained and evaluated on.
public struct RankerLogSource: Sendable {
    /// A log that holds nothing to learn from or evaluate on (a run-time failure, not a usage mistake).
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The users a ranker is evaluated on: a part of the split, or every user.
    public enum Users: String, CaseIterable, Sendable, Codable {
        case test, validation, train, all

        /// The split's part, nil for `all`.
        public var part: UserSplit.Part? { UserSplit.Part(rawValue: rawValue) }
    }

    public let path: String
    public let run: RunInfo
    public let world: World
    public let data: ImpressionDataset
    public let split: UserSplit

    /// The examined impressions of run `id` of the log at `path` (default: its last complete run, else its last
    /// run), with users split by `splitSeed`.
    public init(path: String, run id: Int?, splitSeed: UInt64) throws {
        let reader = try EpisodeLogFile.open(path: path)
        defer { try? reader.close() }
        let runs = try reader.runs()
        guard let run = id.map({ id in runs.first { $0.id == id } }) ?? runs.last(where: { $0.status == .complete }) ?? runs.last else {
            throw Failure(description: id.map { "\(path): no run \($0) (runs: \(runs.map { String($0.id) }.joined(separator: ", ")))" }
                                       ?? "\(path): the log holds no runs")
        }
        self.path = path
        self.run = run
        world = try Replay.world(of: run, path: path)
        data = try ImpressionDataset.examinedImpressions(of: reader, run: run.id, world: world)
        guard !data.isEmpty else { throw Failure(description: "\(path) run \(run.id): no examined impressions to learn from") }
        split = UserSplit(seed: splitSeed)
    }

    public func part(_ part: UserSplit.Part) -> ImpressionDataset { split.select(part, from: data) }

    /// The impressions of `users`.
    public func impressions(of users: Users) -> ImpressionDataset { users.part.map(part) ?? data }
}

/// A ranker's per-task evaluation on a log's users (what `train-ranker --json` and `evaluate-ranker --json` print).
public struct RankerEvaluationReport: Codable, Sendable {
    public var ranker: String
    public var architecture: String
    public var log: String
    public var run: Int
    public var split: String
    public var splitSeed: UInt64
    public var impressions: Int
    public var epochs: Int?
    public var bestEpoch: Int?
    public var trainingSeconds: Double?
    public var tasks: [RankerTaskEvaluation]

    /// Evaluates the ranker checkpoint at `rankerPath` on the impressions of `users` in run `run` of the log at
    /// `logPath` (default: its last complete run). The split seed defaults to the one the ranker was trained with
    /// (`training.splitSeed` in its metadata), else 1. Refuses a ranker of another world or feature layout.
    public static func evaluate(rankerPath: String, logPath: String, run: Int?, users: RankerLogSource.Users,
                                splitSeed: UInt64?) throws -> RankerEvaluationReport {
        let url = URL(fileURLWithPath: rankerPath)
        let checkpoint = try Checkpoint(contentsOf: url)
        let seed = splitSeed ?? checkpoint.header.metadata["training.splitSeed"].flatMap(UInt64.init) ?? 1
        let source = try RankerLogSource(path: logPath, run: run, splitSeed: seed)
        _ = try AnyRanker.simulationRanker(contentsOf: url, world: source.world)  // world and layout checks
        var model = try AnyRanker(checkpoint: checkpoint, path: rankerPath)
        let data = source.impressions(of: users)
        guard !data.isEmpty else {
            throw RankerLogSource.Failure(description: "\(logPath): no examined impressions for the \(users.rawValue) users")
        }
        let evaluation = model.evaluate(features: model.features(world: source.world), data: data)
        return RankerEvaluationReport(ranker: rankerPath, architecture: model.architecture, log: logPath, run: source.run.id,
                                      split: users.rawValue, splitSeed: seed, impressions: data.count, epochs: nil,
                                      bestEpoch: nil, trainingSeconds: nil, tasks: evaluation)
    }
}
