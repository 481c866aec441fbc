/// The estimators by name, as `mtfsim evaluate --estimators` takes them: `name` or `name:λ` for the ones with a
/// parameter, with what each needs of the data.
///
/// Per-request (obp 0.5.7; `Estimand.perRequestReward`): ips, snips, clipped-ips[:λ], sg-ips[:λ], dm, dr, sndr,
/// switch-dr[:λ], dr-os[:λ]. Sequential (`discountedReturn`, `rewardPerUserDay`): trajectory-is, pdis, wpdis, and
/// the model-based sequential-dr and wdr, whose Q̂ and V̂ come from plain FQE, and fqe and conservative-fqe, the
/// models' own estimates (`ValueModelEstimate`); mwl, marginalised importance sampling with MWL's occupancy ratio
/// (`MarginalizedImportanceSampling`), by name only. The model-based sequential ones are run by default only when asked
/// for (`defaults(for:withFQE:)`): fitting FQE costs seconds to minutes per target where the others take
/// milliseconds.
///
/// λ defaults, stated because obp's (∞ for clipping and switching, 0 for SG-IPS' shrinkage) would make them copies
/// of IPS and DR: clipped IPS and Switch-DR λ = 100 (weights above 100 are clipped or switched to DM), SG-IPS
/// λ = 0.1, DR-OS λ = 100.
public enum EstimatorCatalog {
    /// What an estimator needs beyond the logged columns.
    public struct Entry: Sendable {
        public var estimator: any Estimator
        /// It weights by π_e/π_b.
        public var needsWeights: Bool
        /// It needs the per-request reward model (q̂, v̂ of the immediate reward).
        public var needsRewardModel: Bool
        /// The `SequentialValueModel` whose Q̂/V̂ of the return it needs, or nil.
        public var valueModel: ValueModelKind?
        /// It needs Q̂/V̂ of the return from a `SequentialValueModel`.
        public var needsValueModel: Bool { valueModel != nil }
        /// It needs the target's occupancy weights (`MinimaxWeightLearning`).
        public var needsOccupancyWeights: Bool

        init(estimator: any Estimator, needsWeights: Bool, needsRewardModel: Bool, valueModel: ValueModelKind? = nil,
             needsOccupancyWeights: Bool = false) {
            self.estimator = estimator
            self.needsWeights = needsWeights
            self.needsRewardModel = needsRewardModel
            self.valueModel = valueModel
            self.needsOccupancyWeights = needsOccupancyWeights
        }
    }

    /// The sequential value models: plain FQE (for fqe, sequential-dr and wdr) and conservative FQE.
    public enum ValueModelKind: String, Sendable, Hashable {
        case fqe
        case conservativeFQE
    }

    /// Every name, in table order, with its default parameter.
    public static let names = ["ips", "snips", "clipped-ips", "sg-ips", "dm", "dr", "sndr", "switch-dr", "dr-os",
                               "trajectory-is", "pdis", "wpdis", "sequential-dr", "wdr", "fqe", "conservative-fqe", "mwl"]

    /// The default λ of the estimators that take one.
    static let defaultLambda: [String: Double] = ["clipped-ips": 100, "sg-ips": 0.1, "switch-dr": 100, "dr-os": 100]

    /// The estimator `text` names (`name` or `name:λ`); refused with one line when unknown or its λ is invalid.
    public static func entry(_ text: String) throws(OffPolicyEvaluationError) -> Entry {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts.first?.lowercased() ?? ""
        var lambda = defaultLambda[name]
        if parts.count == 2 {
            guard lambda != nil else { throw .invalidSetting("estimator \(name) takes no parameter, got \"\(text)\"") }
            guard let value = Double(parts[1]) else { throw .invalidSetting("estimator \(name): λ must be a number, got \"\(parts[1])\"") }
            lambda = value
        }
        do {
            switch name {
            case "ips": return Entry(estimator: InverseProbabilityWeighting(), needsWeights: true, needsRewardModel: false)
            case "snips": return Entry(estimator: SelfNormalizedInverseProbabilityWeighting(), needsWeights: true, needsRewardModel: false)
            case "clipped-ips": return Entry(estimator: try ClippedInverseProbabilityWeighting(lambda: lambda!), needsWeights: true, needsRewardModel: false)
            case "sg-ips": return Entry(estimator: try SubGaussianInverseProbabilityWeighting(lambda: lambda!), needsWeights: true, needsRewardModel: false)
            case "dm": return Entry(estimator: DirectMethod(), needsWeights: false, needsRewardModel: true)
            case "dr": return Entry(estimator: DoublyRobust(), needsWeights: true, needsRewardModel: true)
            case "sndr": return Entry(estimator: SelfNormalizedDoublyRobust(), needsWeights: true, needsRewardModel: true)
            case "switch-dr": return Entry(estimator: try SwitchDoublyRobust(lambda: lambda!), needsWeights: true, needsRewardModel: true)
            case "dr-os": return Entry(estimator: try DoublyRobustWithShrinkage(lambda: lambda!), needsWeights: true, needsRewardModel: true)
            case "trajectory-is": return Entry(estimator: TrajectoryImportanceSampling(), needsWeights: true, needsRewardModel: false)
            case "pdis": return Entry(estimator: PerDecisionImportanceSampling(), needsWeights: true, needsRewardModel: false)
            case "wpdis": return Entry(estimator: WeightedPerDecisionImportanceSampling(), needsWeights: true, needsRewardModel: false)
            case "sequential-dr": return Entry(estimator: PerDecisionDoublyRobust(), needsWeights: true, needsRewardModel: false, valueModel: .fqe)
            case "wdr": return Entry(estimator: WeightedDoublyRobust(), needsWeights: true, needsRewardModel: false, valueModel: .fqe)
            case "fqe": return Entry(estimator: ValueModelEstimate(name: "FQE"), needsWeights: false, needsRewardModel: false, valueModel: .fqe)
            case "conservative-fqe": return Entry(estimator: ValueModelEstimate(name: "conservative FQE"), needsWeights: false, needsRewardModel: false, valueModel: .conservativeFQE)
            case "mwl": return Entry(estimator: MarginalizedImportanceSampling(), needsWeights: false, needsRewardModel: false, needsOccupancyWeights: true)
            default: throw OffPolicyEvaluationError.unknownEstimator(text, known: names)
            }
        } catch let error as OffPolicyEvaluationError {
            throw error
        } catch {
            throw .invalidSetting(String(describing: error))
        }
    }

    /// The estimators run when none is named: every one that estimates `estimand` without a value model, and with
    /// `withFQE` also fqe, sequential-dr and wdr (one plain FQE fit per target). Conservative FQE, a second fit whose
    /// value for a target away from the logged actions keeps falling with the steps, runs only by name.
    public static func defaults(for estimand: Estimand, withFQE: Bool = false) -> [String] {
        names.filter { name in
            guard let entry = try? entry(name), entry.estimator.supportedEstimands.contains(estimand),
                  !entry.needsOccupancyWeights else { return false }
            switch entry.valueModel {
            case nil: return true
            case .fqe?: return withFQE
            case .conservativeFQE?: return false
            }
        }
    }
}
