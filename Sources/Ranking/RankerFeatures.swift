import Numerics
import Simulator

/// The observed features a ranker sees for one impression of a simulated world: what the user has done so far,
/// what the item is, and where in the session the request falls. Only observed attributes enter (item ids,
/// category, creator, duration, observed popularity, price, activity degree, registration age, request index,
/// the user's engagement history); the world's latent truth never does (docs/design.md, "The world model").
///
/// Categorical fields, each through an embedding table: `item`, `category`, `creator`. Numerical inputs,
/// through one dense layer: the activity degree one-hot, log registration days, log duration, observed log
/// popularity, log(1 + price), log(1 + request index), and the `EngagementHistory` features (per-task rates
/// overall and in the item's category, recent plays of the category).
///
/// Users enter through their history, not an id embedding: rankers are evaluated on held-out users, whose id
/// embeddings would never have been trained (a production ranker meets new users every day too). Items enter by
/// id, so a layout is tied to its world's catalog: a ranker trained on one world cannot score another
/// (`worldFingerprint` tells them apart).
public struct RankerFeatures: Sendable {
    /// Embedding widths and the numerical projection width; their sum is the network's input size.
    public struct Dimensions: Codable, Equatable, Hashable, Sendable {
        public var item: Int
        public var category: Int
        public var creator: Int
        public var numerical: Int

        public init(item: Int, category: Int, creator: Int, numerical: Int) {
            self.item = item
            self.category = category
            self.creator = creator
            self.numerical = numerical
        }

        /// 32 + 16 + 16 + 64 = 128 inputs: the input width of the reference networks.
        public static let standard = Dimensions(item: 32, category: 16, creator: 16, numerical: 64)

        public var encodedWidth: Int { item + category + creator + numerical }
    }

    public let layout: FeatureLayout
    /// A digest of the world's observed item and user attributes (see `fingerprint(of:)`).
    public let worldFingerprint: UInt64
    let catalog: Catalog
    let population: UserPopulation
    /// The static numerical features, transformed once: per user log(1 + registration days) / 4; per item
    /// log(duration) / 4 and log(1 + price).
    let userLogRegisterDays: [Float]
    let itemLogDuration: [Float]
    let itemLogPrice: [Float]
    let degreeCount: Int
    let taskCount: Int
    /// Index of the first history feature among the numerical inputs.
    let historyOffset: Int

    public init(world: World, dimensions: Dimensions = .standard) {
        catalog = world.catalog
        population = world.population
        degreeCount = world.population.degreeCount
        userLogRegisterDays = world.population.registerDays.map { Float(Elementary.log(1 + Double($0))) / 4 }
        itemLogDuration = world.catalog.durationSeconds.map { Float(Elementary.log(Double($0))) / 4 }
        itemLogPrice = world.catalog.price.map { Float(Elementary.log(1 + Double($0))) }
        taskCount = world.config.taskNames.count
        worldFingerprint = Self.fingerprint(of: world)
        let creators = Int(world.catalog.creator.max() ?? 0) + 1
        let observedNames = (0..<degreeCount).map { "user.activityDegree\($0)" }
            + ["user.logRegisterDays", "item.logDurationSeconds", "item.observedLogPopularity", "item.logPrice",
               "context.logRequestIndex"]
        historyOffset = observedNames.count
        let numericalNames = observedNames + EngagementHistory.featureNames(taskNames: world.config.taskNames)
        layout = FeatureLayout(
            categorical: [
                .init(name: "item", vocabularySize: world.catalog.count, embeddingDimension: dimensions.item),
                .init(name: "category", vocabularySize: world.catalog.categoryCount,
                      embeddingDimension: dimensions.category),
                .init(name: "creator", vocabularySize: creators, embeddingDimension: dimensions.creator),
            ],
            numericalDimension: numericalNames.count, numericalNames: numericalNames,
            numericalProjection: dimensions.numerical, numericalActivation: .relu)
    }

    /// Number of history features per impression (`EngagementHistory.write`).
    public var historyFeatureCount: Int { EngagementHistory.featureCount(taskCount: taskCount) }

    /// Writes the features of `count` impressions (`users[i]`, `items[i]`, `requestIndices[i]`, and
    /// `history(i, out)` writing the `historyFeatureCount` history features) into `batch`, reusing its storage.
    public func fill(count: Int, users: (Int) -> Int32, items: (Int) -> Int32, requestIndices: (Int) -> Int32,
                     history: (Int, UnsafeMutablePointer<Float>) -> Void, into batch: inout FeatureBatch) {
        let fields = layout.fieldCount, width = layout.numericalDimension
        batch.count = count
        if batch.categorical.count != count * fields {
            batch.categorical = [Int32](repeating: 0, count: count * fields)
        }
        batch.numerical.resize(rows: count, columns: width)
        batch.categorical.withUnsafeMutableBufferPointer { ids in
            batch.numerical.withUnsafeMutableBufferPointer { x in
                fill(count: count, users: users, items: items, requestIndices: requestIndices, history: history,
                     ids: ids.baseAddress, numerical: x.baseAddress)
            }
        }
    }

    /// `fill(…into:)` writing into caller-owned rows: `ids` holds `count × fieldCount` ids, `numerical`
    /// `count × numericalDimension` floats (for scoring in chunks without a `FeatureBatch`).
    func fill(count: Int, users: (Int) -> Int32, items: (Int) -> Int32, requestIndices: (Int) -> Int32,
              history: (Int, UnsafeMutablePointer<Float>) -> Void,
              ids: UnsafeMutablePointer<Int32>?, numerical x: UnsafeMutablePointer<Float>?) {
        guard count > 0, let ids, let x else { return }
        let fields = layout.fieldCount, width = layout.numericalDimension
        catalog.category.withUnsafeBufferPointer { category in
            catalog.creator.withUnsafeBufferPointer { creator in
                for i in 0..<count {
                    let user = Int(users(i)), item = Int(items(i))
                    ids[i * fields] = Int32(item)
                    ids[i * fields + 1] = category[item]
                    ids[i * fields + 2] = creator[item]
                    let row = i * width
                    for d in 0..<degreeCount { x[row + d] = 0 }
                    x[row + Int(population.activityDegree[user])] = 1
                    x[row + degreeCount] = userLogRegisterDays[user]
                    x[row + degreeCount + 1] = itemLogDuration[item]
                    x[row + degreeCount + 2] = catalog.observedLogPopularity[item]
                    x[row + degreeCount + 3] = itemLogPrice[item]
                    x[row + degreeCount + 4] = Float(Elementary.log(1 + Double(requestIndices(i))))
                    history(i, x + row + historyOffset)
                }
            }
        }
    }

    /// FNV-1a over the world's sizes and observed attributes (categories, creators, durations, activity degrees),
    /// so that a checkpoint can refuse a world whose ids mean other items or users.
    public static func fingerprint(of world: World) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ value: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) { hash = (hash ^ ((value >> UInt64(shift)) & 0xFF)) &* 0x100_0000_01b3 }
        }
        mix(UInt64(world.catalog.count))
        mix(UInt64(world.population.count))
        for c in world.catalog.category { mix(UInt64(UInt32(bitPattern: c))) }
        for c in world.catalog.creator { mix(UInt64(UInt32(bitPattern: c))) }
        for d in world.catalog.durationSeconds { mix(UInt64(d.bitPattern)) }
        for a in world.population.activityDegree { mix(UInt64(a)) }
        return hash
    }
}
