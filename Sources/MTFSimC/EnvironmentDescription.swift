import Foundation
import Rollout
import Simulator

/// What `mtfsim_env_describe` reports about an environment, as JSON (sorted keys).
struct EnvironmentDescription: Encodable {
    var environment: String
    var seed: UInt64
    var ranker: String
    var count: Int
    var threads: Int
    var scope: String
    var population: Int
    var usersLow: Int
    var usersHigh: Int
    var firstEpisode: Int
    var horizonDays: Double
    var maxRequestsPerSession: Int
    var stateNames: [String]
    var actionNames: [String]
    var rewardComponentNames: [String]
    var taskNames: [String]
    var actionLow: [Float]
    var actionHigh: [Float]
    var actionBaseline: [Float]

    init(_ e: VectorEnvironment, rankerName: String, population: Int) {
        let config = e.world.config, space = e.world.actionSpace
        environment = config.name
        seed = e.seed
        ranker = rankerName
        count = e.count
        threads = e.threads
        scope = switch e.scope {
        case .user: "user"
        case .session: "session"
        }
        self.population = population
        usersLow = e.users.lowerBound
        usersHigh = e.users.upperBound
        firstEpisode = e.firstEpisode
        horizonDays = config.episode.horizonDays
        maxRequestsPerSession = config.episode.maxRequestsPerSession
        stateNames = e.world.stateLayout.names
        actionNames = space.names
        rewardComponentNames = e.world.reward.componentNames
        taskNames = config.taskNames
        actionLow = space.low
        actionHigh = space.high
        actionBaseline = space.baseline
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
