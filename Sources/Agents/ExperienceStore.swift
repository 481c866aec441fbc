import EpisodeLog
import Numerics

/// The data side shared by the actor-critic agents: replay buffer, observation and reward
/// statistics, and the preallocated mini-batch, which `sample` fills with normalised states and
/// scaled rewards.
struct ExperienceStore: Sendable {
    var replay: ReplayBuffer
    var normalizer: ObservationNormalizer
    var rewardScaler: RewardScaler
    var batch: ReplayBatch
    let discounting: Discounting
    /// `normalizer.frozen()`, refreshed by `observe` so that sampling allocates nothing.
    private(set) var statistics: NormalizerStatistics
    /// Whether the store holds a fixed offline dataset: sampling then needs no `learningStarts` transitions.
    let isOffline: Bool

    init(environment: AgentEnvironment, configuration c: ActorCriticConfiguration) {
        replay = ReplayBuffer(capacity: c.replayCapacity, stateDimension: environment.stateDimension,
                              actionDimension: environment.actionDimension)
        normalizer = ObservationNormalizer(dimension: environment.stateDimension, clip: c.observationClip,
                                           isEnabled: c.normalizeObservations)
        rewardScaler = RewardScaler(constant: c.rewardScale, normalizeByStandardDeviation: c.normalizeRewards)
        batch = ReplayBatch(size: c.batchSize, stateDimension: environment.stateDimension,
                            actionDimension: environment.actionDimension)
        statistics = normalizer.frozen()
        discounting = c.discounting
        isOffline = false
    }

    /// A store over an offline dataset: its transitions, its state statistics (with the configuration's clip, or the
    /// identity when normalisation is off) and its reward statistics; nothing is copied.
    init(dataset: OfflineDataset, configuration c: ActorCriticConfiguration) {
        precondition(!c.discounting.needsElapsedTime || dataset.isTimed,
                     "discounting by time (discountHalfLifeHours) needs a dataset whose transitions all have elapsed times")
        replay = dataset.transitions
        normalizer = dataset.observationStatistics
        normalizer.clip = c.observationClip
        normalizer.isEnabled = c.normalizeObservations
        rewardScaler = RewardScaler(constant: c.rewardScale, normalizeByStandardDeviation: c.normalizeRewards,
                                    statistics: dataset.rewardStatistics)
        batch = ReplayBatch(size: c.batchSize, stateDimension: dataset.environment.stateDimension,
                            actionDimension: dataset.environment.actionDimension)
        statistics = normalizer.frozen()
        discounting = c.discounting
        isOffline = true
    }

    mutating func observe(_ transitions: TransitionBatch) {
        precondition(!discounting.needsElapsedTime || transitions.elapsedHours != nil,
                     "discounting by time (discountHalfLifeHours) needs transitions with elapsed times")
        replay.append(transitions)
        normalizer.update(transitions.states)
        rewardScaler.update(transitions.rewards)
        statistics = normalizer.frozen()
    }

    /// Whether a gradient step may run: at least `learningStarts` transitions (and one) stored; any transition for
    /// an offline dataset.
    /// Mini-batches are drawn with replacement, so fewer transitions than a batch suffice.
    func canSample(learningStarts: Int) -> Bool {
        replay.count >= (isOffline ? 1 : max(learningStarts, 1))
    }

    /// Draws a mini-batch, normalises its states with the current statistics, scales its rewards and computes the
    /// bootstrap discounts.
    mutating func sample(stream: inout RandomStream) {
        replay.sample(into: &batch, stream: &stream)
        statistics.apply(to: &batch.states)
        statistics.apply(to: &batch.nextStates)
        rewardScaler.apply(to: &batch.rewards)
        batch.discount(with: discounting)
    }
}
