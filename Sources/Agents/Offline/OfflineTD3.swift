import Numerics

/// TD3 (Fujimoto et al. 2018, Algorithm 1) trained offline on a fixed dataset, with no constraint that keeps its
/// actor near the logged actions: the reference that batch-constrained learners (BCQ, TD3+BC, IQL, CQL) exist for.
///
/// Off-policy TD learning from a fixed batch bootstraps from actions the data never tried; their Q-values are never
/// corrected, and the actor climbs towards them (extrapolation error, Fujimoto et al. 2019, §3.1). Its mean Q on
/// logged states is therefore expected to exceed the true return. Same networks, targets and defaults as the online
/// `TD3Agent`.
public struct OfflineTD3: OfflineLearner {
    public static let name = "td3"
    public let configuration: TD3Configuration
    public let dataset: OfflineDataset
    var core: DeterministicActorCritic

    public init(dataset: OfflineDataset, configuration: TD3Configuration = TD3Configuration(), seed: UInt64)
        throws(AgentConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.dataset = dataset
        core = DeterministicActorCritic(agentName: OfflineTD3.name, environment: dataset.environment,
                                        settings: configuration.actorCritic, criticCount: 2,
                                        policyNoise: configuration.policyNoise, noiseClip: configuration.noiseClip,
                                        policyDelay: configuration.policyDelay, seed: seed, dataset: dataset)
    }

    public var environment: AgentEnvironment { dataset.environment }
    public var updateCount: Int { core.updateCount }
    public var critics: [Critic] { core.critics }
    public var actor: ActorNetwork { core.actor }

    public mutating func update(steps: Int, stream: inout RandomStream) -> UpdateDiagnostics {
        core.update(steps: steps, stream: &stream)
    }

    public func evaluationPolicy() -> ActorPolicy { core.policy(mode: .deterministic) }
}

