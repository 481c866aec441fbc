/// What upgrading a log written before schema 3 needs from the world model: the seconds a user spends on each
/// examined impression, which the simulator adds to every request's duration (the environment's
/// `dynamics.browseSecondsPerImpression`). The episode log does not read environment files itself, so the layer
/// that does (`Rollout`) supplies it, from each run's `environment_yaml`.
public struct LegacyStepTiming: Sendable {
    /// The browse seconds per examined impression of the run whose environment file is given.
    public var browseSecondsPerImpression: @Sendable (_ environmentYAML: String) throws -> Double

    public init(browseSecondsPerImpression: @escaping @Sendable (_ environmentYAML: String) throws -> Double) {
        self.browseSecondsPerImpression = browseSecondsPerImpression
    }

    /// Adds one impression's time to its request's `minutes` on the simulator's clock: the browse time when it
    /// was examined, then the watch time when it was played. Two additions in this order, over a request's
    /// impressions in slate order from 0, give exactly the simulator's count (`LoggedStep.elapsedMinutes`).
    @inlinable
    public static func accumulate(_ minutes: inout Double, examined: Bool, played: Bool, watchSeconds: Float,
                                  browseSecondsPerImpression: Double) {
        guard examined else { return }
        minutes += browseSecondsPerImpression / 60
        if played { minutes += Double(watchSeconds) / 60 }
    }
}
