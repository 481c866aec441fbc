import Foundation

/// One input of `mtfsim report`: an episode log, or a JSON output of `train`, `train-offline`, `compare` or
/// `evaluate`, recognised by its content (never by its file name).
public struct ReportInput: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case episodeLog = "episode-log"
        case train
        case trainOffline = "train-offline"
        case compare
        case evaluate
    }

    public var path: String
    public var kind: Kind
    /// The parsed document of a JSON input (`nil` for a log, which is read later, streaming).
    public var json: JSONValue?

    /// The first bytes of every SQLite database file.
    static let sqliteHeader = Array("SQLite format 3\u{0}".utf8)

    /// The newest `formatVersion` of the CLI's JSON outputs this build reads.
    public static let supportedFormatVersion = 1

    /// Recognises `path`: a SQLite file is taken as an episode log (the log reader then checks it); a JSON document
    /// by its `kind` member, or, for outputs written before `kind` existed, by its members.
    public static func recognise(_ path: String) throws(ReportError) -> ReportInput {
        // The header first: a log is only opened by the log reader, never read whole here.
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ReportError(file: path, FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: sqliteHeader.count)) ?? Data()
        if head.elementsEqual(sqliteHeader) { return ReportInput(path: path, kind: .episodeLog, json: nil) }
        guard let rest = try? handle.readToEnd() ?? Data() else { throw ReportError(file: path, "cannot read the file") }
        let data = head + rest
        guard let firstByte = data.first(where: { ![0x20, 0x0a, 0x0d, 0x09].contains($0) }) else {
            throw ReportError(file: path, "empty file, not an episode log or a JSON output of mtfsim")
        }
        guard firstByte == UInt8(ascii: "{") || firstByte == UInt8(ascii: "[") else {
            throw ReportError(file: path, "unknown kind of input: neither an episode log (SQLite) nor a JSON output of "
                              + "mtfsim train, train-offline, compare or evaluate")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch {
            throw ReportError(file: path, "truncated or malformed JSON (\(Self.reason(error)))")
        }
        guard json.object != nil else {
            throw ReportError(file: path, "unknown kind of input: a JSON document that is not an object")
        }
        if let version = json["formatVersion"]?.number, !(version <= Double(supportedFormatVersion)) {
            throw ReportError(file: path, "format version \(json["formatVersion"]?.numberText ?? "?") is newer than this build reads "
                              + "(\(supportedFormatVersion)); upgrade MTFSim to report it")
        }
        if let kind = json["kind"] {
            guard let name = kind.string, let known = Kind(rawValue: name), known != .episodeLog else {
                throw ReportError(file: path, "unknown kind \(kind.encoded()) (known: train, train-offline, compare, evaluate)")
            }
            return ReportInput(path: path, kind: known, json: json)
        }
        guard let inferred = infer(json) else {
            throw ReportError(file: path, "unknown kind of input: a JSON document that is not an output of mtfsim train, "
                              + "train-offline, compare or evaluate")
        }
        return ReportInput(path: path, kind: inferred, json: json)
    }

    /// The kind of an output without a `kind` member (MTFSim before format version 1), from its members.
    static func infer(_ json: JSONValue) -> Kind? {
        if json["curve"] != nil, json["agent"] != nil {
            return json["sources"] != nil || json["evaluationWorldSeed"] != nil ? .trainOffline : .train
        }
        if json["policies"] != nil, json["sessionsPerRun"] != nil { return .compare }
        if json["policies"] != nil, json["estimand"] != nil { return .evaluate }
        return nil
    }

    /// A short reason from a decoding error.
    static func reason(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        default:
            return "\(decoding)"
        }
    }
}
