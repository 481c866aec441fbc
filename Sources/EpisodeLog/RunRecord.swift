import Foundation
import GRDB

/// The `runs` row as a GRDB record. Runs are written once and read rarely, so the convenient Codable record is
/// the right tool here (the per-step tables use raw prepared statements instead). `[String]` properties are
/// stored as JSON arrays (GRDB's encoding of nested containers), `Date` as UTC `YYYY-MM-DD HH:MM:SS.SSS` text.
struct RunRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "runs"

    var id: Int64?
    var name: String
    var status: String
    var createdAt: Date
    var finishedAt: Date?
    var environmentName: String
    var environmentYAML: String
    /// The UInt64 seed's bit pattern (SQLite integers are signed): seeds ≥ 2⁶³ read back negative in SQL.
    var seed: Int64
    var codeVersion: String
    var policySpec: String
    var policyParameters: String
    var rankerName: String
    var taskNames: [String]
    var stateNames: [String]
    var actionNames: [String]
    var rewardComponentNames: [String]
    var actionLow: Data
    var actionHigh: Data
    var requestedSessions: Int
    var lanes: Int
    var logsCandidates: Bool
    var slateSize: Int
    var candidatesPerRequest: Int
    /// Absent (nil) in version-1 files.
    var randomExposure: Double?

    enum CodingKeys: String, CodingKey {
        case id, name, status, seed, lanes
        case createdAt = "created_at"
        case finishedAt = "finished_at"
        case environmentName = "environment_name"
        case environmentYAML = "environment_yaml"
        case codeVersion = "code_version"
        case policySpec = "policy_spec"
        case policyParameters = "policy_parameters"
        case rankerName = "ranker_name"
        case taskNames = "task_names"
        case stateNames = "state_names"
        case actionNames = "action_names"
        case rewardComponentNames = "reward_component_names"
        case actionLow = "action_low"
        case actionHigh = "action_high"
        case requestedSessions = "requested_sessions"
        case logsCandidates = "logs_candidates"
        case slateSize = "slate_size"
        case candidatesPerRequest = "candidates_per_request"
        case randomExposure = "random_exposure"
    }

    init(metadata m: RunMetadata, status: RunStatus, createdAt: Date) {
        id = nil
        name = m.name
        self.status = status.rawValue
        self.createdAt = createdAt
        finishedAt = nil
        environmentName = m.environmentName
        environmentYAML = m.environmentYAML
        seed = Int64(bitPattern: m.seed)
        codeVersion = m.codeVersion
        policySpec = m.policySpec
        policyParameters = m.policyParameters
        rankerName = m.rankerName
        taskNames = m.taskNames
        stateNames = m.stateNames
        actionNames = m.actionNames
        rewardComponentNames = m.rewardComponentNames
        actionLow = LittleEndianBlob.data(m.actionLow)
        actionHigh = LittleEndianBlob.data(m.actionHigh)
        requestedSessions = m.requestedSessions
        lanes = m.lanes
        logsCandidates = m.logsCandidates
        slateSize = m.slateSize
        candidatesPerRequest = m.candidatesPerRequest
        randomExposure = m.randomExposure
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// The public view of this row; `path` names the file in errors about malformed rows.
    func info(path: String) throws -> RunInfo {
        guard let id, let status = RunStatus(rawValue: status),
              let actionLow = LittleEndianBlob.decode(actionLow, as: Float.self),
              let actionHigh = LittleEndianBlob.decode(actionHigh, as: Float.self)
        else {
            throw EpisodeLogError(path: path, kind: .corrupt("malformed runs row \(id.map(String.init) ?? "?")"))
        }
        let metadata = RunMetadata(
            name: name, environmentName: environmentName, environmentYAML: environmentYAML,
            seed: UInt64(bitPattern: seed), codeVersion: codeVersion, policySpec: policySpec,
            policyParameters: policyParameters, rankerName: rankerName, taskNames: taskNames,
            stateNames: stateNames, actionNames: actionNames, rewardComponentNames: rewardComponentNames,
            actionLow: actionLow, actionHigh: actionHigh, requestedSessions: requestedSessions, lanes: lanes,
            logsCandidates: logsCandidates, slateSize: slateSize, candidatesPerRequest: candidatesPerRequest,
            randomExposure: randomExposure ?? 0)
        return RunInfo(id: Int(id), metadata: metadata, status: status, createdAt: createdAt, finishedAt: finishedAt)
    }
}
