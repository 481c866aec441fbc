import Foundation
import NeuralNet
import Numerics
import Ranking
import Testing
import TestSupport

@Suite("MultiTaskRanker checkpoints")
struct RankerCheckpointTests {
    static let tasks = [TaskSpec(name: "click"), TaskSpec(name: "watch", kind: .regression),
                        TaskSpec(name: "convert", kind: .cascade(parent: 0))]

    static func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("ranking-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name).ckpt")
    }

    static func roundTrip<N: MultiTaskNetwork>(_ configuration: N.Configuration, as _: N.Type, name: String) throws {
        let layout = smallLayout()
        var stream = RandomStream(seed: 1)
        var ranker = MultiTaskRanker<N>(layout: layout, tasks: tasks, configuration: configuration, stream: &stream)
        // Biases start at zero, as in a fresh ranker; offset every one so that a checkpoint that dropped or
        // misplaced them cannot reload to the same predictions and parameters.
        let batch = randomBatch(layout, count: 9, seed: 2)
        var before = Matrix(rows: 0, columns: 0)
        ranker.forward(batch, into: &before)
        var biases = 0, offset: Float = 0
        ranker.updateParameters { p in
            guard p.name.hasSuffix("bias") else { return }
            biases += 1
            p.value = Matrix(rows: p.value.rows, columns: p.value.columns) { _, _ in
                offset += 1
                return 0.05 * Float(Elementary.sin(Double(offset)))
            }
        }
        #expect(biases > 0, "\(name): no bias parameters found")
        var shifted = Matrix(rows: 0, columns: 0)
        ranker.forward(batch, into: &shifted)
        #expect(shifted.elements != before.elements, "\(name): the bias offsets do not reach the outputs")
        let url = temporaryURL(name)
        defer { try? FileManager.default.removeItem(at: url) }
        try ranker.save(to: url, metadata: ["seed": "1"])
        var loaded = try MultiTaskRanker<N>(contentsOf: url)
        #expect(loaded.layout == layout && loaded.tasks == tasks && loaded.configuration == configuration)
        var a = Matrix(rows: 0, columns: 0), b = Matrix(rows: 0, columns: 0)
        ranker.forward(batch, into: &a)
        loaded.forward(batch, into: &b)
        #expect(a.elements.map(\.bitPattern) == b.elements.map(\.bitPattern), "\(name): predictions differ after reload")
        var any = try AnyRanker(contentsOf: url)
        #expect(any.architecture == N.architecture)
        #expect(any.predict(batch) == ranker.predictions(outputs: a))
        var other = MultiTaskRanker<N>(layout: layout, tasks: tasks, configuration: configuration, stream: &stream)
        let metadata = try other.load(from: url)
        #expect(metadata["seed"] == "1")
        #expect(other.parameterVector() == ranker.parameterVector(), "\(name): parameters differ after loading into a fresh ranker")
    }

    @Test("round trip gives bit-identical predictions for every architecture")
    func roundTrips() throws {
        let width = smallLayout().encodedDimension
        try Self.roundTrip(SharedBottom.Configuration(inputSize: width, taskCount: 3, bottomLayers: [6], towerLayers: [4]),
                           as: SharedBottom.self, name: "shared-bottom")
        try Self.roundTrip(MMoE.Configuration(inputSize: width, taskCount: 3, expertCount: 3, expertLayers: [6, 5],
                                              towerLayers: [4]), as: MMoE.self, name: "mmoe")
        try Self.roundTrip(PLE.Configuration(inputSize: width, taskCount: 3, levels: 2, taskExperts: 1, sharedExperts: 2,
                                             expertLayers: [6], towerLayers: [4]), as: PLE.self, name: "ple")
    }

    @Test("loading into another architecture, configuration or layout is a clear error")
    func mismatches() throws {
        let layout = smallLayout()
        let width = layout.encodedDimension
        var stream = RandomStream(seed: 3)
        let mmoeConfiguration = MMoE.Configuration(inputSize: width, taskCount: 3, expertCount: 2, expertLayers: [4],
                                                   towerLayers: [])
        let ranker = MultiTaskRanker<MMoE>(layout: layout, tasks: Self.tasks, configuration: mmoeConfiguration, stream: &stream)
        let url = Self.temporaryURL("mismatch")
        defer { try? FileManager.default.removeItem(at: url) }
        try ranker.save(to: url)

        func expectMismatch(_ fragment: String, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("expected an architecture mismatch mentioning \(fragment)")
            } catch let error as CheckpointError {
                guard case .architectureMismatch = error.kind else {
                    Issue.record("expected an architecture mismatch, got \(error)")
                    return
                }
                #expect(error.description.contains(fragment), "\(error.description)")
                #expect(error.description.contains(url.path))
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        expectMismatch("\"mmoe\" ranker, expected \"ple\"") { _ = try MultiTaskRanker<PLE>(contentsOf: url) }
        var wider = MultiTaskRanker<MMoE>(layout: layout, tasks: Self.tasks, configuration: .init(
            inputSize: width, taskCount: 3, expertCount: 3, expertLayers: [4], towerLayers: []), stream: &stream)
        expectMismatch("configuration") { try wider.load(from: url) }
        let otherLayout = FeatureLayout(categorical: [.init(name: "item", vocabularySize: 9, embeddingDimension: 3),
                                                      .init(name: "creator", vocabularySize: 4, embeddingDimension: 2)],
                                        numericalDimension: 4, numericalProjection: 3, numericalActivation: .tanh)
        var relaid = MultiTaskRanker<MMoE>(layout: otherLayout, tasks: Self.tasks, configuration: mmoeConfiguration, stream: &stream)
        expectMismatch("feature layout differs: file has field item (vocabulary 7") { try relaid.load(from: url) }
        #expect(relaid.layout == otherLayout, "a failed load leaves the ranker unchanged")

        var stream2 = RandomStream(seed: 4)
        let mlp = MLP(layerSizes: [3, 2], hiddenActivation: .relu, outputActivation: .identity, initialization: .he,
                      stream: &stream2)
        try mlp.save(to: url)
        expectMismatch("not a ranker checkpoint") { _ = try AnyRanker(contentsOf: url) }
    }
}
