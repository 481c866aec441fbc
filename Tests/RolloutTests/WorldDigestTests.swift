import EpisodeLog
import Foundation
import Numerics
import Ranking
import Rollout
import Simulator
import Testing
import TestSupport

/// Same world, same numbers: the logical content of short logged runs of every preset (and of one run ranked by a
/// neural MMoE) is pinned to digests recorded before the world's dynamics moved out of the batched loop
/// (issue 12). Any change to the response, the dynamics, leaving, returning, the reward, the policies' draws or
/// the log's rows changes them. Columns added to the log since are left out of the digest.
@Suite("Pinned world digests")
struct WorldDigestTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var preset: String
        var seed: UInt64
        var neuralRanker = false
        var digest: UInt64
        /// A neural ranker scores through BLAS, whose kernel families (AVX2, AVX-512) sum in different orders, so
        /// its digest is pinned per instruction-set level of the kernels OpenBLAS runs (`digest` is the AVX2 one).
        var digestsByLevel: [BLASRuntime.ISALevel: UInt64] = [:]
        var testDescription: String { "\(preset) seed \(seed)\(neuralRanker ? " MMoE" : "")" }
    }

    /// Columns a later schema added: the pinned digests were recorded before they existed.
    static let newerColumns: Set<String> = ["elapsed_minutes"]
    static let sessions = 60

    static let cases: [Case] = [
        Case(preset: "tiny", seed: 1, digest: 0xf88e_12fb_0f0e_8875),
        Case(preset: "tiny", seed: 2, digest: 0xe189_23ef_a784_4645),
        Case(preset: "tiny", seed: 3, digest: 0xc0dd_0ffd_9870_7694),
        Case(preset: "short-video", seed: 1, digest: 0x9a25_53d2_da3e_d34b),
        Case(preset: "short-video", seed: 2, digest: 0xb596_b16d_c6b4_d6c1),
        Case(preset: "short-video", seed: 3, digest: 0x8fb2_fad1_1b80_a714),
        Case(preset: "ecommerce", seed: 1, digest: 0x110c_7bb2_f684_17ea),
        Case(preset: "ecommerce", seed: 2, digest: 0x4e9b_2e35_138b_1954),
        Case(preset: "ecommerce", seed: 3, digest: 0x8f2b_fee5_9189_4060),
        Case(preset: "short-video", seed: 1, neuralRanker: true, digest: 0x1bd1_c74e_9a42_b581,
             digestsByLevel: [.avx2: 0x1bd1_c74e_9a42_b581, .avx512: 0x2be9_ceeb_991d_3f6c]),
    ]

    @Test(arguments: cases)
    func logicalContentIsUnchanged(_ c: Case) throws {
        let loaded = try EnvironmentLoader.resolve(c.preset)
        let world = try World(config: loaded.config, seed: c.seed)
        let ranker: any Ranker
        if c.neuralRanker {
            let architecture = RankerArchitecture(kind: .mmoe, expertLayers: [16], towerLayers: [8])
            guard case .mmoe(var mmoe) = architecture.makeRanker(world: world, seed: 5) else {
                Issue.record("an MMoE architecture made another ranker")
                return
            }
            var values = RandomStream(seed: 6, keys: streamKey("digest-ranker"))
            mmoe.setParameterVector(mmoe.parameterVector().map { _ in 0.3 * (2 * values.nextUnitFloat() - 1) })
            ranker = try NeuralSimulationRanker(mmoe, world: world, name: "mmoe-digest")
        } else {
            ranker = OracleNoiseRanker(config: world.config)
        }
        let policy = try PolicySpec.parse("mixture", world: world)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mtfsim-digest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("run.sqlite").path
        let writer = try EpisodeLogFile.create(path: path)
        try writer.beginRun(SimulationLog.metadata(
            name: "digest", world: world, environmentText: loaded.text, seed: c.seed, policy: policy, ranker: ranker,
            sessions: Self.sessions, lanes: 16, logCandidates: true, randomExposure: 0.1))
        _ = try SimulationLog.run(Simulation(world: world, ranker: ranker, policy: policy, seed: c.seed),
                                  options: .init(sessions: Self.sessions, threads: 2, lanes: 16, logCandidates: true,
                                                 randomExposure: 0.1),
                                  writer: writer)
        try writer.finishRun()
        try writer.close()
        let reader = try EpisodeLogFile.open(path: path)
        defer { try? reader.close() }
        let digest = try reader.logicalDigest(run: 1, excluding: Self.newerColumns)
        var expected = c.digest
        if !c.digestsByLevel.isEmpty {
            let core = BLASRuntime.coreName
            guard let level = BLASRuntime.isaLevel(ofCore: core), let pinned = c.digestsByLevel[level] else {
                // Kernels of a level no digest was recorded for (SSE, AVX, another architecture): nothing to compare.
                return
            }
            expected = pinned
        }
        #expect(digest == expected, "\(c.testDescription), BLAS core \(BLASRuntime.coreName): digest \(String(digest, radix: 16))")
    }
}
