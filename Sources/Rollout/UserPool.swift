import Simulator

/// The users a run's episodes are drawn from: episode `e` is user `first + e mod count`.
///
/// Learned policies are trained on `training` users and evaluated on `heldOut` users, whom training never
/// saw (docs/design.md, "Evaluation protocol": held-out users). Users are independent draws, so the last fifth of
/// the ids is a random fifth of the population.
public enum UserPool: String, Sendable, CaseIterable, Codable {
    case all
    /// The first 80% of user ids.
    case training
    /// The last 20% of user ids (at least one user).
    case heldOut = "held-out"

    /// The user ids of the pool in a population of `count` users.
    public func users(population count: Int) -> Range<Int> {
        let split = min(max(Int((Double(count) * 0.8).rounded(.down)), 1), max(count - 1, 1))
        switch self {
        case .all: return 0..<count
        case .training: return 0..<(count > 1 ? split : count)
        case .heldOut: return (count > 1 ? split : 0)..<count
        }
    }

    /// The user of episode `episode`.
    @inline(__always)
    public func user(episode: Int, population count: Int) -> Int {
        let range = users(population: count)
        return range.lowerBound + episode % range.count
    }
}
