// Strict decoding of environment files: unknown fields are errors, missing fields keep their defaults.

extension EnvironmentConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case domain
        case catalog
        case users
        case retrieval
        case slate
        case tasks
        case watch
        case dynamics
        case leave
        case returnModel = "return"
        case episode
        case ranker
        case fusion
        case reward
        case policies
        case calibration
        case kuairand
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        name = try c.value(.name, default: name)
        domain = try c.value(.domain, default: domain)
        catalog = try c.value(.catalog, default: catalog)
        users = try c.value(.users, default: users)
        retrieval = try c.value(.retrieval, default: retrieval)
        slate = try c.value(.slate, default: slate)
        tasks = try c.value(.tasks, default: tasks)
        watch = try c.value(.watch, default: watch)
        dynamics = try c.value(.dynamics, default: dynamics)
        leave = try c.value(.leave, default: leave)
        returnModel = try c.value(.returnModel, default: returnModel)
        episode = try c.value(.episode, default: episode)
        ranker = try c.value(.ranker, default: ranker)
        fusion = try c.value(.fusion, default: fusion)
        reward = try c.value(.reward, default: reward)
        policies = try c.value(.policies, default: policies)
        calibration = try c.value(.calibration, default: calibration)
        kuairand = try c.value(.kuairand, default: kuairand)
    }
}

extension CatalogConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case items
        case categories
        case categorySkew
        case embeddingDimension
        case topicSpread
        case creators
        case creatorSkew
        case durationSeconds
        case qualityAppealCorrelation
        case popularity
        case price
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        items = try c.value(.items, default: items)
        categories = try c.value(.categories, default: categories)
        categorySkew = try c.value(.categorySkew, default: categorySkew)
        embeddingDimension = try c.value(.embeddingDimension, default: embeddingDimension)
        topicSpread = try c.value(.topicSpread, default: topicSpread)
        creators = try c.value(.creators, default: creators)
        creatorSkew = try c.value(.creatorSkew, default: creatorSkew)
        durationSeconds = try c.value(.durationSeconds, default: durationSeconds)
        qualityAppealCorrelation = try c.value(.qualityAppealCorrelation, default: qualityAppealCorrelation)
        popularity = try c.value(.popularity, default: popularity)
        price = try c.value(.price, default: price)
    }
}

extension LogNormalConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case median
        case logSigma
        case minimum
        case maximum
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(median: try c.decode(Double.self, forKey: .median), logSigma: try c.decode(Double.self, forKey: .logSigma),
                  minimum: try c.decode(Double.self, forKey: .minimum), maximum: try c.decode(Double.self, forKey: .maximum))
    }
}

extension PopularityConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case logSigma
        case quality
        case appeal
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        logSigma = try c.value(.logSigma, default: logSigma)
        quality = try c.value(.quality, default: quality)
        appeal = try c.value(.appeal, default: appeal)
    }
}

extension UserConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case count
        case favoriteCategories
        case interestSpread
        case activitySpread
        case activityDegreeShares
        case boredomSensitivitySpread
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        count = try c.value(.count, default: count)
        favoriteCategories = try c.value(.favoriteCategories, default: favoriteCategories)
        interestSpread = try c.value(.interestSpread, default: interestSpread)
        activitySpread = try c.value(.activitySpread, default: activitySpread)
        activityDegreeShares = try c.value(.activityDegreeShares, default: activityDegreeShares)
        boredomSensitivitySpread = try c.value(.boredomSensitivitySpread, default: boredomSensitivitySpread)
    }
}

extension RetrievalConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case candidates
        case interestShare
        case popularShare
        case interestTemperature
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        candidates = try c.value(.candidates, default: candidates)
        interestShare = try c.value(.interestShare, default: interestShare)
        popularShare = try c.value(.popularShare, default: popularShare)
        interestTemperature = try c.value(.interestTemperature, default: interestTemperature)
    }
}

extension SlateConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case size
        case examinationDecay
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        size = try c.value(.size, default: size)
        examinationDecay = try c.value(.examinationDecay, default: examinationDecay)
    }
}

extension TaskConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case kind
        case given
        case unless
        case intercept
        case userSpread
        case affinity
        case quality
        case appeal
        case likeability
        case boredom
        case fatigue
        case thresholdSeconds
        case completionFraction
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name))
        kind = try c.value(.kind, default: kind)
        given = try c.value(.given, default: given)
        unless = try c.value(.unless, default: unless)
        intercept = try c.value(.intercept, default: intercept)
        userSpread = try c.value(.userSpread, default: userSpread)
        affinity = try c.value(.affinity, default: affinity)
        quality = try c.value(.quality, default: quality)
        appeal = try c.value(.appeal, default: appeal)
        likeability = try c.value(.likeability, default: likeability)
        boredom = try c.value(.boredom, default: boredom)
        fatigue = try c.value(.fatigue, default: fatigue)
        thresholdSeconds = try c.value(.thresholdSeconds, default: thresholdSeconds)
        completionFraction = try c.value(.completionFraction, default: completionFraction)
    }
}

extension WatchConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case intercept
        case scale
        case userSpread
        case affinity
        case quality
        case appeal
        case durationLog
        case boredom
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        intercept = try c.value(.intercept, default: intercept)
        scale = try c.value(.scale, default: scale)
        userSpread = try c.value(.userSpread, default: userSpread)
        affinity = try c.value(.affinity, default: affinity)
        quality = try c.value(.quality, default: quality)
        appeal = try c.value(.appeal, default: appeal)
        durationLog = try c.value(.durationLog, default: durationLog)
        boredom = try c.value(.boredom, default: boredom)
    }
}

extension DynamicsConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case satisfactionDecay
        case satisfactionPerPlay
        case satisfactionWatchFraction
        case satisfactionQuality
        case satisfactionAppeal
        case satisfactionAppealFatigue
        case satisfactionSkip
        case satisfactionTaskValues
        case fatiguePerImpression
        case fatiguePerPlay
        case fatiguePerWatchMinute
        case fatigueClickbait
        case boredomDecay
        case boredomHalfLifeHours
        case interestDriftRate
        case browseSecondsPerImpression
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        satisfactionDecay = try c.value(.satisfactionDecay, default: satisfactionDecay)
        satisfactionPerPlay = try c.value(.satisfactionPerPlay, default: satisfactionPerPlay)
        satisfactionWatchFraction = try c.value(.satisfactionWatchFraction, default: satisfactionWatchFraction)
        satisfactionQuality = try c.value(.satisfactionQuality, default: satisfactionQuality)
        satisfactionAppeal = try c.value(.satisfactionAppeal, default: satisfactionAppeal)
        satisfactionAppealFatigue = try c.value(.satisfactionAppealFatigue, default: satisfactionAppealFatigue)
        satisfactionSkip = try c.value(.satisfactionSkip, default: satisfactionSkip)
        satisfactionTaskValues = try c.value(.satisfactionTaskValues, default: satisfactionTaskValues)
        fatiguePerImpression = try c.value(.fatiguePerImpression, default: fatiguePerImpression)
        fatiguePerPlay = try c.value(.fatiguePerPlay, default: fatiguePerPlay)
        fatiguePerWatchMinute = try c.value(.fatiguePerWatchMinute, default: fatiguePerWatchMinute)
        fatigueClickbait = try c.value(.fatigueClickbait, default: fatigueClickbait)
        boredomDecay = try c.value(.boredomDecay, default: boredomDecay)
        boredomHalfLifeHours = try c.value(.boredomHalfLifeHours, default: boredomHalfLifeHours)
        interestDriftRate = try c.value(.interestDriftRate, default: interestDriftRate)
        browseSecondsPerImpression = try c.value(.browseSecondsPerImpression, default: browseSecondsPerImpression)
    }
}

extension LeaveConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case intercept
        case userSpread
        case fatigue
        case satisfaction
        case depth
        case engagement
        case engagementReference
        case hookRequests
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        intercept = try c.value(.intercept, default: intercept)
        userSpread = try c.value(.userSpread, default: userSpread)
        fatigue = try c.value(.fatigue, default: fatigue)
        satisfaction = try c.value(.satisfaction, default: satisfaction)
        depth = try c.value(.depth, default: depth)
        engagement = try c.value(.engagement, default: engagement)
        engagementReference = try c.value(.engagementReference, default: engagementReference)
        hookRequests = try c.value(.hookRequests, default: hookRequests)
    }
}

extension ReturnConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case minimumGapMinutes
        case medianExtraMinutes
        case logSigma
        case satisfaction
        case satisfactionReference
        case endWeight
        case churnIntercept
        case churnSatisfaction
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        minimumGapMinutes = try c.value(.minimumGapMinutes, default: minimumGapMinutes)
        medianExtraMinutes = try c.value(.medianExtraMinutes, default: medianExtraMinutes)
        logSigma = try c.value(.logSigma, default: logSigma)
        satisfaction = try c.value(.satisfaction, default: satisfaction)
        satisfactionReference = try c.value(.satisfactionReference, default: satisfactionReference)
        endWeight = try c.value(.endWeight, default: endWeight)
        churnIntercept = try c.value(.churnIntercept, default: churnIntercept)
        churnSatisfaction = try c.value(.churnSatisfaction, default: churnSatisfaction)
    }
}

extension EpisodeConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case horizonDays
        case maxRequestsPerSession
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        horizonDays = try c.value(.horizonDays, default: horizonDays)
        maxRequestsPerSession = try c.value(.maxRequestsPerSession, default: maxRequestsPerSession)
    }
}

extension RankerConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind
        case noise
        case defaultNoise
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        kind = try c.value(.kind, default: kind)
        noise = try c.value(.noise, default: noise)
        defaultNoise = try c.value(.defaultNoise, default: defaultNoise)
    }
}

extension FusionConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case form
        case weightBounds
        case defaultWeightBounds
        case beta
        case defaultBeta
        case biasBounds
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        form = try c.value(.form, default: form)
        weightBounds = try c.value(.weightBounds, default: weightBounds)
        defaultWeightBounds = try c.value(.defaultWeightBounds, default: defaultWeightBounds)
        beta = try c.value(.beta, default: beta)
        defaultBeta = try c.value(.defaultBeta, default: defaultBeta)
        biasBounds = try c.value(.biasBounds, default: biasBounds)
    }
}

extension RewardConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case watchMinutes
        case taskValues
        case gmv
        case gmvTask
        case returnWeight
        case returnScaleHours
        case discount
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        watchMinutes = try c.value(.watchMinutes, default: watchMinutes)
        taskValues = try c.value(.taskValues, default: taskValues)
        gmv = try c.value(.gmv, default: gmv)
        gmvTask = try c.value(.gmvTask, default: gmvTask)
        returnWeight = try c.value(.returnWeight, default: returnWeight)
        returnScaleHours = try c.value(.returnScaleHours, default: returnScaleHours)
        discount = try c.value(.discount, default: discount)
    }
}

extension PoliciesConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case baseline
        case explorationSigma
        case boxHalfWidth
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        baseline = try c.value(.baseline, default: baseline)
        explorationSigma = try c.value(.explorationSigma, default: explorationSigma)
        boxHalfWidth = try c.value(.boxHalfWidth, default: boxHalfWidth)
    }
}

extension KuaiRandConfig: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case videoFeatures
        case userFeatures
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        videoFeatures = try c.value(.videoFeatures, default: videoFeatures)
        userFeatures = try c.value(.userFeatures, default: userFeatures)
    }
}

extension CalibrationTargets: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case source
        case targets
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        source = try c.value(.source, default: source)
        targets = try c.value(.targets, default: targets)
    }
}

extension CalibrationTarget: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case metric
        case task
        case value
        case tolerance
        case source
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(metric: try c.decode(Metric.self, forKey: .metric), value: try c.decode(Double.self, forKey: .value),
                  tolerance: try c.decode(Double.self, forKey: .tolerance))
        task = try c.value(.task, default: task)
        source = try c.value(.source, default: source)
    }
}

extension Bounds: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case low
        case high
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(low: try c.decode(Double.self, forKey: .low), high: try c.decode(Double.self, forKey: .high))
    }
}
