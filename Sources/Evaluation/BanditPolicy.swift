import Foundation

/// An evaluation policy's action probabilities for logged bandit feedback, obp's `action_dist[round, action,
/// position]` = π_e(a | x_round, position), given sparsely: the actions a row lists, others 0.
///
/// Two forms: per round (`round, action, position, probability`: a contextual policy's probabilities in each logged
/// round), or context-free (`action, position, probability`: the same distribution in every round, e.g. a uniform
/// or a fixed-popularity policy). Each (round, position)'s, or each position's, probabilities lie in [0, 1] and sum
/// to 1 over the actions within `sumTolerance`.
public struct BanditPolicy: Sendable {
    public enum Form: String, Sendable, Codable {
        /// π_e given per (round, position).
        case perRound = "per-round"
        /// π_e given per position, the same in every round.
        case contextFree = "context-free"
    }

    /// |Σ_a π_e(a | x, position) − 1| allowed: 1e-6, room for probabilities printed with 7 significant digits.
    public static let sumTolerance = 1e-6

    /// The file as named in messages.
    public var file: String
    public var form: Form
    /// Every action the file lists (in any round or position).
    public let actionSet: Set<Int>
    /// action → probability per (round, position); round −1 in the context-free form.
    let distributions: [BanditKey: [Int: Double]]

    /// Checks each distribution's sum; the per-cell checks (range, duplicates) are the reader's, which knows lines.
    /// `lines` names the first line of each distribution for the message.
    init(file: String, form: Form, distributions: [BanditKey: [Int: Double]], lines: [BanditKey: CSVLocation]) throws(CSVError) {
        self.file = file
        self.form = form
        self.distributions = distributions
        var actions = Set<Int>()
        for (key, distribution) in distributions.sorted(by: { (lines[$0.key]?.line ?? 0) < (lines[$1.key]?.line ?? 0) }) {
            let sum = distribution.values.reduce(0, +)
            guard abs(sum - 1) <= Self.sumTolerance else {
                let at = lines[key] ?? CSVLocation(file: file, line: 1, column: 1)
                let place = form == .perRound ? "round \(key.round), position \(key.position)" : "position \(key.position)"
                throw CSVError(at, "the probabilities of \(place) sum to \(String(format: "%.9g", sum)) over actions "
                                   + distribution.keys.sorted().map(String.init).joined(separator: ", ")
                                   + "; they must sum to 1 (±\(Self.sumTolerance))")
            }
            actions.formUnion(distribution.keys)
        }
        actionSet = actions
    }

    /// action → π_e(a | x_round, position) for the actions listed there, or nil when nothing is listed.
    public func probabilities(round: Int, position: Int) -> [Int: Double]? {
        distributions[BanditKey(round: form == .perRound ? round : -1, action: 0, position: position)]
    }

    /// Whether π_e depends on the round.
    public var dependsOnRound: Bool { form == .perRound }

    /// Names a (round, position) as this form keys it, for messages.
    func place(round: Int, position: Int) -> String {
        form == .perRound ? "round \(round), position \(position)" : "position \(position) (context-free policy)"
    }
}
