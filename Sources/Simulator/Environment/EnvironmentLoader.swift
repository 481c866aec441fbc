import Foundation
import Yams

/// Reads environment files: YAML → typed, validated `EnvironmentConfig`.
public enum EnvironmentLoader {
    /// Loads and validates the environment at `path`, returning it with the file's text
    /// (the episode log records the configuration as written).
    public static func load(path: String) throws(EnvironmentError) -> (config: EnvironmentConfig, text: String) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw EnvironmentError(file: path, fieldPath: "",
                                   message: exists ? "cannot read the file as UTF-8 text" : "no such file")
        }
        var config = try decode(yaml: text, file: path)
        // Feature files named relative to the environment file are found next to it, wherever the command runs.
        let directory = (path as NSString).deletingLastPathComponent
        func relocate(_ file: String?) -> String? {
            guard let file, !file.hasPrefix("/"), !directory.isEmpty else { return file }
            let beside = (directory as NSString).appendingPathComponent(file)
            return FileManager.default.fileExists(atPath: beside) ? beside : file
        }
        if var kuairand = config.kuairand {
            kuairand.videoFeatures = relocate(kuairand.videoFeatures)
            kuairand.userFeatures = relocate(kuairand.userFeatures)
            config.kuairand = kuairand
        }
        return (config, text)
    }

    /// Loads `nameOrPath`: a file when it exists; otherwise an embedded preset, named either bare
    /// (`tiny`) or as its path in the repository (`environments/tiny.yaml`), so defaults work from any directory.
    public static func resolve(_ nameOrPath: String) throws(EnvironmentError) -> (config: EnvironmentConfig, text: String) {
        if FileManager.default.fileExists(atPath: nameOrPath) { return try load(path: nameOrPath) }
        let name = presetName(nameOrPath)
        guard let text = EmbeddedEnvironments.presets[name] else {
            let presets = EmbeddedEnvironments.presets.keys.sorted().joined(separator: ", ")
            throw EnvironmentError(file: nameOrPath, fieldPath: "", message: "no such file, and not a preset (presets: \(presets))")
        }
        return (try decode(yaml: text, file: "preset \(name)"), text)
    }

    static func presetName(_ nameOrPath: String) -> String {
        var name = nameOrPath
        if name.hasPrefix("environments/") { name.removeFirst("environments/".count) }
        if name.hasSuffix(".yaml") { name.removeLast(".yaml".count) }
        return name
    }

    /// Decodes and validates environment YAML; `file` names the source in errors.
    public static func decode(yaml: String, file: String = "<string>") throws(EnvironmentError) -> EnvironmentConfig {
        let config: EnvironmentConfig
        do {
            config = try YAMLDecoder().decode(EnvironmentConfig.self, from: yaml)
        } catch let error as DecodingError {
            throw describe(error, file: file)
        } catch {
            throw EnvironmentError(file: file, fieldPath: "", message: "not valid YAML: \(oneLine(error))")
        }
        if let problem = config.validationProblems().first {
            throw EnvironmentError(file: file, fieldPath: problem.path, message: problem.message)
        }
        return config
    }

    static func describe(_ error: DecodingError, file: String) -> EnvironmentError {
        switch error {
        case let .typeMismatch(type, context):
            return EnvironmentError(file: file, fieldPath: path(context.codingPath),
                                    message: "expected \(typeName(type))\(found(context))")
        case let .valueNotFound(type, context):
            return EnvironmentError(file: file, fieldPath: path(context.codingPath),
                                    message: "expected \(typeName(type)), found nothing")
        case let .keyNotFound(key, context):
            return EnvironmentError(file: file, fieldPath: path(context.codingPath + [key]),
                                    message: "missing required field")
        case let .dataCorrupted(context):
            let message = context.debugDescription.isEmpty ? "invalid value" : oneLine(context.debugDescription)
            return EnvironmentError(file: file, fieldPath: path(context.codingPath),
                                    message: context.codingPath.isEmpty && context.underlyingError != nil
                                        ? "not valid YAML: \(oneLine(String(describing: context.underlyingError!)))"
                                        : message)
        @unknown default:
            return EnvironmentError(file: file, fieldPath: "", message: oneLine(String(describing: error)))
        }
    }

    static func found(_ context: DecodingError.Context) -> String {
        let text = oneLine(context.debugDescription)
        for (node, what) in [("Sequence", "a list"), ("Mapping", "a mapping"), ("Node", "something else")]
        where text.hasSuffix("found \(node) instead.") {
            return ", found \(what)"
        }
        return text.isEmpty ? "" : " (\(text))"
    }

    /// `catalog.items`, `tasks[2].given`.
    static func path(_ codingPath: [CodingKey]) -> String {
        var out = ""
        for key in codingPath {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return out
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is Double.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.hasSuffix("Sequence") { return "a list" }
            if name.hasSuffix("Scalar") { return "a single value" }
            return "a mapping"
        }
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    static func oneLine(_ error: Error) -> String { oneLine(String(describing: error)) }
}
