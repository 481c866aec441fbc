import Foundation
import Numerics
import Simulator
import Testing

/// The catalog and user attributes can come from the real KuaiRand-Pure feature files (shared/data).
@Suite("KuaiRand-Pure features")
struct KuaiRandTests {
    static let videos = Fixtures.kuaiRandVideos
    static let users = Fixtures.kuaiRandUsers
    static let available = Fixtures.kuaiRandAvailable

    @Test("videos: durations, authors and tags are read", .enabled(if: available))
    func readsVideos() throws {
        let videos = try KuaiRandFeatures.videos(path: Self.videos)
        #expect(videos.count == 7_583)
        #expect(videos.filter { $0.durationSeconds == nil }.count == 239)
        #expect(videos.filter { $0.tag == nil }.count == 96)
        let durations = videos.compactMap(\.durationSeconds)
        // The data README: p10 / p50 / p90 = 14.6 s / 81.2 s / 237.9 s; 46 distinct tags.
        #expect(abs(quantile(durations, 0.5) - 81.2) < 1.0)
        #expect(abs(quantile(durations, 0.1) - 14.6) < 1.0)
        #expect(abs(quantile(durations, 0.9) - 237.9) < 2.0)
        #expect(Set(videos.compactMap(\.tag)).count <= 46)
    }

    @Test("a world built from the files uses them for the catalog and the users", .enabled(if: available))
    func worldFromFiles() throws {
        let config = try Fixtures.kuaiRandShortVideo(users: 4_000)
        let world = try World(config: config, seed: 3)
        let videos = try KuaiRandFeatures.videos(path: Self.videos)
        #expect(world.catalog.count == videos.count)
        for (i, v) in videos.enumerated() {
            guard let seconds = v.durationSeconds else { continue }
            #expect(world.catalog.durationSeconds[i] == Float(seconds))
        }
        #expect(world.catalog.categoryCount == Set(videos.map { $0.tag ?? -1 }).count)
        // Observed activity degrees follow the file (KuaiRand-Pure: 65.8 % full_active among 27,285 users).
        let real = try KuaiRandFeatures.users(path: Self.users).prefix(4_000)
        #expect(world.population.activityDegree.map(Int.init) == real.map(\.activityDegree))
        // The latent activity is drawn consistently with the degree: more active degrees have higher activity.
        func meanActivity(_ degree: Int) -> Double {
            let values = world.population.latentActivity.indices.filter { world.population.activityDegree[$0] == degree }
                .map { Double(world.population.latentActivity[$0]) }
            return values.reduce(0, +) / Double(max(values.count, 1))
        }
        #expect(meanActivity(0) > meanActivity(1) && meanActivity(1) > meanActivity(2))
    }

    @Test("a missing feature file is a clear error")
    func missingFile() throws {
        var config = try EnvironmentLoader.resolve("tiny").config
        var kuairand = KuaiRandConfig()
        kuairand.videoFeatures = "/nonexistent/videos.csv"
        config.kuairand = kuairand
        #expect { try World(config: config, seed: 1) } throws: { error in
            String(describing: error).contains("/nonexistent/videos.csv")
        }
    }
}
