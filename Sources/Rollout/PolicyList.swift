import Foundation
import Simulator
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The policies of a comparison as written on the command line: specs and checkpoint paths, where a glob
/// (`models/td3-seed*.ckpt`) stands for a group of policies, e.g. one agent trained with several seeds.
public struct PolicyList: Sendable, Equatable {
    /// A glob that matches no file.
    public struct NoMatch: Error, CustomStringConvertible, Equatable {
        public var pattern: String
        public var description: String { "no file matches \(pattern)" }
        public init(pattern: String) { self.pattern = pattern }
    }

    /// A group of policies: the glob, and the indices of its members in `specs`.
    public struct Group: Sendable, Equatable {
        public var name: String
        public var members: [Int]
        public init(name: String, members: [Int]) {
            self.name = name
            self.members = members
        }
    }

    /// Every policy in order, globs replaced by the files they match (sorted by path).
    public var specs: [String]
    public var groups: [Group]

    /// `specs` with every glob (a spec containing `*`, `?` or a `[…]` class) expanded against the file system.
    public init(expanding specs: [String]) throws {
        try self.init(expanding: specs, matching: Self.files(matching:))
    }

    /// `specs` with every glob expanded by `match` (the files a pattern names; empty: no match).
    public init(expanding specs: [String], matching match: (String) throws -> [String]) throws {
        var expanded: [String] = [], groups: [Group] = []
        for spec in specs {
            guard spec.contains("*") || spec.contains("?") || (spec.contains("[") && spec.contains("]")) else {
                expanded.append(spec)
                continue
            }
            let files = try match(spec).sorted()
            guard !files.isEmpty else { throw NoMatch(pattern: spec) }
            groups.append(Group(name: spec, members: Array(expanded.count..<(expanded.count + files.count))))
            expanded += files
        }
        self.specs = expanded
        self.groups = groups
    }

    /// The groups in the form `PolicyComparison.summarise(groups:)` takes.
    public var groupIndices: [(name: String, members: [Int])] { groups.map { ($0.name, $0.members) } }

    /// Splits a comma-separated list of specs, keeping a spec's comma-separated weights together: a piece that
    /// starts like a number (`0`, `-5`, `.5`, `1@…`) continues the previous spec. Empty pieces are dropped.
    public static func split(_ list: String) -> [String] {
        var specs: [String] = []
        for piece in list.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let startsNumeric = piece.first.map { $0.isNumber || $0 == "-" || ($0 == "." && piece.dropFirst().first?.isNumber == true) } ?? false
            if startsNumeric, let last = specs.popLast() {
                specs.append(last + "," + piece)
            } else if !piece.isEmpty {
                specs.append(piece)
            }
        }
        return specs
    }

    /// The paths matching the shell pattern `pattern` (POSIX `glob`), unsorted.
    public static func files(matching pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(pattern, 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }
    }
}

extension PolicyComparison {
    /// What `mtfsim compare --json` prints: the users, seeds and sessions, every policy's entry and the groups'
    /// summaries.
    public struct Report: Sendable, Codable {
        public var users: String
        public var seeds: [UInt64]
        public var sessionsPerRun: Int
        public var policies: [Entry]
        public var groups: [Group]
    }

    /// Runs the policies of `list` for `count` consecutive seeds from `firstSeed` (see `run`) and summarises the
    /// list's groups.
    public static func report(config: EnvironmentConfig, policies list: PolicyList, firstSeed: UInt64, seeds count: Int,
                              sessions: Int, threads: Int, users: UserPool,
                              resolve: (String, World) throws -> any FusionPolicy,
                              progress: (@Sendable (Int) -> Void)? = nil) throws -> Report {
        precondition(count > 0, "PolicyComparison.report: no seeds")
        let comparison = try run(config: config, policies: list.specs, seeds: (0..<UInt64(count)).map { firstSeed + $0 },
                                 sessions: sessions, threads: threads, users: users, resolve: resolve, progress: progress)
        return Report(users: users.rawValue, seeds: comparison.seeds, sessionsPerRun: sessions, policies: comparison.entries,
                      groups: comparison.summarise(groups: list.groupIndices))
    }
}
