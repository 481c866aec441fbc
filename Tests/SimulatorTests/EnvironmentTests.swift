import Foundation
import Simulator
import Testing

@Suite("Environment files")
struct EnvironmentFileTests {
    @Test(arguments: Fixtures.presetNames)
    func presetDecodesAndValidates(name: String) throws {
        let (config, text) = try EnvironmentLoader.load(path: Fixtures.presetPath(name))
        #expect(config.name == name)
        #expect(config.validationProblems().isEmpty)
        #expect(!text.isEmpty)
        // The first task is the engagement root and every other task names an earlier parent.
        #expect(config.tasks.first?.kind == .engagement)
        for (i, task) in config.tasks.enumerated().dropFirst() {
            let parent = try #require(task.given.flatMap(config.taskIndex))
            #expect(parent < i, "task \(task.name)")
        }
        // Decoding the same text again gives the same configuration.
        #expect(try EnvironmentLoader.decode(yaml: text, file: "again") == config)
    }

    @Test func presetDomains() {
        #expect(Fixtures.config("tiny").domain == .shortVideo)
        #expect(Fixtures.config("short-video").domain == .shortVideo)
        #expect(Fixtures.config("ecommerce").domain == .ecommerce)
        #expect(Fixtures.config("short-video").taskNames == ["click", "longView", "like", "follow", "comment", "share", "hate"])
        #expect(Fixtures.config("ecommerce").taskNames == ["click", "cart", "purchase", "favorite", "hate"])
        #expect(Fixtures.config("short-video").calibration?.targets.isEmpty == false)
    }

    @Test(arguments: Fixtures.presetNames)
    func embeddedPresetIsByteIdenticalToItsFile(name: String) throws {
        let file = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.presetPath(name))))
        let embedded = Array(try #require(EmbeddedEnvironments.presets[name], "no embedded preset \(name)").utf8)
        let same = embedded == file
        let firstDifference = (0..<min(embedded.count, file.count)).first { embedded[$0] != file[$0] } ?? min(embedded.count, file.count)
        #expect(same, """
            environments/\(name).yaml (\(file.count) bytes) and its embedded copy (\(embedded.count) bytes) \
            differ from byte \(firstDifference): \
            file \(file[firstDifference...].prefix(16)), embedded \(embedded[firstDifference...].prefix(16))
            """)
    }

    @Test func everyFileIsEmbedded() throws {
        let directory = Fixtures.repositoryRoot.appendingPathComponent("environments")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
        #expect(Set(files) == Set(EmbeddedEnvironments.presets.keys))
        #expect(Set(Fixtures.presetNames).isSubset(of: Set(files)))
    }
}

@Suite("Environment errors")
struct EnvironmentErrorTests {
    /// The error thrown for `yaml`, decoded as file `file`.
    func error(_ yaml: String, file: String = "broken.yaml") -> EnvironmentError? {
        do {
            _ = try EnvironmentLoader.decode(yaml: yaml, file: file)
            return nil
        } catch {
            return error
        }
    }

    /// Expects one line naming the file and the field path, containing every one of `expected`.
    func expectError(_ yaml: String, path: String, mentions expected: [String], forbidden: [String] = [],
                     sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = error(yaml) else {
            Issue.record("no error for \(yaml)", sourceLocation: sourceLocation)
            return
        }
        let line = e.description
        #expect(e.file == "broken.yaml", sourceLocation: sourceLocation)
        #expect(e.fieldPath == path, "\(line)", sourceLocation: sourceLocation)
        #expect(!line.contains("\n") && !line.contains("\r"), "not one line: \(line)", sourceLocation: sourceLocation)
        #expect(line.hasPrefix("broken.yaml: \(path): "), "\(line)", sourceLocation: sourceLocation)
        for text in expected {
            #expect(line.contains(text), "'\(text)' missing from: \(line)", sourceLocation: sourceLocation)
        }
        for text in forbidden {
            #expect(!line.contains(text), "'\(text)' should not appear in: \(line)", sourceLocation: sourceLocation)
        }
    }

    @Test func missingFile() throws {
        let path = NSTemporaryDirectory() + "mtfsim-no-such-\(UInt64.random(in: 0...UInt64.max)).yaml"
        do {
            _ = try EnvironmentLoader.load(path: path)
            Issue.record("loading a missing file succeeded")
        } catch {
            #expect(error.file == path)
            #expect(error.description == "\(path): no such file")
        }
    }

    @Test func missingPresetListsPresets() {
        do {
            _ = try EnvironmentLoader.resolve("no-such-preset")
            Issue.record("resolving a missing preset succeeded")
        } catch {
            let line = error.description
            #expect(line.hasPrefix("no-such-preset: "))
            #expect(line.contains("no such file"))
            for name in Fixtures.presetNames { #expect(line.contains(name), "\(line)") }
        }
    }

    @Test func wrongType() {
        expectError("catalog: {items: \"many\"}", path: "catalog.items", mentions: ["expected an integer"])
        expectError("catalog: {topicSpread: fast}", path: "catalog.topicSpread", mentions: ["expected a number"])
        expectError("episode: {maxRequestsPerSession: 2.5}", path: "episode.maxRequestsPerSession", mentions: ["expected an integer"])
        // Structural mismatches: Yams reports its node types (Scalar, Sequence, Mapping); the message must
        // still say what was expected in the file's terms, not "a mapping (Scalar)".
        expectError("slate: {examinationDecay: [1, 2]}", path: "slate.examinationDecay", mentions: ["expected a"],
                    forbidden: ["mapping", "Scalar"])
        expectError("tasks: {name: click}", path: "tasks", mentions: ["expected a list"], forbidden: ["Sequence"])
    }

    @Test func negativeCount() {
        expectError("users: {count: -5}", path: "users.count", mentions: ["expected a positive integer", "-5"])
        expectError("catalog: {items: 0}", path: "catalog.items", mentions: ["expected a positive integer", "got 0"])
    }

    @Test func unknownEnumValues() {
        expectError("fusion: {form: product-of-experts}", path: "fusion.form",
                    mentions: ["product-of-experts", "'weighted-sum'", "'log-sum'", "'power-product'"])
        expectError("ranker: {kind: mmoe}", path: "ranker.kind", mentions: ["'oracle-noise'", "'mmoe'"])
        expectError("domain: news", path: "domain", mentions: ["'short-video'", "'ecommerce'", "'news'"])
    }

    @Test func unknownField() {
        expectError("catalg: {items: 10}", path: "catalg", mentions: ["unknown field", "catalog"])
        expectError("catalog: {itemz: 10}", path: "catalog.itemz", mentions: ["unknown field", "items"])
        expectError("tasks:\n  - {name: click, kind: engagement, intrcept: 1}", path: "tasks[0].intrcept",
                    mentions: ["unknown field", "intercept"])
    }

    @Test func unknownGivenTask() {
        let yaml = """
            tasks:
              - {name: click, kind: engagement}
              - {name: longView, kind: watch-threshold, given: click}
              - {name: like, given: longVeiw}
            """
        expectError(yaml, path: "tasks[2].given", mentions: ["expected the name of an earlier task", "longVeiw"])
    }

    @Test func weightBoundKeyNotATask() {
        expectError("fusion: {weightBounds: {clik: {low: 0, high: 1}}}", path: "fusion.weightBounds.clik",
                    mentions: ["expected a task name", "click", "longView"])
    }

    @Test func otherValidationPaths() {
        expectError("tasks:\n  - {name: longView, kind: watch-threshold}", path: "tasks[0].kind", mentions: ["'engagement'"])
        expectError("policies: {baseline: {hate: 3}}", path: "policies.baseline.hate", mentions: ["within its bounds", "3"])
        expectError("reward: {discount: 1.5}", path: "reward.discount", mentions: ["[0.0, 1.0]", "1.5"])
        expectError("catalog: {durationSeconds: {median: 60, logSigma: 1}}", path: "catalog.durationSeconds.minimum",
                    mentions: ["missing"])
        expectError("slate: {size: 300}", path: "slate.size", mentions: ["at most retrieval.candidates"])
    }

    @Test func invalidYAMLIsOneLine() {
        guard let e = error("catalog: {items: [1, 2\nusers: ]]") else {
            Issue.record("no error")
            return
        }
        #expect(e.file == "broken.yaml")
        #expect(!e.description.contains("\n"), "\(e.description)")
    }

    @Test func errorFromFileNamesThePath() throws {
        let path = NSTemporaryDirectory() + "mtfsim-bad-\(UInt64.random(in: 0...UInt64.max)).yaml"
        try "users: {count: -5}\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try EnvironmentLoader.load(path: path)
            Issue.record("loading an invalid file succeeded")
        } catch {
            #expect(error.description.hasPrefix("\(path): users.count: expected a positive integer"), "\(error)")
        }
    }

    @Test func boundsRejectUnknownFields() {
        // `EnvironmentConfig` promises that an unknown field is an error, at every level.
        expectError("fusion: {defaultWeightBounds: {low: 0, high: 1, hihg: 2}}",
                    path: "fusion.defaultWeightBounds.hihg", mentions: ["unknown field"])
    }
}

/// Resolution by preset name or repository path, from the test's directory and (in a child process, so
/// that no other test sees the change of directory) from unrelated directories.
@Suite("Environment resolution")
struct EnvironmentResolveTests {
    /// Problems resolving every spelling of every preset from the current directory (empty when fine).
    static func resolutionProblems() -> [String] {
        var problems: [String] = []
        let directory = FileManager.default.currentDirectoryPath
        for name in Fixtures.presetNames {
            let expected = Fixtures.config(name)
            for spelling in [name, "environments/\(name).yaml", "\(name).yaml", Fixtures.presetPath(name)] {
                do {
                    let resolved = try EnvironmentLoader.resolve(spelling)
                    if resolved.config != expected { problems.append("\(spelling) from \(directory): a different configuration") }
                    if resolved.text.isEmpty { problems.append("\(spelling) from \(directory): no text") }
                } catch {
                    problems.append("\(spelling) from \(directory): \(error)")
                }
            }
        }
        return problems
    }

    @Test func resolvesFromTheTestDirectory() {
        let problems = Self.resolutionProblems()
        #expect(problems.isEmpty, "\(problems.joined(separator: "; "))")
    }

    @Test func resolvesFromAnyDirectory() async throws {
        // The child reports problems on its standard output (a failing exit status would hide them).
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            let fm = FileManager.default
            let elsewhere = NSTemporaryDirectory() + "mtfsim-cwd-\(UInt64.random(in: 0...UInt64.max))"
            try? fm.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
            var problems: [String] = []
            for directory in ["/", elsewhere] {
                guard fm.changeCurrentDirectoryPath(directory) else {
                    problems.append("cannot change to \(directory)")
                    continue
                }
                problems += EnvironmentResolveTests.resolutionProblems()
            }
            try? fm.removeItem(atPath: elsewhere)
            for problem in problems { print("PROBLEM: \(problem)") }
        }
        let output = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        let problems = output.split(separator: "\n").filter { $0.hasPrefix("PROBLEM: ") }
        #expect(result != nil)
        #expect(problems.isEmpty, "\(problems.joined(separator: "; "))")
    }

    @Test func presetNamesAreTheFiles() throws {
        // Resolving a preset by name gives the file's text (up to the embedding's byte identity, checked above).
        let text = try EnvironmentLoader.resolve("tiny").text
        let file = try String(contentsOfFile: Fixtures.presetPath("tiny"), encoding: .utf8)
        #expect(text.trimmingCharacters(in: .newlines) == file.trimmingCharacters(in: .newlines))
    }
}
