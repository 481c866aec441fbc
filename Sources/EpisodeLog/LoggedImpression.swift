/// One item shown in a slate (a row of `impressions`): what the ranker predicted and how the user responded.
public struct LoggedImpression: Sendable, Equatable {
    /// Slate position, from 0 (top).
    public var position: Int
    /// The item's identifier.
    public var item: Int32
    /// The ranker's prediction per task (length `RunMetadata.taskNames.count`).
    public var predictions: [Float]
    /// Realised tasks: bit `k` is set when the user did task `k` (e.g. click, like, follow).
    public var tasks: UInt32
    /// Whether the user examined (scrolled to) the item.
    public var examined: Bool
    /// Seconds the user watched the item.
    public var watchSeconds: Float
    /// The world's true probability per task that the examined item gets the task (schema v2; `nil` in v1 logs
    /// and in logs not written by the simulator). Ground truth for evaluation (the ranker-AUC ceiling, OPE
    /// checks): models must never read it as a feature.
    public var trueProbabilities: [Float]?
    /// Whether the item was put in its slot at random from the candidate set rather than by the fused ranking
    /// (schema v2; `RunMetadata.randomExposure`): the unbiased traffic rankers need (as KuaiRand's random
    /// exposures).
    public var randomExposure: Bool

    public init(position: Int, item: Int32, predictions: [Float], tasks: UInt32, examined: Bool, watchSeconds: Float,
                trueProbabilities: [Float]? = nil, randomExposure: Bool = false) {
        self.position = position
        self.item = item
        self.predictions = predictions
        self.tasks = tasks
        self.examined = examined
        self.watchSeconds = watchSeconds
        self.trueProbabilities = trueProbabilities
        self.randomExposure = randomExposure
    }
}
