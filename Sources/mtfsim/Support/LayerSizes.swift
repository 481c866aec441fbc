import ArgumentParser
import Foundation

/// Hidden layer widths given as comma-separated positive integers (`128,128`), as an option type: a malformed value
/// is refused while parsing, with the option's name and what was expected.
struct LayerSizes: ExpressibleByArgument, CustomStringConvertible, Equatable {
    var sizes: [Int]

    init(_ sizes: [Int]) {
        self.sizes = sizes
    }

    init?(argument: String) {
        guard let parsed = try? Self.parse(argument) else { return nil }
        self = parsed
    }

    /// Why a value is not a list of layer sizes; argument-parser prints it after the option and the value.
    struct Malformed: Error, CustomStringConvertible {
        var description: String { "expected comma-separated positive sizes such as 64 or 128,64" }
    }

    /// `text` as layer sizes, for `@Option(transform:)`, which reports the reason.
    static func parse(_ text: String) throws -> LayerSizes {
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { throw Malformed() }
        return LayerSizes(sizes.map { $0! })
    }

    var description: String { sizes.map(String.init).joined(separator: ",") }
    var defaultValueDescription: String { description }
}
