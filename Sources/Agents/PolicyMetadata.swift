import Foundation
import Simulator

/// The metadata that every policy checkpoint kind holds (`ActorPolicy`'s `mtfsim-policy`, `BCQPolicy`'s
/// `mtfsim-bcq-policy`), written and read in one place so that both kinds check them alike and fail with the same
/// errors: `stateNames`, the raw action box (`actionNames`, `actionLow`, `actionHigh`, `actionBaseline`) and the
/// frozen observation statistics (`normalizer`), each a JSON value; and whether the policy fits an environment.
struct PolicyMetadata {
    /// The checkpoint's metadata entries.
    let entries: [String: String]
    /// Names the file in errors.
    let path: String

    /// Writes the state names, the action box and `normalizer` into `metadata`.
    static func write(environment: AgentEnvironment, normalizer: NormalizerStatistics, into metadata: inout [String: String]) {
        let space = environment.actionSpace
        metadata["stateNames"] = json(environment.stateNames)
        metadata["actionNames"] = json(space.names)
        metadata["actionLow"] = json(space.low)
        metadata["actionHigh"] = json(space.high)
        metadata["actionBaseline"] = json(space.baseline)
        metadata["normalizer"] = json(normalizer)
    }

    /// Compact JSON (sorted keys) of a metadata value.
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { preconditionFailure("policy metadata: cannot encode \(T.self)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The error `kind` about this file.
    func fail(_ kind: PolicyCheckpointError.Kind) -> PolicyCheckpointError { PolicyCheckpointError(path: path, kind: kind) }

    /// The JSON value of `key`.
    ///
    /// - Throws: `PolicyCheckpointError` when the entry is missing or does not decode as `T`.
    func value<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
        guard let text = entries[key] else { throw fail(.missingMetadata(key: key)) }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw fail(.malformedMetadata(key: key, reason: "cannot decode \(T.self) from \(text.prefix(80))"))
        }
    }

    /// The environment (state names and action box) and the observation statistics the policy was saved with.
    ///
    /// - Throws: `PolicyCheckpointError` when an entry is missing or malformed, the action box is empty or not one
    ///   low < high per name, or the statistics do not cover the state features.
    func environmentAndNormalizer() throws -> (environment: AgentEnvironment, normalizer: NormalizerStatistics) {
        let stateNames = try value("stateNames", as: [String].self)
        let names = try value("actionNames", as: [String].self)
        let low = try value("actionLow", as: [Float].self)
        let high = try value("actionHigh", as: [Float].self)
        let baseline = try value("actionBaseline", as: [Float].self)
        guard !names.isEmpty, low.count == names.count, high.count == names.count, baseline.count == names.count,
              zip(low, high).allSatisfy({ $0 < $1 }) else {
            throw fail(.malformedMetadata(key: "actionLow", reason: "the action box needs one low < high per name, "
                                          + "got \(names.count) names, \(low.count) lows, \(high.count) highs"))
        }
        let normalizer = try value("normalizer", as: NormalizerStatistics.self)
        guard !stateNames.isEmpty, normalizer.mean.count == stateNames.count, normalizer.scale.count == stateNames.count else {
            throw fail(.malformedMetadata(key: "normalizer", reason: "\(normalizer.mean.count) statistics for \(stateNames.count) state features"))
        }
        let environment = AgentEnvironment(stateNames: stateNames,
                                           actionSpace: ActionSpace(names: names, low: low, high: high, baseline: baseline))
        return (environment, normalizer)
    }

    /// Checks that a policy saved for `environment` can act in `expected`: the same state features and action names,
    /// in order, and an action box inside the expected one (a policy may act in a smaller box, a residual box
    /// around the production weights, never outside).
    ///
    /// - Throws: `PolicyCheckpointError.Kind.stateMismatch` or `.actionMismatch` naming the first difference.
    func check(_ environment: AgentEnvironment, fits expected: AgentEnvironment) throws {
        if let reason = PolicyMetadata.difference(file: environment.stateNames, environment: expected.stateNames,
                                                  what: "state feature") {
            throw fail(.stateMismatch(reason))
        }
        let (file, space) = (environment.actionSpace, expected.actionSpace)
        if let reason = PolicyMetadata.difference(file: file.names, environment: space.names, what: "action") {
            throw fail(.actionMismatch(reason))
        }
        for i in file.names.indices where file.low[i] < space.low[i] || file.high[i] > space.high[i] {
            throw fail(.actionMismatch("\(file.names[i]) has bounds [\(file.low[i]), \(file.high[i])] in the file, outside "
                                       + "[\(space.low[i]), \(space.high[i])] in the environment"))
        }
    }

    /// The first difference between two name lists, in words, or `nil` when equal.
    static func difference(file: [String], environment: [String], what: String) -> String? {
        for i in 0..<min(file.count, environment.count) where file[i] != environment[i] {
            return "\(what) \(i) is \"\(file[i])\" in the file, \"\(environment[i])\" in the environment"
                + (file.count == environment.count ? "" : " (file has \(file.count), environment \(environment.count))")
        }
        if file.count < environment.count {
            return "the file has \(file.count) \(what)s, the environment \(environment.count); first missing: \"\(environment[file.count])\""
        }
        if file.count > environment.count {
            return "the file has \(file.count) \(what)s, the environment \(environment.count); first extra: \"\(file[environment.count])\""
        }
        return nil
    }
}
