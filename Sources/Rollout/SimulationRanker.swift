import Foundation
import Ranking
import Simulator

/// The rankers a simulation can run with, by the name a run's log records (`RunMetadata.rankerName`).
public enum SimulationRanker {
    /// The default: the world's true probabilities through calibrated noise.
    public static let oracleNoise = "oracle-noise"

    /// `oracle-noise`, or the path of a trained ranker checkpoint (`mtfsim train-ranker`) for `world`.
    ///
    /// - Throws: `CheckpointError` for a missing or unreadable file, `RankerCompatibilityError` for a ranker
    ///   trained in another world or on another layout.
    public static func make(_ name: String, world: World) throws -> any Ranker {
        if name == oracleNoise { return OracleNoiseRanker(config: world.config) }
        return try AnyRanker.simulationRanker(contentsOf: URL(fileURLWithPath: name), world: world)
    }
}
