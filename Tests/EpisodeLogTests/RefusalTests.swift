import EpisodeLog
import Foundation
import GRDB
import Testing

/// Files that are not MTFSim logs this build can read are refused with one clear line and left untouched.
@Suite struct RefusalTests {
    /// How to make a bad file in `directory` from a good log at `log`, and what the refusal must say.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var make: @Sendable (_ log: String, _ bad: String) throws -> Void
        var expectedKind: @Sendable (EpisodeLogError.Kind) -> Bool
        var expectedText: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "text file", make: { _, bad in
            try "name: tiny\nusers: 10\n".write(toFile: bad, atomically: true, encoding: .utf8)
        }, expectedKind: { if case .notSQLite = $0 { true } else { false } },
        expectedText: "not a SQLite database (starts with \"name: tiny?users\")"),

        Case(name: "random bytes", make: { _, bad in
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try Data(bytes).write(to: URL(fileURLWithPath: bad))
        }, expectedKind: { if case .notSQLite = $0 { true } else { false } },
        expectedText: "not a SQLite database"),

        Case(name: "empty file", make: { _, bad in
            _ = FileManager.default.createFile(atPath: bad, contents: Data())
        }, expectedKind: { $0 == .emptyFile }, expectedText: "file is empty"),

        Case(name: "truncated log", make: { log, bad in
            let data = try Data(contentsOf: URL(fileURLWithPath: log))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: bad))
        }, expectedKind: { if case .truncated = $0 { true } else { false } },
        expectedText: "database is truncated"),

        Case(name: "corrupted page", make: { log, bad in
            var data = try Data(contentsOf: URL(fileURLWithPath: log))
            let pageSize = 4096
            precondition(data.count >= 8 * pageSize, "the fixture log is too small")
            for i in (3 * pageSize)..<(data.count - pageSize) where i % 7 == 0 { data[i] = 0xA5 }
            try data.write(to: URL(fileURLWithPath: bad))
        }, expectedKind: { if case .corrupt = $0 { true } else { false } },
        expectedText: "database is corrupt"),

        Case(name: "foreign SQLite database", make: { _, bad in
            let queue = try DatabaseQueue(path: bad)
            try queue.write { db in try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)") }
            try queue.close()
        }, expectedKind: { if case .notEpisodeLog = $0 { true } else { false } },
        expectedText: "not an MTFSim episode log: SQLite application_id is 0x00000000, expected 0x4d544653"),

        Case(name: "newer schema version", make: { log, bad in
            try FileManager.default.copyItem(atPath: log, toPath: bad)
            let queue = try DatabaseQueue(path: bad)
            try queue.write { db in try db.execute(sql: "PRAGMA user_version = 99") }
            try queue.close()
        }, expectedKind: { $0 == .newerSchema(found: 99, supported: EpisodeLogFile.schemaVersion) },
        expectedText: "schema version 99 is newer than this build supports (\(EpisodeLogFile.schemaVersion))"),
    ]

    @Test(arguments: cases)
    func refusedWithAClearMessageAndLeftUnchanged(_ testCase: Case) throws {
        try Fixtures.withTemporaryDirectory { directory in
            let log = directory.appendingPathComponent("good.sqlite").path
            try Fixtures.writeLog(path: log, sessions: Fixtures.sessions(episodes: 40, metadata: Fixtures.metadata()))
            let bad = directory.appendingPathComponent("bad.sqlite").path
            try testCase.make(log, bad)
            let before = try Data(contentsOf: URL(fileURLWithPath: bad))
            let filesBefore = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()

            for (what, attempt) in [("open", { _ = try EpisodeLogFile.open(path: bad) }),
                                    ("openForWriting", { _ = try EpisodeLogFile.openForWriting(path: bad) })]
                as [(String, () throws -> Void)]
            {
                do {
                    try attempt()
                    Issue.record("\(what) accepted a \(testCase.name)")
                } catch let error as EpisodeLogError {
                    #expect(testCase.expectedKind(error.kind), "\(what): \(error.kind)")
                    #expect(error.description.hasPrefix("episode log \(bad): "), "\(error)")
                    #expect(error.description.contains(testCase.expectedText), "\(what): \(error)")
                    #expect(!error.description.contains("\n"))
                }
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: bad)) == before, "the refused file was modified")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == filesBefore,
                    "files were created beside the refused one")
        }
    }

    @Test func missingFileAndExistingFile() throws {
        try Fixtures.withTemporaryDirectory { directory in
            let missing = directory.appendingPathComponent("missing.sqlite").path
            #expect(throws: EpisodeLogError(path: missing, kind: .notFound)) { try EpisodeLogFile.open(path: missing) }
            #expect(throws: EpisodeLogError(path: missing, kind: .notFound)) {
                try EpisodeLogFile.openForWriting(path: missing)
            }
            let log = directory.appendingPathComponent("log.sqlite").path
            try Fixtures.writeLog(path: log, sessions: Fixtures.sessions(episodes: 2, metadata: Fixtures.metadata()))
            #expect(throws: EpisodeLogError(path: log, kind: .alreadyExists)) { try EpisodeLogFile.create(path: log) }
            // A good log passes the full check too.
            try EpisodeLogFile.open(path: log, check: .quick).verifyIntegrity(full: true)
        }
    }
}
