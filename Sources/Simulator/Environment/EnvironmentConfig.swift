/// A simulated feed environment, decoded from a YAML file in `environments/`.
///
/// Every section has documented defaults, so a file states only what differs; every field is
/// validated (`validate()`), and an unknown field is an error rather than silently ignored.
public struct EnvironmentConfig: Sendable, Equatable {
    /// Human-readable name (`short-video`, `ecommerce`, `tiny`).
    public var name: String = "unnamed"
    /// What the environment models; decides the reward's vocabulary and the report labels.
    public var domain: Domain = .shortVideo
    public var catalog = CatalogConfig()
    public var users = UserConfig()
    public var retrieval = RetrievalConfig()
    public var slate = SlateConfig()
    /// The feedback tasks in ranker order; the first is the engagement root (click or play).
    public var tasks: [TaskConfig] = TaskConfig.shortVideoDefaults
    public var watch = WatchConfig()
    public var dynamics = DynamicsConfig()
    public var leave = LeaveConfig()
    public var returnModel = ReturnConfig()
    public var episode = EpisodeConfig()
    public var ranker = RankerConfig()
    public var fusion = FusionConfig()
    public var reward = RewardConfig()
    public var policies = PoliciesConfig()
    public var calibration: CalibrationTargets? = nil
    /// Optional real KuaiRand-Pure feature files for the catalog and user attributes.
    public var kuairand: KuaiRandConfig? = nil

    public init() {}

    public enum Domain: String, Sendable, Equatable, Decodable, CaseIterable {
        case shortVideo = "short-video"
        case ecommerce
    }

    /// Task names in ranker order.
    public var taskNames: [String] { tasks.map(\.name) }

    /// Index of the task called `name`, if any.
    public func taskIndex(_ name: String) -> Int? { tasks.firstIndex { $0.name == name } }
}

/// The item catalog: latent topics, durations, quality, click appeal and heavy-tailed popularity.
public struct CatalogConfig: Sendable, Equatable {
    public var items = 10_000
    public var categories = 40
    /// Zipf exponent of category sizes (0 = equal sizes).
    public var categorySkew = 0.8
    /// Dimension of the latent topic embedding shared by items and user interests.
    public var embeddingDimension = 16
    /// Standard deviation of an item's embedding around its category centre (before normalisation).
    public var topicSpread = 0.45
    public var creators = 2_000
    /// Zipf exponent of how many items each creator uploads.
    public var creatorSkew = 1.0
    public var durationSeconds = LogNormalConfig(median: 60, logSigma: 0.9, minimum: 5, maximum: 600)
    /// Correlation between latent quality and click appeal (negative: click-bait tends to be poor).
    public var qualityAppealCorrelation = -0.3
    /// log popularity = logSigma·ε + quality·q + appeal·a (heavy-tailed, drives the popular pool).
    public var popularity = PopularityConfig()
    /// Item price for the e-commerce domain (ignored by short video).
    public var price = LogNormalConfig(median: 20, logSigma: 1.0, minimum: 1, maximum: 2_000)
    public init() {}
}

/// A log-normal distribution, clipped to `[minimum, maximum]`.
public struct LogNormalConfig: Sendable, Equatable {
    public var median: Double
    public var logSigma: Double
    public var minimum: Double
    public var maximum: Double
    public init(median: Double, logSigma: Double, minimum: Double, maximum: Double) {
        self.median = median
        self.logSigma = logSigma
        self.minimum = minimum
        self.maximum = maximum
    }

    /// The standard log-normal on [1, 2] (decoding fills the required fields).
    public init() { self.init(median: 1, logSigma: 1, minimum: 1, maximum: 2) }
}

public struct PopularityConfig: Sendable, Equatable {
    public var logSigma = 1.2
    public var quality = 0.4
    public var appeal = 0.6
    public init() {}
}

/// The user population: interests, activity and per-user offsets.
public struct UserConfig: Sendable, Equatable {
    public var count = 5_000
    /// Favourite categories per user (drawn by category size); interests mix their centres.
    public var favoriteCategories = 3
    /// Standard deviation of the interest vector around the mix of favourite centres.
    public var interestSpread = 0.35
    /// Standard deviation of log activity (drives return gaps and the observed activity degree).
    public var activitySpread = 0.5
    /// Shares of the observed activity degrees, most active first (KuaiRand-Pure: full, high, middle, other).
    public var activityDegreeShares: [Double] = [0.658, 0.226, 0.078, 0.038]
    /// Log-normal spread of per-user boredom sensitivity (median 1).
    public var boredomSensitivitySpread = 0.4
    public init() {}
}

/// Candidate retrieval: K candidates from interest-matched, popular and random pools.
public struct RetrievalConfig: Sendable, Equatable {
    public var candidates = 200
    public var interestShare = 0.6
    public var popularShare = 0.25
    /// Temperature of the softmax over category affinities that picks interest-matched categories.
    public var interestTemperature = 0.25
    public init() {}
}

/// The slate shown per request and its position (examination) effect.
public struct SlateConfig: Sendable, Equatable {
    public var size = 6
    /// Probability of examining position j is `examinationDecay^j` (position 0 always examined).
    public var examinationDecay = 0.97
    public init() {}
}

/// One feedback task. The first task of an environment is the engagement root (click / play);
/// the others are conditional on a parent task (a cascade), so every task's probability is exact.
public struct TaskConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, Decodable, CaseIterable {
        /// Root of the cascade: the user clicks / plays an examined item.
        case engagement
        /// Realised when the watch time reaches `min(thresholdSeconds, completionFraction · duration)`.
        case watchThreshold = "watch-threshold"
        /// Realised with probability σ(logit) once the parent happened (and `unless` did not).
        case conditional
    }

    public var name: String
    public var kind: Kind = .conditional
    /// The task this one is conditional on (required except for the engagement root).
    public var given: String? = nil
    /// A sibling task with the same parent whose realisation excludes this one (hate ⇒ not a long view).
    public var unless: String? = nil
    /// Conditional logit: intercept + userOffset + affinity·⟨u,e⟩ + quality·q + appeal·a + likeability·l + boredom·b + fatigue·F.
    public var intercept = 0.0
    /// Standard deviation of the per-user logit offset (large = heavy-tailed per-user rates).
    public var userSpread = 0.0
    public var affinity = 0.0
    public var quality = 0.0
    public var appeal = 0.0
    /// Coefficient of the item's latent likeability (interactions that do not follow watch time).
    public var likeability = 0.0
    public var boredom = 0.0
    public var fatigue = 0.0
    /// Watch-threshold tasks: seconds of watch time that count (KuaiRand's long view).
    public var thresholdSeconds = 18.0
    /// Watch-threshold tasks: for items shorter than the threshold, the fraction watched that counts.
    public var completionFraction = 0.9

    public init(name: String, kind: Kind = .conditional) {
        self.name = name
        self.kind = kind
    }

    /// An unnamed conditional task (decoding fills the required name).
    public init() { self.init(name: "") }

    /// The seven KuaiRand behaviours.
    public static let shortVideoDefaults: [TaskConfig] = {
        var click = TaskConfig(name: "click", kind: .engagement)
        click.intercept = 0.2
        click.affinity = 2.0
        click.appeal = 0.8
        click.quality = 0.2
        click.userSpread = 0.5
        click.boredom = -0.5
        click.fatigue = -0.3
        var longView = TaskConfig(name: "longView", kind: .watchThreshold)
        longView.given = "click"
        func interaction(_ name: String, _ intercept: Double, spread: Double) -> TaskConfig {
            var t = TaskConfig(name: name)
            t.given = "longView"
            t.intercept = intercept
            t.userSpread = spread
            t.affinity = 1.0
            t.quality = 0.6
            return t
        }
        var hate = TaskConfig(name: "hate")
        hate.given = "click"
        hate.unless = "longView"
        hate.intercept = -6
        hate.userSpread = 1.0
        hate.affinity = -1.5
        hate.quality = -0.8
        hate.appeal = 0.5
        return [click, longView,
                interaction("like", -3.6, spread: 1.2),
                interaction("follow", -7.0, spread: 1.2),
                interaction("comment", -5.5, spread: 1.5),
                interaction("share", -6.8, spread: 1.2),
                hate]
    }()
}

/// Watch fraction of a played item: f = σ(m + scale·L), L standard logistic, with
/// m = intercept + userOffset + affinity·⟨u,e⟩ + quality·q + appeal·a + durationLog·log(duration/60 s) + boredom·b.
public struct WatchConfig: Sendable, Equatable {
    public var intercept = 0.3
    public var scale = 0.8
    public var userSpread = 0.3
    public var affinity = 1.5
    public var quality = 0.8
    public var appeal = -0.6
    public var durationLog = -0.4
    public var boredom = -0.3
    public init() {}
}

/// In-session dynamics: satisfaction, fatigue, boredom from repetition, interest drift.
public struct DynamicsConfig: Sendable, Equatable {
    /// Satisfaction S ← decay·S + (1 − decay)·(mean item satisfaction of the request).
    public var satisfactionDecay = 0.7
    /// Item satisfaction of a play: perPlay + watchFraction·(f − 0.5) + quality·q
    /// + (appeal − appealFatigue·F)·a + Σ task values. Catchy items please fresh users and annoy tired ones.
    public var satisfactionPerPlay = 0.2
    public var satisfactionWatchFraction = 1.0
    public var satisfactionQuality = 0.3
    public var satisfactionAppeal = 0.0
    public var satisfactionAppealFatigue = 0.0
    /// Item satisfaction of an examined item that was not played.
    public var satisfactionSkip = -0.05
    /// Satisfaction value of each realised task (by name), e.g. like +0.5, hate −3.
    public var satisfactionTaskValues: [String: Double] = ["like": 0.5, "follow": 0.5, "comment": 0.3, "share": 0.5, "hate": -3]
    /// Fatigue added per examined impression, per play, per minute watched, and per unit of click-bait
    /// (appeal − quality)⁺ of a play.
    public var fatiguePerImpression = 0.02
    public var fatiguePerPlay = 0.04
    public var fatiguePerWatchMinute = 0.0
    public var fatigueClickbait = 0.08
    /// Boredom of a category: +1 per play in it, × boredomDecay per request; between sessions it halves every boredomHalfLifeHours.
    public var boredomDecay = 0.9
    public var boredomHalfLifeHours = 6.0
    /// Interest drift toward consumed items: u ← normalise(u + driftRate·f·(e − u)).
    public var interestDriftRate = 0.01
    /// Seconds an examined item takes before it is played or skipped (adds to the session's duration).
    public var browseSecondsPerImpression = 1.5
    public init() {}
}

/// Leave hazard after the t-th request (t = 1, 2, …):
/// h = σ(intercept + userOffset + fatigue·F − satisfaction·S + depth·t − engagement·(plays/N − engagementReference)·e^{−(t−1)/hookRequests}).
///
/// The engagement ("hook") term fades over the first requests: at a session's start users leave unless
/// something catches their eye; once immersed, satisfaction and fatigue drive the hazard.
public struct LeaveConfig: Sendable, Equatable {
    public var intercept = -2.6
    public var userSpread = 0.4
    public var fatigue = 1.0
    public var satisfaction = 1.5
    public var depth = 0.01
    public var engagement = 0.5
    /// Play rate of a request at which the engagement term is zero.
    public var engagementReference = 0.0
    /// Requests over which the engagement term fades by a factor e (∞ keeps it constant).
    public var hookRequests = Double.infinity
    public init() {}
}

/// Return after a session: with probability σ(churnIntercept − churnSatisfaction·S̄) the user does not come
/// back; otherwise the gap is minimumGapMinutes + exp(log(medianExtraMinutes) − activity − satisfaction·(S̄ − reference) + logSigma·ε).
///
/// S̄ = (1 − endWeight)·(mean in-session satisfaction) + endWeight·(satisfaction at the session's end): with
/// endWeight > 0, users judge a session partly by how it ended (the peak-end rule; Kahneman et al., 1993).
public struct ReturnConfig: Sendable, Equatable {
    public var minimumGapMinutes = 30.0
    public var medianExtraMinutes = 90.0
    public var logSigma = 1.5
    public var satisfaction = 1.0
    public var satisfactionReference = 0.3
    public var endWeight = 0.0
    public var churnIntercept = -6.0
    public var churnSatisfaction = 2.0
    public init() {}
}

/// One episode is one user's sessions over `horizonDays` (a multi-day, multi-session episode).
public struct EpisodeConfig: Sendable, Equatable {
    public var horizonDays = 7.0
    /// Safety cap on requests per session (a truncation, recorded as such).
    public var maxRequestsPerSession = 200
    public init() {}
}

/// The simulation ranker.
public struct RankerConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, Decodable, CaseIterable {
        /// True per-task probabilities with logit-space Gaussian noise.
        case oracleNoise = "oracle-noise"
    }
    public var kind: Kind = .oracleNoise
    /// Standard deviation of the logit-space noise per task (by name); missing tasks use `defaultNoise`.
    public var noise: [String: Double] = [:]
    public var defaultNoise = 1.0
    public init() {}
}

/// How predictions are fused into one ranking score, and the action box.
public struct FusionConfig: Sendable, Equatable {
    public enum Form: String, Sendable, Equatable, Decodable, CaseIterable {
        /// score = Σ w_k·o_k
        case weightedSum = "weighted-sum"
        /// score = Σ w_k·log(o_k + β_k)  (BatchRL-MTF, Zhang et al. KDD 2022, eq. 1; ≡ Π (o_k + β_k)^{w_k})
        case logSum = "log-sum"
        /// score = Π (o_k + b_k)^{w_k} with the biases b in the action (UnifiedRL, 2024)
        case powerProduct = "power-product"
    }
    public var form: Form = .weightedSum
    /// Weight bounds per task (by name); missing tasks use `defaultWeightBounds`.
    public var weightBounds: [String: Bounds] = [:]
    public var defaultWeightBounds = Bounds(low: 0, high: 1)
    /// β_k of the log-sum form (by name); missing tasks use `defaultBeta`.
    public var beta: [String: Double] = [:]
    public var defaultBeta = 0.01
    /// Bounds of the biases b_k of the power-product form.
    public var biasBounds = Bounds(low: 0.001, high: 1)
    public init() {}
}

/// A closed interval `[low, high]`.
public struct Bounds: Sendable, Equatable {
    public var low: Double
    public var high: Double
    public init(low: Double, high: Double) {
        self.low = low
        self.high = high
    }

    /// [0, 1] (decoding fills the required fields).
    public init() { self.init(low: 0, high: 1) }
}

/// Reward per request: watchMinutes·Σ watch minutes + Σ_k taskValues[k]·count_k, plus at a session's end
/// `returnWeight·exp(−gapHours / returnScaleHours)` (0 when the user does not come back).
public struct RewardConfig: Sendable, Equatable {
    public var watchMinutes = 1.0
    public var taskValues: [String: Double] = ["like": 1, "follow": 2, "comment": 1, "share": 2, "hate": -5]
    /// Value per unit of item price of each realisation of `gmvTask` (e-commerce: GMV of purchases).
    public var gmv = 0.0
    public var gmvTask: String? = nil
    public var returnWeight = 0.0
    public var returnScaleHours = 6.0
    /// Discount factor γ per request for returns and critics.
    public var discount = 0.95
    public init() {}
}

/// Default policies of the environment: the baseline (logging-like) weights and exploration settings.
public struct PoliciesConfig: Sendable, Equatable {
    /// Baseline fusion weights by task name (missing tasks: the middle of their bounds).
    public var baseline: [String: Double] = [:]
    /// Standard deviation of Gaussian exploration, in normalised action units ([-1, 1]).
    public var explorationSigma = 0.1
    /// Half-width of the uniform exploration box around the baseline, in normalised units (BatchRL-MTF: 0.15).
    public var boxHalfWidth = 0.15
    public init() {}
}

/// Paths of KuaiRand-Pure feature files (`video_features_basic_pure.csv`, `user_features_pure.csv`); a relative
/// path is looked up next to the environment file first, then in the working directory.
public struct KuaiRandConfig: Sendable, Equatable {
    public var videoFeatures: String? = nil
    public var userFeatures: String? = nil
    public init() {}
}
