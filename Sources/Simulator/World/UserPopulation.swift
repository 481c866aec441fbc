import Numerics

/// The simulated users: latent traits (interests, activity, per-task offsets, patience, boredom
/// sensitivity) and the attributes a ranker or policy may observe (activity degree, registration age).
public struct UserPopulation: Sendable {
    public let count: Int
    public let dimension: Int
    public let taskCount: Int
    /// Latent initial interests, `count × dimension`, unit norm.
    public let latentInterests: [Float]
    /// Latent activity z ~ N(0, 1): more active users come back sooner (and leave a little later).
    public let latentActivity: [Float]
    /// Observed activity degree: 0 = most active … `shares.count − 1` = least (KuaiRand's `user_active_degree`).
    public let activityDegree: [UInt8]
    /// Observed days since registration.
    public let registerDays: [Float]
    /// Latent per-user logit offsets, `count × taskCount` (heavy-tailed per-user rates).
    public let latentTaskOffsets: [Float]
    /// Latent per-user offset of the watch-fraction mean.
    public let latentWatchOffset: [Float]
    /// Latent per-user offset of the leave hazard (impatience).
    public let latentLeaveOffset: [Float]
    /// Latent multiplier of boredom from repetition (log-normal, median 1).
    public let latentBoredomSensitivity: [Float]
    /// Number of observed activity degrees.
    public let degreeCount: Int

    /// Generates `config.users.count` users; with KuaiRand users, their activity degree and registration
    /// age are taken in order (cycling), and the latent activity is drawn consistently with the degree.
    public init(config: EnvironmentConfig, catalog: Catalog, seed: UInt64, kuairandUsers: [KuaiRandFeatures.User]? = nil) {
        let n = config.users.count, d = catalog.dimension, t = config.tasks.count
        count = n
        dimension = d
        taskCount = t
        let shares = config.users.activityDegreeShares
        degreeCount = shares.count
        // Degree g covers latent activity z in (cut[g+1], cut[g]]: the most active share is the top of N(0, 1).
        let total = shares.reduce(0, +)
        var cuts = [Double.infinity]
        var cumulative = 0.0
        for share in shares.dropLast() {
            cumulative += share / total
            cuts.append(StandardNormal.quantile(1 - cumulative))
        }
        cuts.append(-.infinity)

        var categoryWeights = [Double](repeating: 0, count: catalog.categoryCount)
        for c in catalog.category { categoryWeights[Int(c)] += 1 }
        let categoryTable = AliasTable(weights: categoryWeights)

        var interests = [Float](repeating: 0, count: n * d)
        var activity = [Float](), degree = [UInt8](), register = [Float]()
        var offsets = [Float](repeating: 0, count: n * t)
        var watch = [Float](), leave = [Float](), boredom = [Float]()
        for u in 0..<n {
            var rng = RandomStream(seed: seed, keys: streamKey("user"), UInt64(u))
            let favourites = max(1, config.users.favoriteCategories)
            for _ in 0..<favourites {
                let c = categoryTable.sample(&rng)
                let w = Float(0.5 + rng.nextUniform())
                for j in 0..<d { interests[u * d + j] += w * catalog.categoryCentres[c * d + j] }
            }
            for j in 0..<d { interests[u * d + j] += Float(config.users.interestSpread * rng.normal()) }
            normalize(&interests, row: u, dimension: d)

            let z: Double
            if let kuairandUsers, !kuairandUsers.isEmpty {
                let real = kuairandUsers[u % kuairandUsers.count]
                let g = min(real.activityDegree, shares.count - 1)
                let lower = min(max(cuts[g + 1], -8), 8), upper = max(min(cuts[g], 8), -8)
                z = lower < upper ? rng.truncatedNormal(mean: 0, standardDeviation: 1, lower: lower, upper: upper) : lower
                degree.append(UInt8(g))
                register.append(Float(real.registerDays))
            } else {
                z = rng.normal()
                degree.append(UInt8(cuts.indices.dropFirst().first { z > cuts[$0] }.map { $0 - 1 } ?? shares.count - 1))
                register.append(Float(min(rng.logNormal(mu: Elementary.log(600.0), sigma: 0.9), 5_000)))
            }
            activity.append(Float(z))
            for (k, task) in config.tasks.enumerated() {
                offsets[u * t + k] = Float(task.userSpread * rng.normal())
            }
            watch.append(Float(config.watch.userSpread * rng.normal()))
            leave.append(Float(-0.25 * z + config.leave.userSpread * rng.normal()))
            boredom.append(Float(rng.logNormal(mu: 0, sigma: config.users.boredomSensitivitySpread)))
        }
        self.latentInterests = interests
        self.latentActivity = activity
        self.activityDegree = degree
        self.registerDays = register
        self.latentTaskOffsets = offsets
        self.latentWatchOffset = watch
        self.latentLeaveOffset = leave
        self.latentBoredomSensitivity = boredom
    }
}
