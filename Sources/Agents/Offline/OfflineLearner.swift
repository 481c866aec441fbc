import Numerics

/// A learner trained on a fixed dataset of logged transitions (batch RL; Levine et al. 2020): it never acts in the
/// environment while it learns, and every mini-batch comes from `dataset`.
public protocol OfflineLearner: Learner {
    /// A fresh learner on `dataset`, its weights drawn from `seed`.
    init(dataset: OfflineDataset, configuration: Configuration, seed: UInt64) throws(AgentConfigurationError)

    /// The transitions it learns from.
    var dataset: OfflineDataset { get }
}
