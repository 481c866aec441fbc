import ArgumentParser
import Evaluation
import Ranking
import Rollout

/// `compare --users all|training|held-out`.
extension UserPool: ExpressibleByArgument {}

/// `train-ranker --arch mmoe|ple|shared-bottom|esmm`.
extension RankerArchitecture.Kind: ExpressibleByArgument {}

/// `evaluate-ranker --split test|validation|train|all`.
extension RankerLogSource.Users: ExpressibleByArgument {}

/// `evaluate --kernel gaussian|epanechnikov`.
extension KernelSmoothing.Kernel: ExpressibleByArgument {}

/// `evaluate --interval t|bootstrap|bernstein`.
extension OffPolicyEvaluation.IntervalKind: ExpressibleByArgument {}

/// `replay --session EPISODE:SESSION`: a logged session's episode and its index within the episode.
struct SessionAddress: ExpressibleByArgument, Equatable, Sendable {
    let episode: Int
    let session: Int

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let episode = Int(parts[0]), let session = Int(parts[1]), episode >= 0, session >= 0 else {
            return nil
        }
        self.episode = episode
        self.session = session
    }
}
