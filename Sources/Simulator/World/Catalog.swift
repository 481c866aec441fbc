import Numerics

/// The item catalog, as structure-of-arrays for cache-friendly scoring of many candidates.
///
/// Latent truth (embedding, quality, appeal) is read only by the world's response model and by
/// explicitly named oracles; rankers see the observed attributes (category, creator, duration,
/// observed popularity).
public struct Catalog: Sendable {
    public let count: Int
    public let dimension: Int
    public let categoryCount: Int
    /// Category centres, `categoryCount × dimension`, unit norm.
    public let categoryCentres: [Float]
    /// Latent topic embeddings, `count × dimension`, unit norm.
    public let latentEmbeddings: [Float]
    /// Observed: category (tag) of each item.
    public let category: [Int32]
    /// Observed: creator (author) of each item.
    public let creator: [Int32]
    /// Observed: duration in seconds.
    public let durationSeconds: [Float]
    /// Observed: log of the item's (noisy) historical exposure count.
    public let observedLogPopularity: [Float]
    /// Observed: price (e-commerce).
    public let price: [Float]
    /// Latent quality q ~ N(0, 1): raises watch fraction and interactions.
    public let latentQuality: [Float]
    /// Latent click appeal a ~ N(0, 1): raises clicks, lowers watch fraction (click-bait when a ≫ q).
    public let latentAppeal: [Float]
    /// Latent likeability l ~ N(0, 1): raises interactions (like, comment, share) independently of watch time.
    public let latentLikeability: [Float]
    /// Latent log popularity (drives the popular retrieval pool).
    public let latentLogPopularity: [Float]
    /// Items of each category, and alias tables over them weighted by popularity.
    public let categoryItems: [[Int32]]
    public let categoryPools: [AliasTable]
    /// Alias table over all items weighted by popularity.
    public let popularPool: AliasTable

    /// Generates a catalog from `config`, optionally taking durations, creators and tags from KuaiRand videos.
    public init(config: CatalogConfig, seed: UInt64, videos: [KuaiRandFeatures.Video]? = nil) {
        var rng = RandomStream(seed: seed, keys: streamKey("catalog"))
        let d = config.embeddingDimension
        dimension = d

        let n: Int
        var categories = [Int32]()
        var creators = [Int32]()
        var durations = [Float]()
        let categoryCount: Int
        if let videos, !videos.isEmpty {
            n = videos.count
            // Untagged videos share one extra category (key −1); missing durations are drawn from the configured law.
            var tagIndex: [Int: Int32] = [:], authorIndex: [Int: Int32] = [:]
            let dur = config.durationSeconds
            for v in videos {
                let tag = v.tag ?? -1
                categories.append(tagIndex[tag] ?? { let i = Int32(tagIndex.count); tagIndex[tag] = i; return i }())
                creators.append(authorIndex[v.authorID] ?? { let i = Int32(authorIndex.count); authorIndex[v.authorID] = i; return i }())
                let sampled = { min(max(rng.logNormal(mu: Elementary.log(dur.median), sigma: dur.logSigma), dur.minimum), dur.maximum) }
                durations.append(Float(v.durationSeconds ?? sampled()))
            }
            categoryCount = tagIndex.count
        } else {
            n = config.items
            categoryCount = config.categories
            let categorySizes = ZipfDistribution(count: categoryCount, exponent: config.categorySkew)
            let creatorSizes = ZipfDistribution(count: config.creators, exponent: config.creatorSkew)
            let dur = config.durationSeconds
            for _ in 0..<n {
                categories.append(Int32(categorySizes.sample(&rng) - 1))
                creators.append(Int32(creatorSizes.sample(&rng) - 1))
                let seconds = rng.logNormal(mu: Elementary.log(dur.median), sigma: dur.logSigma)
                durations.append(Float(min(max(seconds, dur.minimum), dur.maximum)))
            }
        }
        count = n
        self.categoryCount = categoryCount
        category = categories
        creator = creators
        durationSeconds = durations

        var centres = [Float](repeating: 0, count: categoryCount * d)
        for c in 0..<categoryCount {
            for j in 0..<d { centres[c * d + j] = Float(rng.normal()) }
            normalize(&centres, row: c, dimension: d)
        }
        categoryCentres = centres

        var embeddings = [Float](repeating: 0, count: n * d)
        var quality = [Float](), appeal = [Float](), logPop = [Float](), observedPop = [Float](), price = [Float]()
        var likeability = [Float]()
        quality.reserveCapacity(n)
        let rho = config.qualityAppealCorrelation
        for i in 0..<n {
            let c = Int(categories[i])
            for j in 0..<d {
                embeddings[i * d + j] = centres[c * d + j] + Float(config.topicSpread * rng.normal())
            }
            normalize(&embeddings, row: i, dimension: d)
            let q = rng.normal()
            let a = rho * q + (1 - rho * rho).squareRoot() * rng.normal()
            quality.append(Float(q))
            appeal.append(Float(a))
            likeability.append(Float(rng.normal()))
            let lp = config.popularity.logSigma * rng.normal() + config.popularity.quality * q + config.popularity.appeal * a
            logPop.append(Float(lp))
            observedPop.append(Float(lp + 0.5 * rng.normal()))
            let p = config.price
            price.append(Float(min(max(rng.logNormal(mu: Elementary.log(p.median), sigma: p.logSigma), p.minimum), p.maximum)))
        }
        self.latentEmbeddings = embeddings
        self.latentQuality = quality
        self.latentAppeal = appeal
        self.latentLikeability = likeability
        self.latentLogPopularity = logPop
        self.observedLogPopularity = observedPop
        self.price = price

        var members = [[Int32]](repeating: [], count: categoryCount)
        for i in 0..<n { members[Int(categories[i])].append(Int32(i)) }
        categoryItems = members
        // Popularity-weighted pools, flattened (exponent 0.5 so that the tail still gets exposure).
        categoryPools = members.map { items in
            items.isEmpty ? AliasTable(weights: [1]) : AliasTable(weights: items.map { Elementary.exp(0.5 * Double(logPop[Int($0)])) })
        }
        popularPool = AliasTable(weights: logPop.map { Elementary.exp(Double($0)) })
    }

    /// Whether category `c` has any item.
    @inline(__always) public func hasItems(inCategory c: Int) -> Bool { !categoryItems[c].isEmpty }
}

/// Scales row `row` of a row-major buffer to unit Euclidean norm.
func normalize(_ values: inout [Float], row: Int, dimension d: Int) {
    var norm: Float = 0
    for j in 0..<d { norm += values[row * d + j] * values[row * d + j] }
    let inv = norm > 0 ? 1 / norm.squareRoot() : 0
    for j in 0..<d { values[row * d + j] *= inv }
}
