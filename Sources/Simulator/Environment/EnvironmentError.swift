/// A problem with an environment file, naming the file, the field path and what was expected.
public struct EnvironmentError: Error, Equatable, CustomStringConvertible {
    /// The file (as given by the user) or `<string>` for in-memory YAML.
    public var file: String
    /// Dotted path of the offending field, e.g. `catalog.items` or `tasks[2].given`; empty for the whole file.
    public var fieldPath: String
    /// What was wrong and what was expected.
    public var message: String

    public init(file: String, fieldPath: String, message: String) {
        self.file = file
        self.fieldPath = fieldPath
        self.message = message
    }

    /// One line: `file: field.path: message`.
    public var description: String {
        fieldPath.isEmpty ? "\(file): \(message)" : "\(file): \(fieldPath): \(message)"
    }
}

/// A configuration enum whose decoding error lists the accepted values.
public protocol ConfigEnum: RawRepresentable, CaseIterable, Decodable where RawValue == String {}

extension ConfigEnum {
    public init(from decoder: Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: raw) else {
            let accepted = Self.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "expected one of \(accepted), got '\(raw)'"))
        }
        self = value
    }
}

extension EnvironmentConfig.Domain: ConfigEnum {}
extension TaskConfig.Kind: ConfigEnum {}
extension RankerConfig.Kind: ConfigEnum {}
extension FusionConfig.Form: ConfigEnum {}
extension CalibrationTarget.Metric: ConfigEnum {}
