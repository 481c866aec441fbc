import ArgumentParser
import Foundation

/// A comma-separated list of positive layer sizes such as `64` or `128,64` (`--hidden`, `--expert-layers`,
/// `--tower-layers`), as an option type: anything else (empty, zero, negative, not a number) is refused while
/// parsing, with the option's name and what was expected.
struct LayerSizes: ExpressibleByArgument, Equatable, Sendable, CustomStringConvertible {
    let values: [Int]

    init(_ values: [Int]) {
        self.values = values
    }

    init?(argument: String) {
        guard let values = PositiveIntegerList.parse(argument) else { return nil }
        self.values = values
    }

    /// Why a value is not a list of layer sizes; argument-parser prints it after the option and the value.
    struct Malformed: Error, CustomStringConvertible {
        var description: String { "expected comma-separated positive sizes such as 64 or 128,64" }
    }

    /// `text` as layer sizes, for `@Option(transform:)`, which reports the reason.
    static func parse(_ text: String) throws -> LayerSizes {
        guard let sizes = LayerSizes(argument: text) else { throw Malformed() }
        return sizes
    }

    var description: String { values.map(String.init).joined(separator: ",") }
    var defaultValueDescription: String { description }
}

/// A comma-separated list of positive integers (`bench simulate --threads 1,2,4`).
struct PositiveIntegerList: ExpressibleByArgument, Equatable, Sendable {
    let values: [Int]

    init?(argument: String) {
        guard let values = Self.parse(argument) else { return nil }
        self.values = values
    }

    /// The integers of `text` (spaces around each allowed), or nil if it is empty or any piece is not a positive integer.
    static func parse(_ text: String) -> [Int]? {
        let pieces = text.split(separator: ",", omittingEmptySubsequences: false)
        let values = pieces.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !pieces.isEmpty, values.count == pieces.count, values.allSatisfy({ $0 > 0 }) else { return nil }
        return values
    }
}
