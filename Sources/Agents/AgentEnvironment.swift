import Simulator

/// What an agent knows about the environment it acts in: the names of the state features it
/// observes and the box of fusion parameters it chooses.
///
/// Both are recorded in every policy checkpoint, and a checkpoint loads only into an environment
/// with the same state layout and action box.
public struct AgentEnvironment: Sendable, Equatable {
    /// State feature names, in vector order (`StateLayout.names`).
    public var stateNames: [String]
    /// The raw action box; agents learn in its normalised form [-1, 1]^A.
    public var actionSpace: ActionSpace

    public init(stateNames: [String], actionSpace: ActionSpace) {
        precondition(!stateNames.isEmpty && actionSpace.dimension > 0,
                     "AgentEnvironment: need at least one state feature and one action dimension")
        self.stateNames = stateNames
        self.actionSpace = actionSpace
    }

    /// The state layout and action space of a simulated world.
    public init(world: World) {
        self.init(stateNames: world.stateLayout.names, actionSpace: world.actionSpace)
    }

    /// What a learner sees of `world`: its state features, and its action box restricted to half-width `actionBox`
    /// (normalised units of the world's box) around `around`'s weights, or the baseline when `around` is `nil`, when
    /// `actionBox` < 1 (the residual box). Online (`AgentSettings`) and offline (`OfflineAgentSettings`) settings
    /// both build their learner's environment with it.
    ///
    /// - Throws: the errors of `PolicyResolver.fixedWeights` when `around` does not name fixed weights.
    public init(world: World, actionBox: Float, around: String?) throws {
        let centre = try around.map { try PolicyResolver.fixedWeights($0, world: world) }
        self.init(stateNames: world.stateLayout.names,
                  actionSpace: actionBox < 1 ? world.actionSpace.restricted(toHalfWidth: actionBox, around: centre)
                                             : world.actionSpace)
    }

    public var stateDimension: Int { stateNames.count }
    public var actionDimension: Int { actionSpace.dimension }
}
