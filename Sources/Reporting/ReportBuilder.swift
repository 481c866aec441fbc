import EpisodeLog
import Foundation
import Simulator

/// Turns `mtfsim report`'s inputs into a `Report`: every input is recognised first (a bad one stops the report
/// before any work), then each becomes a section, in the order given. A log is read once, streaming.
public struct ReportBuilder: Sendable {
    public var inputs: [String]
    /// The state feature the fusion weights are plotted against (`EpisodeLogStatistics.requestIndexFeature` or a
    /// state name of the runs).
    public var weightsBy: String

    public init(inputs: [String], weightsBy: String = EpisodeLogStatistics.requestIndexFeature) {
        self.inputs = inputs
        self.weightsBy = weightsBy
    }

    /// Builds the report; `progress` gets the number of inputs done after each.
    public func build(progress: (Int) -> Void = { _ in }) throws(ReportError) -> Report {
        var recognised: [ReportInput] = []
        for path in inputs { recognised.append(try ReportInput.recognise(path)) }
        let cem = cemReferences(recognised)
        var sections: [ReportSection] = []
        for (done, input) in recognised.enumerated() {
            // Sections are numbered in page order, so that chart ids (and CSV names) are unique.
            let index = sections.count
            switch input.kind {
            case .episodeLog:
                sections += try episodeLogSections(input.path, index: index)
            case .train, .trainOffline:
                let json = input.json!
                let environment = json["environment"]?.string
                let references = cem.filter { $0.path != input.path && $0.environment == environment }.map(\.line)
                sections.append(try TrainingCharts.section(json, offline: input.kind == .trainOffline, file: input.path,
                                                           index: index, references: references))
            case .compare:
                sections.append(try ComparisonCharts.section(input.json!, file: input.path, index: index))
            case .evaluate:
                sections.append(try EvaluationCharts.section(input.json!, file: input.path, index: index))
            }
            progress(done + 1)
        }
        return Report(title: "MTFSim report: " + inputs.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "),
                      sections: sections)
    }

    /// The final held-out values of the CEM runs among the inputs, drawn on the other learning curves of their
    /// environment.
    func cemReferences(_ inputs: [ReportInput]) -> [(path: String, environment: String?, line: ReferenceLine)] {
        inputs.compactMap { input in
            guard input.kind == .train, let json = input.json, json["agent"]?.string == "cem",
                  let line = ReferenceLine(label: "CEM (\((input.path as NSString).lastPathComponent))", heldOut: json["heldOut"])
            else { return nil }
            return (input.path, json["environment"]?.string, line)
        }
    }

    /// One section per run of the log.
    func episodeLogSections(_ path: String, index: Int) throws(ReportError) -> [ReportSection] {
        let reader: EpisodeLogReader
        let runs: [RunInfo]
        do {
            reader = try EpisodeLogFile.open(path: path)
            runs = try reader.runs()
        } catch let error as EpisodeLogError {
            throw ReportError(error)
        } catch {
            throw ReportError(file: path, "cannot read the episode log: \(error)")
        }
        defer { try? reader.close() }
        guard !runs.isEmpty else { throw ReportError(file: path, "the episode log holds no run") }
        var sections: [ReportSection] = []
        for run in runs {
            let config = try? EnvironmentLoader.decode(yaml: run.metadata.environmentYAML, file: "\(path) run \(run.id)")
            let horizon = config?.episode.horizonDays ?? EpisodeConfig().horizonDays
            let stats = try EpisodeLogStatistics.collect(reader: reader, run: run, horizonDays: horizon, feature: weightsBy)
            sections.append(EpisodeLogCharts.section(stats, config: config, file: path, index: index))
        }
        return sections
    }
}
