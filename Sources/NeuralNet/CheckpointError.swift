import Foundation

/// Why a checkpoint could not be read or written; `description` is one line naming the file.
public struct CheckpointError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public enum Kind: Equatable, Sendable {
        /// The file could not be read or written (`reason` from the system).
        case io(String)
        /// The file does not start with `MTFSIMNN`.
        case wrongMagic(found: [UInt8])
        /// The format version is newer than this build reads.
        case unsupportedVersion(found: UInt32, supported: UInt32)
        /// The file is shorter than its header declares.
        case truncated(expectedBytes: Int, actualBytes: Int)
        /// The file is longer than its header declares.
        case trailingBytes(expectedBytes: Int, actualBytes: Int)
        /// The stored CRC-32 does not match the contents (a corrupted byte).
        case checksumMismatch(stored: UInt32, computed: UInt32)
        /// The JSON header cannot be decoded or disagrees with the weights.
        case malformedHeader(String)
        /// The checkpoint holds another architecture than the model it is loaded into.
        case architectureMismatch(String)
    }

    /// The checkpoint's path.
    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String {
        let what: String
        switch kind {
        case .io(let reason):
            what = "I/O error: \(reason)"
        case .wrongMagic(let found):
            let shown = String(decoding: found.map { (32..<127).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            what = "not an MTFSim network checkpoint (magic is \"\(shown)\", expected \"MTFSIMNN\")"
        case .unsupportedVersion(let found, let supported):
            what = "format version \(found) is newer than this build supports (\(supported)); upgrade MTFSim to read it"
        case .truncated(let expected, let actual):
            what = "file is truncated: \(actual) bytes, expected \(expected)"
        case .trailingBytes(let expected, let actual):
            what = "file has unexpected trailing bytes: \(actual) bytes, expected \(expected)"
        case .checksumMismatch(let stored, let computed):
            what = "checksum mismatch (stored CRC-32 \(hex(stored)), computed \(hex(computed))): the file is corrupted"
        case .malformedHeader(let reason):
            what = "malformed header: \(reason)"
        case .architectureMismatch(let reason):
            what = "architecture mismatch: \(reason)"
        }
        return "checkpoint \(path): \(what)"
    }

    public var errorDescription: String? { description }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
