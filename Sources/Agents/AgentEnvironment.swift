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

    public var stateDimension: Int { stateNames.count }
    public var actionDimension: Int { actionSpace.dimension }
}
