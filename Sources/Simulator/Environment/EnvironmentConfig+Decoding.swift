/// Strict decoding of environment files: every section lists its fields once; a field missing from the file keeps
/// its default, a required one must be present, and a field the section does not know is an error (a typo must not
/// be silently ignored).

extension EnvironmentConfig: StrictConfig {
    public static let fields: [ConfigField<EnvironmentConfig>] = [
        .field("name", \.name),
        .field("domain", \.domain),
        .field("catalog", \.catalog),
        .field("users", \.users),
        .field("retrieval", \.retrieval),
        .field("slate", \.slate),
        .field("tasks", \.tasks),
        .field("watch", \.watch),
        .field("dynamics", \.dynamics),
        .field("leave", \.leave),
        .field("return", \.returnModel),
        .field("episode", \.episode),
        .field("ranker", \.ranker),
        .field("fusion", \.fusion),
        .field("reward", \.reward),
        .field("policies", \.policies),
        .field("calibration", \.calibration),
        .field("kuairand", \.kuairand),
    ]
}

extension CatalogConfig: StrictConfig {
    public static let fields: [ConfigField<CatalogConfig>] = [
        .field("items", \.items),
        .field("categories", \.categories),
        .field("categorySkew", \.categorySkew),
        .field("embeddingDimension", \.embeddingDimension),
        .field("topicSpread", \.topicSpread),
        .field("creators", \.creators),
        .field("creatorSkew", \.creatorSkew),
        .field("durationSeconds", \.durationSeconds),
        .field("qualityAppealCorrelation", \.qualityAppealCorrelation),
        .field("popularity", \.popularity),
        .field("price", \.price),
    ]
}

extension LogNormalConfig: StrictConfig {
    public static let fields: [ConfigField<LogNormalConfig>] = [
        .required("median", \.median),
        .required("logSigma", \.logSigma),
        .required("minimum", \.minimum),
        .required("maximum", \.maximum),
    ]
}

extension PopularityConfig: StrictConfig {
    public static let fields: [ConfigField<PopularityConfig>] = [
        .field("logSigma", \.logSigma),
        .field("quality", \.quality),
        .field("appeal", \.appeal),
    ]
}

extension UserConfig: StrictConfig {
    public static let fields: [ConfigField<UserConfig>] = [
        .field("count", \.count),
        .field("favoriteCategories", \.favoriteCategories),
        .field("interestSpread", \.interestSpread),
        .field("activitySpread", \.activitySpread),
        .field("activityDegreeShares", \.activityDegreeShares),
        .field("boredomSensitivitySpread", \.boredomSensitivitySpread),
    ]
}

extension RetrievalConfig: StrictConfig {
    public static let fields: [ConfigField<RetrievalConfig>] = [
        .field("candidates", \.candidates),
        .field("interestShare", \.interestShare),
        .field("popularShare", \.popularShare),
        .field("interestTemperature", \.interestTemperature),
    ]
}

extension SlateConfig: StrictConfig {
    public static let fields: [ConfigField<SlateConfig>] = [
        .field("size", \.size),
        .field("examinationDecay", \.examinationDecay),
    ]
}

extension TaskConfig: StrictConfig {
    public static let fields: [ConfigField<TaskConfig>] = [
        .required("name", \.name),
        .field("kind", \.kind),
        .field("given", \.given),
        .field("unless", \.unless),
        .field("intercept", \.intercept),
        .field("userSpread", \.userSpread),
        .field("affinity", \.affinity),
        .field("quality", \.quality),
        .field("appeal", \.appeal),
        .field("likeability", \.likeability),
        .field("boredom", \.boredom),
        .field("fatigue", \.fatigue),
        .field("thresholdSeconds", \.thresholdSeconds),
        .field("completionFraction", \.completionFraction),
    ]
}

extension WatchConfig: StrictConfig {
    public static let fields: [ConfigField<WatchConfig>] = [
        .field("intercept", \.intercept),
        .field("scale", \.scale),
        .field("userSpread", \.userSpread),
        .field("affinity", \.affinity),
        .field("quality", \.quality),
        .field("appeal", \.appeal),
        .field("durationLog", \.durationLog),
        .field("boredom", \.boredom),
    ]
}

extension DynamicsConfig: StrictConfig {
    public static let fields: [ConfigField<DynamicsConfig>] = [
        .field("satisfactionDecay", \.satisfactionDecay),
        .field("satisfactionPerPlay", \.satisfactionPerPlay),
        .field("satisfactionWatchFraction", \.satisfactionWatchFraction),
        .field("satisfactionQuality", \.satisfactionQuality),
        .field("satisfactionAppeal", \.satisfactionAppeal),
        .field("satisfactionAppealFatigue", \.satisfactionAppealFatigue),
        .field("satisfactionSkip", \.satisfactionSkip),
        .field("satisfactionTaskValues", \.satisfactionTaskValues),
        .field("fatiguePerImpression", \.fatiguePerImpression),
        .field("fatiguePerPlay", \.fatiguePerPlay),
        .field("fatiguePerWatchMinute", \.fatiguePerWatchMinute),
        .field("fatigueClickbait", \.fatigueClickbait),
        .field("boredomDecay", \.boredomDecay),
        .field("boredomHalfLifeHours", \.boredomHalfLifeHours),
        .field("interestDriftRate", \.interestDriftRate),
        .field("browseSecondsPerImpression", \.browseSecondsPerImpression),
    ]
}

extension LeaveConfig: StrictConfig {
    public static let fields: [ConfigField<LeaveConfig>] = [
        .field("intercept", \.intercept),
        .field("userSpread", \.userSpread),
        .field("fatigue", \.fatigue),
        .field("satisfaction", \.satisfaction),
        .field("depth", \.depth),
        .field("engagement", \.engagement),
        .field("engagementReference", \.engagementReference),
        .field("hookRequests", \.hookRequests),
    ]
}

extension ReturnConfig: StrictConfig {
    public static let fields: [ConfigField<ReturnConfig>] = [
        .field("minimumGapMinutes", \.minimumGapMinutes),
        .field("medianExtraMinutes", \.medianExtraMinutes),
        .field("logSigma", \.logSigma),
        .field("satisfaction", \.satisfaction),
        .field("satisfactionReference", \.satisfactionReference),
        .field("endWeight", \.endWeight),
        .field("churnIntercept", \.churnIntercept),
        .field("churnSatisfaction", \.churnSatisfaction),
    ]
}

extension EpisodeConfig: StrictConfig {
    public static let fields: [ConfigField<EpisodeConfig>] = [
        .field("horizonDays", \.horizonDays),
        .field("maxRequestsPerSession", \.maxRequestsPerSession),
    ]
}

extension RankerConfig: StrictConfig {
    public static let fields: [ConfigField<RankerConfig>] = [
        .field("kind", \.kind),
        .field("noise", \.noise),
        .field("defaultNoise", \.defaultNoise),
    ]
}

extension FusionConfig: StrictConfig {
    public static let fields: [ConfigField<FusionConfig>] = [
        .field("form", \.form),
        .field("weightBounds", \.weightBounds),
        .field("defaultWeightBounds", \.defaultWeightBounds),
        .field("beta", \.beta),
        .field("defaultBeta", \.defaultBeta),
        .field("biasBounds", \.biasBounds),
    ]
}

extension RewardConfig: StrictConfig {
    public static let fields: [ConfigField<RewardConfig>] = [
        .field("watchMinutes", \.watchMinutes),
        .field("taskValues", \.taskValues),
        .field("gmv", \.gmv),
        .field("gmvTask", \.gmvTask),
        .field("returnWeight", \.returnWeight),
        .field("returnScaleHours", \.returnScaleHours),
        .field("discount", \.discount),
    ]
}

extension PoliciesConfig: StrictConfig {
    public static let fields: [ConfigField<PoliciesConfig>] = [
        .field("baseline", \.baseline),
        .field("explorationSigma", \.explorationSigma),
        .field("boxHalfWidth", \.boxHalfWidth),
    ]
}

extension KuaiRandConfig: StrictConfig {
    public static let fields: [ConfigField<KuaiRandConfig>] = [
        .field("videoFeatures", \.videoFeatures),
        .field("userFeatures", \.userFeatures),
    ]
}

extension CalibrationTargets: StrictConfig {
    public static let fields: [ConfigField<CalibrationTargets>] = [
        .field("source", \.source),
        .field("targets", \.targets),
    ]
}

extension CalibrationTarget: StrictConfig {
    public static let fields: [ConfigField<CalibrationTarget>] = [
        .required("metric", \.metric),
        .field("task", \.task),
        .required("value", \.value),
        .required("tolerance", \.tolerance),
        .field("source", \.source),
    ]
}

extension Bounds: StrictConfig {
    public static let fields: [ConfigField<Bounds>] = [
        .required("low", \.low),
        .required("high", \.high),
    ]
}
