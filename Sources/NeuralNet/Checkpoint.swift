import Foundation
import Numerics

/// The self-describing part of a checkpoint, stored as JSON.
public struct CheckpointHeader: Codable, Equatable, Sendable {
    /// What the weights are (`"mlp"`, `"mmoe-ranker"`, `"td3-actor"`), chosen by the saver.
    public var kind: String
    /// `[input, hidden…, output]` for MLPs; empty for models that describe themselves in `metadata`.
    public var layerSizes: [Int]
    /// Activation names (`Activation.rawValue`) per layer, aligned with `layerSizes.dropFirst()`.
    public var activations: [String]
    /// Every stored tensor, in the order its values follow the header.
    public var tensors: [TensorDescriptor]
    /// Free-form context for later consumers (feature layout, training run, seed).
    public var metadata: [String: String]
    /// The MTFSim release that wrote the file.
    public var writer: String

    public init(kind: String, layerSizes: [Int] = [], activations: [String] = [],
                tensors: [TensorDescriptor], metadata: [String: String] = [:],
                writer: String = MTFSimVersion.string) {
        self.kind = kind
        self.layerSizes = layerSizes
        self.activations = activations
        self.tensors = tensors
        self.metadata = metadata
        self.writer = writer
    }
}

/// A model's weights with a header describing them, in a versioned, checksummed binary file.
///
/// Layout (all integers little-endian):
///
///     offset 0   8 bytes   magic "MTFSIMNN"
///            8   UInt32    format version (`Checkpoint.formatVersion`)
///           12   UInt32    header length H in bytes
///           16   UInt64    weight length W in bytes (4 × number of scalars)
///           24   H bytes   `CheckpointHeader` as UTF-8 JSON (sorted keys)
///       24 + H   W bytes   Float32 weights, tensors in header order, each row-major
///   24 + H + W   UInt32    CRC-32 of every preceding byte
public struct Checkpoint: Equatable, Sendable {
    public static let magic: [UInt8] = Array("MTFSIMNN".utf8)
    /// The newest format this build writes and reads.
    public static let formatVersion: UInt32 = 1
    static let prefixLength = 24

    public var header: CheckpointHeader
    /// Tensor values, aligned with `header.tensors`.
    public var tensors: [Matrix]

    /// A checkpoint of `model`'s current parameter values.
    public init<Model: ParameterStore>(model: Model, kind: String, layerSizes: [Int] = [],
                                       activations: [Activation] = [], metadata: [String: String] = [:]) {
        var tensors = [Matrix]()
        var descriptors = [TensorDescriptor]()
        model.forEachParameter { p in
            tensors.append(p.value)
            descriptors.append(p.descriptor)
        }
        self.header = CheckpointHeader(kind: kind, layerSizes: layerSizes, activations: activations.map(\.rawValue),
                                       tensors: descriptors, metadata: metadata)
        self.tensors = tensors
    }

    /// A checkpoint from a header and matching tensors.
    public init(header: CheckpointHeader, tensors: [Matrix]) {
        precondition(header.tensors.count == tensors.count
                     && zip(header.tensors, tensors).allSatisfy { $0.rows == $1.rows && $0.columns == $1.columns },
                     "Checkpoint: tensors do not match the header's descriptors")
        self.header = header
        self.tensors = tensors
    }

    // MARK: Encoding

    /// The file's bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        let scalarCount = tensors.reduce(0) { $0 + $1.count }
        var data = Data(capacity: Checkpoint.prefixLength + json.count + 4 * scalarCount + 4)
        data.append(contentsOf: Checkpoint.magic)
        append(Checkpoint.formatVersion, to: &data)
        append(UInt32(json.count), to: &data)
        append(UInt64(4 * scalarCount), to: &data)
        data.append(json)
        for tensor in tensors {
            tensor.withUnsafeBufferPointer { values in
                var bytes = [UInt8](repeating: 0, count: 4 * values.count)
                bytes.withUnsafeMutableBytes { raw in
                    for (i, v) in values.enumerated() {
                        raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                    }
                }
                data.append(contentsOf: bytes)
            }
        }
        let crc = data.withUnsafeBytes { CRC32.checksum($0) }
        append(crc, to: &data)
        return data
    }

    /// Writes the checkpoint to `url` atomically: the bytes go to a temporary file in the same
    /// directory, which is then renamed over `url`, so readers never see a half-written file.
    public func save(to url: URL) throws {
        let data: Data
        do {
            data = try encoded()
        } catch {
            throw CheckpointError(path: url.path, kind: .malformedHeader("cannot encode header: \(error)"))
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw CheckpointError(path: url.path, kind: .io(error.localizedDescription))
        }
    }

    // MARK: Decoding

    /// Reads and verifies the checkpoint at `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CheckpointError(path: url.path, kind: .io(error.localizedDescription))
        }
        try self.init(decoding: data, path: url.path)
    }

    /// Decodes and verifies checkpoint bytes; `path` names the source in errors.
    ///
    /// Checks, in order: magic, format version, declared length against the actual length,
    /// CRC-32, then the header's consistency with the weights.
    public init(decoding data: Data, path: String) throws {
        func fail(_ kind: CheckpointError.Kind) -> CheckpointError { CheckpointError(path: path, kind: kind) }
        let bytes = [UInt8](data)
        let magic = Checkpoint.magic
        let magicPrefix = Array(bytes.prefix(magic.count))
        guard magicPrefix == Array(magic.prefix(magicPrefix.count)) else { throw fail(.wrongMagic(found: magicPrefix)) }
        guard bytes.count >= Checkpoint.prefixLength else {
            throw fail(.truncated(expectedBytes: Checkpoint.prefixLength, actualBytes: bytes.count))
        }
        let version: UInt32 = Checkpoint.read(bytes, at: 8)
        guard version <= Checkpoint.formatVersion, version > 0 else {
            throw fail(.unsupportedVersion(found: version, supported: Checkpoint.formatVersion))
        }
        let headerLength = Int(Checkpoint.read(bytes, at: 12) as UInt32)
        let weightLength64: UInt64 = Checkpoint.read(bytes, at: 16)
        guard weightLength64 < UInt64(Int.max / 2), weightLength64 % 4 == 0 else {
            throw fail(.malformedHeader("weight length \(weightLength64) is not a whole number of Float32 values"))
        }
        let weightLength = Int(weightLength64)
        let expected = Checkpoint.prefixLength + headerLength + weightLength + 4
        guard bytes.count >= expected else { throw fail(.truncated(expectedBytes: expected, actualBytes: bytes.count)) }
        guard bytes.count == expected else { throw fail(.trailingBytes(expectedBytes: expected, actualBytes: bytes.count)) }
        let stored: UInt32 = Checkpoint.read(bytes, at: expected - 4)
        let computed = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(expected - 4)])) }
        guard stored == computed else { throw fail(.checksumMismatch(stored: stored, computed: computed)) }

        let headerStart = Checkpoint.prefixLength
        let header: CheckpointHeader
        do {
            header = try JSONDecoder().decode(CheckpointHeader.self, from: Data(bytes[headerStart..<(headerStart + headerLength)]))
        } catch {
            throw fail(.malformedHeader("cannot decode JSON header: \(error)"))
        }
        // Sizes come from the file: add them up without trapping on overflow (a crafted header must throw, not crash).
        var scalarCount = 0
        var sizesValid = true
        for d in header.tensors {
            let (size, overflow) = d.rows.multipliedReportingOverflow(by: d.columns)
            let (total, overflowTotal) = scalarCount.addingReportingOverflow(size)
            if d.rows < 0 || d.columns < 0 || overflow || overflowTotal || total > weightLength / 4 { sizesValid = false; break }
            scalarCount = total
        }
        guard sizesValid, 4 * scalarCount == weightLength else {
            throw fail(.malformedHeader("tensors \(header.tensors) need \(4 * scalarCount) weight bytes, file has \(weightLength)"))
        }
        var tensors = [Matrix]()
        var offset = headerStart + headerLength
        for d in header.tensors {
            var m = Matrix(rows: d.rows, columns: d.columns)
            m.withUnsafeMutableBufferPointer { values in
                for i in 0..<values.count {
                    values[i] = Float(bitPattern: Checkpoint.read(bytes, at: offset + 4 * i))
                }
            }
            offset += 4 * d.count
            tensors.append(m)
        }
        self.header = header
        self.tensors = tensors
    }

    // MARK: Restoring

    /// Copies the stored values into `model`, whose tensors must have the stored names and shapes.
    ///
    /// - Throws: `CheckpointError.Kind.architectureMismatch` naming the first differing tensor;
    ///   `model` is unchanged when it throws.
    public func restore<Model: ParameterStore>(into model: inout Model, path: String) throws {
        let expected = model.parameterDescriptors
        guard expected.count == header.tensors.count else {
            throw CheckpointError(path: path, kind: .architectureMismatch(
                "model has \(expected.count) tensors, file has \(header.tensors.count)"))
        }
        for (i, (want, have)) in zip(expected, header.tensors).enumerated() where want != have {
            throw CheckpointError(path: path, kind: .architectureMismatch(
                "tensor \(i): model expects \(want), file has \(have)"))
        }
        var i = 0
        model.updateParameters { p in
            p.value = tensors[i]
            i += 1
        }
    }

    private func append<T: FixedWidthInteger>(_ value: T, to data: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
    }

    private static func read<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int) -> T {
        var value = T.zero
        for i in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + i]) << (8 * i) }
        return value
    }
}
