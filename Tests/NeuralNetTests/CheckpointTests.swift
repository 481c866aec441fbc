import Foundation
import NeuralNet
import Numerics
import Testing

@Suite("Checkpoints")
struct CheckpointTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mtfsim-nn-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func network(seed: UInt64 = 80, sizes: [Int] = [3, 5, 2]) -> MLP {
        var stream = RandomStream(seed: seed)
        var net = MLP(layerSizes: sizes, hiddenActivation: .relu, outputActivation: .sigmoid,
                      initialization: .he, stream: &stream)
        net.updateParameters { p in p.value.apply { $0 + 0.01 } }
        return net
    }

    /// Saves a network and returns the file's URL and bytes.
    func saved(_ name: String) throws -> (URL, Data) {
        let url = directory.appendingPathComponent(name)
        try network().save(to: url, metadata: ["features": "age,activity"])
        return (url, try Data(contentsOf: url))
    }

    func expectError(_ url: URL, contains fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try MLP(contentsOf: url)
            Issue.record("loading \(url.lastPathComponent) did not throw", sourceLocation: sourceLocation)
        } catch let error as CheckpointError {
            let message = error.description
            #expect(!message.contains("\n"), "one line: \(message)", sourceLocation: sourceLocation)
            #expect(message.contains(url.path), "names the file: \(message)", sourceLocation: sourceLocation)
            for fragment in fragments {
                #expect(message.contains(fragment), "\"\(fragment)\" in: \(message)", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("round trip: bit-identical weights, predictions and metadata")
    func roundTrip() throws {
        let original = network()
        let url = directory.appendingPathComponent("net.mtfnn")
        try original.save(to: url, kind: "test-policy", metadata: ["features": "age,activity", "seed": "80"])
        let restored = try MLP(contentsOf: url)
        #expect(restored.layerSizes == original.layerSizes)
        #expect(restored.activations == original.activations)
        #expect(restored.parameterVector().map(\.bitPattern) == original.parameterVector().map(\.bitPattern))
        let x = randomMatrix(6, 3, seed: 81)
        #expect(restored.predict(x).elements.map(\.bitPattern) == original.predict(x).elements.map(\.bitPattern))

        var target = network(seed: 99)
        let metadata = try target.load(from: url, expectedKind: "test-policy")
        #expect(metadata == ["features": "age,activity", "seed": "80"])
        #expect(target.parameterVector() == original.parameterVector())

        let checkpoint = try Checkpoint(contentsOf: url)
        #expect(checkpoint.header.kind == "test-policy")
        #expect(checkpoint.header.activations == ["relu", "sigmoid"])
        #expect(Array(try Data(contentsOf: url).prefix(8)) == Array("MTFSIMNN".utf8))
    }

    @Test("saving replaces an existing file and leaves no temporary files")
    func atomicReplace() throws {
        let url = directory.appendingPathComponent("replace.mtfnn")
        try network(seed: 1).save(to: url)
        try network(seed: 2).save(to: url)
        #expect(try MLP(contentsOf: url).parameterVector() == network(seed: 2).parameterVector())
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["replace.mtfnn"])
    }

    @Test("truncated file")
    func truncated() throws {
        let (url, data) = try saved("truncated.mtfnn")
        try data.prefix(data.count - 9).write(to: url)
        expectError(url, contains: ["truncated", "\(data.count - 9) bytes", "expected \(data.count)"])
        try data.prefix(10).write(to: url)
        expectError(url, contains: ["truncated"])
    }

    @Test("flipped byte in the weights or the header")
    func flippedByte() throws {
        let (url, data) = try saved("flipped.mtfnn")
        for offset in [data.count - 20, 30] {
            var corrupted = data
            corrupted[offset] ^= 0x10
            try corrupted.write(to: url)
            expectError(url, contains: ["checksum mismatch", "corrupted"])
        }
    }

    @Test("wrong magic")
    func wrongMagic() throws {
        let (url, data) = try saved("magic.mtfnn")
        var corrupted = data
        corrupted.replaceSubrange(0..<8, with: Array("SQLite f".utf8))
        try corrupted.write(to: url)
        expectError(url, contains: ["not an MTFSim network checkpoint", "SQLite f"])
    }

    @Test("newer format version")
    func newerVersion() throws {
        let (url, data) = try saved("version.mtfnn")
        var newer = data
        newer[8] = UInt8(Checkpoint.formatVersion + 1)
        try newer.write(to: url)
        expectError(url, contains: ["format version \(Checkpoint.formatVersion + 1)", "newer"])
    }

    @Test("architecture mismatch when loading into an expected shape")
    func architectureMismatch() throws {
        let (url, _) = try saved("arch.mtfnn")
        var other = network(sizes: [3, 7, 2])
        let before = other.parameterVector()
        do {
            try other.load(from: url)
            Issue.record("loading into a 3-7-2 network did not throw")
        } catch let error as CheckpointError {
            #expect(error.description.contains("architecture mismatch"))
            #expect(error.description.contains("expected layer sizes [3, 7, 2], file has [3, 5, 2]"))
            #expect(error.description.contains(url.path))
        }
        #expect(other.parameterVector() == before)

        var wrongKind = network()
        #expect(throws: CheckpointError.self) { try wrongKind.load(from: url, expectedKind: "ranker") }

        var layer = Dense(weight: Matrix(rows: 3, columns: 5), bias: Matrix(rows: 1, columns: 5))
        do {
            try Checkpoint(contentsOf: url).restore(into: &layer, path: url.path)
            Issue.record("restoring an MLP checkpoint into one dense layer did not throw")
        } catch let error as CheckpointError {
            #expect(error.description.contains("model has 2 tensors, file has 4"))
        }
    }

    @Test("CRC-32 check value of \"123456789\" is 0xCBF43926")
    func crc() {
        let value = Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) }
        #expect(value == 0xCBF4_3926)
    }

    @Test("a missing file is an I/O error naming it")
    func missingFile() throws {
        let url = directory.appendingPathComponent("missing.mtfnn")
        expectError(url, contains: ["I/O error"])
    }
}
