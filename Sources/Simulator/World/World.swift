/// A simulated world built from an environment: catalog, users, the response model, the dynamics of a session
/// (user state, leaving, returning, reward), and the fusion MDP's action space and observation layout.
public struct World: Sendable {
    public let config: EnvironmentConfig
    /// Seed of the world's generation (catalog and users).
    public let seed: UInt64
    public let catalog: Catalog
    public let population: UserPopulation
    public let response: ResponseModel
    public let dynamics: UserDynamics
    public let leave: LeaveModel
    public let returns: ReturnModel
    public let reward: RewardModel
    public let fusion: Fusion
    public let actionSpace: ActionSpace
    public let stateLayout: StateLayout

    /// Builds the world; KuaiRand feature files named in the environment are read here.
    public init(config: EnvironmentConfig, seed: UInt64) throws {
        let videos = try config.kuairand?.videoFeatures.map { try KuaiRandFeatures.videos(path: $0) }
        let users = try config.kuairand?.userFeatures.map { try KuaiRandFeatures.users(path: $0) }
        self.config = config
        self.seed = seed
        catalog = Catalog(config: config.catalog, seed: seed, videos: videos)
        population = UserPopulation(config: config, catalog: catalog, seed: seed, kuairandUsers: users)
        response = ResponseModel(config: config, catalog: catalog, population: population)
        dynamics = UserDynamics(config: config)
        leave = LeaveModel(config: config, population: population)
        returns = ReturnModel(config: config, population: population)
        reward = RewardModel(config: config)
        fusion = Fusion(config: config)
        actionSpace = ActionSpace(config: config)
        stateLayout = StateLayout(taskNames: config.taskNames, activityDegrees: population.degreeCount)
    }
}
