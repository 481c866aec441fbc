/// Strict decoding helpers for environment files: every key must be known, every missing key takes
/// the documented default, and every failure names the field path and what was expected.

/// A coding key for any string, used to list the keys a YAML mapping actually has.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// One field of a configuration section: its name in the file and how to decode it into the section.
public struct ConfigField<Section>: Sendable {
    let name: String
    let decode: @Sendable (inout Section, KeyedDecodingContainer<AnyCodingKey>) throws -> Void

    /// An optional field: when absent, the section keeps its default.
    static func field<Value: Decodable>(_ name: String, _ keyPath: WritableKeyPath<Section, Value> & Sendable) -> ConfigField {
        ConfigField(name: name) { section, container in
            if let value = try container.decodeIfPresent(Value.self, forKey: AnyCodingKey(stringValue: name)) {
                section[keyPath: keyPath] = value
            }
        }
    }

    /// A required field: absent is an error naming it.
    static func required<Value: Decodable>(_ name: String, _ keyPath: WritableKeyPath<Section, Value> & Sendable) -> ConfigField {
        ConfigField(name: name) { section, container in
            section[keyPath: keyPath] = try container.decode(Value.self, forKey: AnyCodingKey(stringValue: name))
        }
    }
}

/// A configuration section decoded strictly from its list of fields.
public protocol StrictConfig: Decodable {
    /// The section with every field at its default.
    init()
    /// The fields the section accepts, in file order.
    static var fields: [ConfigField<Self>] { get }
}

extension StrictConfig {
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        let known = Set(Self.fields.map(\.name))
        for key in container.allKeys where !known.contains(key.stringValue) {
            let expected = Self.fields.map(\.name).sorted().joined(separator: ", ")
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath + [key],
                debugDescription: "unknown field; expected one of: \(expected)"))
        }
        self.init()
        for field in Self.fields { try field.decode(&self, container) }
    }
}
