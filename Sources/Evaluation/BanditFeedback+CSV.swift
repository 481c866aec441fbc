import Foundation

// Reading logged bandit feedback, evaluation policies and reward-model estimates from CSV files (the format is in
// docs/bandit-feedback.md). Every refusal is a `CSVError` naming the file, the line (the header is line 1) and the
// column where the offending field begins.

extension BanditFeedback {
    /// The columns a logged file must have; any other column is context.
    public static let requiredColumns = ["round", "action", "position", "reward", "pscore"]

    /// Reads a logged file: `round, action, position, reward, pscore` and optional numeric context columns, in any
    /// order. round, action and position are integers ≥ 0, reward a finite number, pscore in (0, 1]; one row per
    /// (round, position).
    public static func read(path: String) throws(CSVError) -> BanditFeedback {
        let table = try CSVTable(path: path)
        let c = try table.requireColumns(requiredColumns, what: "a logged file")
        let context = table.header.indices.filter { !requiredColumns.contains(table.header[$0].text) }
        var rows: [Row] = []
        try table.forEachRecord { record throws(CSVError) in
            let pscore = try table.number(record, c[4], "pscore")
            guard pscore > 0 && pscore <= 1 else {
                throw CSVError(table.location(record, c[4]), "pscore \(record.fields[c[4]].text) must lie in (0, 1]: "
                                                             + "the logging policy's probability of the logged action")
            }
            for k in context { _ = try table.number(record, k, table.header[k].text) }
            rows.append(Row(round: try table.integer(record, c[0], "round"), action: try table.integer(record, c[1], "action"),
                            position: try table.integer(record, c[2], "position"), reward: try table.number(record, c[3], "reward"),
                            pscore: pscore, line: record.line, roundColumn: record.fields[c[0]].column,
                            actionColumn: record.fields[c[1]].column, pscoreColumn: record.fields[c[4]].column))
        }
        return try BanditFeedback(file: path, rows: rows, contextColumns: context.map { table.header[$0].text })
    }
}

extension BanditPolicy {
    /// Reads a policy file; the form follows from the header: with a `round` column, `round, action, position,
    /// probability` (per round), without one, `action, position, probability` (context-free). Probabilities lie in
    /// [0, 1], an (round,) action, position is listed once, and each distribution sums to 1 (`sumTolerance`).
    public static func read(path: String) throws(CSVError) -> BanditPolicy {
        let table = try CSVTable(path: path)
        let form: Form = table.column("round") == nil ? .contextFree : .perRound
        let names = form == .perRound ? ["round", "action", "position", "probability"] : ["action", "position", "probability"]
        let c = try table.requireColumns(names, what: "a \(form.rawValue) policy file", exclusive: true)
        var distributions: [BanditKey: [Int: Double]] = [:]
        var firstLines: [BanditKey: CSVLocation] = [:]
        var seen: [BanditKey: Int] = [:]
        let offset = form == .perRound ? 1 : 0
        try table.forEachRecord { record throws(CSVError) in
            let round = form == .perRound ? try table.integer(record, c[0], "round") : -1
            let action = try table.integer(record, c[offset], "action")
            let position = try table.integer(record, c[offset + 1], "position")
            let probability = try table.number(record, c[offset + 2], "probability")
            guard probability >= 0 && probability <= 1 else {
                throw CSVError(table.location(record, c[offset + 2]), "probability \(record.fields[c[offset + 2]].text) must lie in [0, 1]")
            }
            let cell = BanditKey(round: round, action: action, position: position)
            if let earlier = seen[cell] {
                throw CSVError(table.location(record, c[0]), "action \(action) at "
                               + (form == .perRound ? "round \(round), " : "") + "position \(position) is listed twice (lines \(earlier) and \(record.line))")
            }
            seen[cell] = record.line
            let key = BanditKey(round: round, action: 0, position: position)
            distributions[key, default: [:]][action] = probability
            if firstLines[key] == nil { firstLines[key] = table.location(record, c[offset + 2]) }
        }
        guard !distributions.isEmpty else { throw CSVError(CSVLocation(file: path, line: 2, column: 1), "no probability listed") }
        return try BanditPolicy(file: path, form: form, distributions: distributions, lines: firstLines)
    }
}

extension RewardModelEstimates {
    /// Reads a reward-model file: `round, action, position, estimate` (q̂, a finite number), each cell once, every
    /// action among `actions` (the policy's).
    public static func read(path: String, actions: Set<Int>, policyFile: String) throws(CSVError) -> RewardModelEstimates {
        let table = try CSVTable(path: path)
        let c = try table.requireColumns(["round", "action", "position", "estimate"], what: "a reward-model file", exclusive: true)
        var values: [BanditKey: Double] = [:]
        var lines: [BanditKey: Int] = [:]
        try table.forEachRecord { record throws(CSVError) in
            let key = BanditKey(round: try table.integer(record, c[0], "round"), action: try table.integer(record, c[1], "action"),
                                position: try table.integer(record, c[2], "position"))
            guard actions.contains(key.action) else {
                throw CSVError(table.location(record, c[1]), "action \(key.action) is not among the actions of the policy file \(policyFile)")
            }
            if let earlier = lines[key] {
                throw CSVError(table.location(record, c[0]), "round \(key.round), action \(key.action), position \(key.position) "
                                                             + "is listed twice (lines \(earlier) and \(record.line))")
            }
            lines[key] = record.line
            values[key] = try table.number(record, c[3], "estimate")
        }
        return RewardModelEstimates(file: path, values: values)
    }
}

extension CSVTable {
    /// The indices of `names`; refuses a missing one at the header, and with `exclusive` any other column.
    func requireColumns(_ names: [String], what: String, exclusive: Bool = false) throws(CSVError) -> [Int] {
        let expected = names.joined(separator: ", ")
        var indices: [Int] = []
        for name in names {
            guard let index = column(name) else {
                throw CSVError(CSVLocation(file: file, line: 1, column: 1),
                               "no column \"\(name)\"; \(what) has columns \(expected) (the header has \(columnNames.joined(separator: ", ")))")
            }
            indices.append(index)
        }
        if exclusive, let extra = header.first(where: { !names.contains($0.text) }) {
            throw CSVError(CSVLocation(file: file, line: extra.line, column: extra.column),
                           "unexpected column \"\(extra.text)\"; \(what) has exactly the columns \(expected)")
        }
        return indices
    }

    /// Field `index` of `record` as an integer ≥ 0 (digits only, surrounding spaces allowed).
    func integer(_ record: Record, _ index: Int, _ name: String) throws(CSVError) -> Int {
        let text = Self.trimmed(record.fields[index].text)
        guard let value = Int(text), text.first != "+" else {
            throw CSVError(location(record, index), "\(name) \"\(record.fields[index].text)\" is not an integer")
        }
        guard value >= 0 else { throw CSVError(location(record, index), "\(name) \(value) is negative; it must be ≥ 0") }
        return value
    }

    /// Field `index` of `record` as a finite number (surrounding spaces allowed).
    func number(_ record: Record, _ index: Int, _ name: String) throws(CSVError) -> Double {
        let text = Self.trimmed(record.fields[index].text)
        guard let value = Double(text), value.isFinite else {
            throw CSVError(location(record, index), "\(name) \"\(record.fields[index].text)\" is not a finite number")
        }
        return value
    }

    /// `text` without surrounding spaces and tabs, without copying.
    static func trimmed(_ text: String) -> Substring {
        var slice = text[...]
        while let c = slice.first, c == " " || c == "\t" { slice.removeFirst() }
        while let c = slice.last, c == " " || c == "\t" { slice.removeLast() }
        return slice
    }
}
