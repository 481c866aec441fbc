import Foundation

/// A 4-byte value stored in the log's vector BLOBs: `Float` (IEEE-754 binary32) or `Int32`, little-endian,
/// packed without padding, so a vector of n values is a BLOB of 4n bytes that any client can decode
/// (`numpy.frombuffer(b, '<f4')`, Python's `array('f')`).
protocol LittleEndianBlobElement {
    var blobBits: UInt32 { get }
    init(blobBits: UInt32)
}

extension Float: LittleEndianBlobElement {
    var blobBits: UInt32 { bitPattern }
    init(blobBits: UInt32) { self.init(bitPattern: blobBits) }
}

extension Int32: LittleEndianBlobElement {
    var blobBits: UInt32 { UInt32(bitPattern: self) }
    init(blobBits: UInt32) { self.init(bitPattern: blobBits) }
}

/// Encoding and decoding of vector BLOBs; bit-exact (NaN payloads, −0.0 and subnormals survive).
enum LittleEndianBlob {
    /// Calls `body` with the little-endian bytes of `values`. On little-endian hosts these are the array's own
    /// storage (no copy); `body` must not keep the pointer.
    @inline(__always)
    static func withBytes<Element: LittleEndianBlobElement, R>(
        of values: [Element], _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        #if _endian(little)
        return try values.withUnsafeBytes(body)
        #else
        let swapped = values.map { $0.blobBits.littleEndian }
        return try swapped.withUnsafeBytes(body)
        #endif
    }

    /// The BLOB of `values` as `Data` (for metadata records).
    static func data<Element: LittleEndianBlobElement>(_ values: [Element]) -> Data {
        withBytes(of: values) { Data($0) }
    }

    /// Decodes a BLOB of `bytes.count / 4` values; `nil` when the length is not a multiple of 4.
    static func decode<Element: LittleEndianBlobElement>(
        _ bytes: UnsafeRawBufferPointer, as: Element.Type = Element.self
    ) -> [Element]? {
        guard bytes.count % 4 == 0 else { return nil }
        let count = bytes.count / 4
        return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                let bits = bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                buffer[i] = Element(blobBits: UInt32(littleEndian: bits))
            }
            initialized = count
        }
    }

    /// Decodes a `Data` BLOB (`nil` data, as SQLite returns for an empty BLOB, decodes to `[]`).
    static func decode<Element: LittleEndianBlobElement>(_ data: Data?, as: Element.Type = Element.self) -> [Element]? {
        guard let data else { return [] }
        return data.withUnsafeBytes { decode($0, as: Element.self) }
    }
}
