import ArgumentParser
import EpisodeLog
import Foundation

/// `mtfsim export`: one run of an episode log as a Minari dataset, a d3rlpy MDPDataset or a Parquet file, written
/// by the `mtfsim` Python package (`python -m mtfsim export`), which this command finds and runs.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export an episode log for Python offline-RL tools: Minari, d3rlpy or Parquet (RLlib's columns).",
        discussion: """
        Formats (--to):
          minari   a Minari dataset: Gymnasium spaces, one episode per user, for offline RL with Minari's \
        loaders (and the libraries built on them). OUT is Minari's datasets root: the dataset goes to \
        OUT/<dataset id>/; load it with MINARI_DATASETS_PATH=OUT and minari.load_dataset(ID). --dataset-id \
        defaults to mtfsim/<environment>/<policy>-v0.
          d3rlpy   a d3rlpy MDPDataset, saved with d3rlpy's dump (HDF5) to OUT (e.g. mixture.h5), for d3rlpy's \
        offline learners (TD3+BC, CQL, IQL, …). Elapsed time does not fit an MDPDataset: it goes beside, to \
        OUT.time.npz (mixture.time.npz), one row per transition. Needs d3rlpy (and torch).
          parquet  one Parquet file OUT, one row per step, with RLlib's offline column names (eps_id, obs, \
        actions, rewards, new_obs, terminateds, truncateds, t, action_logp), then session_index, request_index, \
        elapsed_minutes, transition_minutes, time_minutes and reward_components: for ray.data / RLlib, DuckDB, \
        Polars, pandas.

        Every export keeps the episodes (one user's sessions over the horizon), the flags (terminated = churn, \
        truncated = the horizon) and elapsed time (the request's minutes, plus the return gap at a session end). \
        The next observation of an episode's last step is a copy of its own state. An episode the log stops before \
        its end (a run stopped at its session count, or interrupted) is exported truncated (--incomplete \
        truncate) or left out (--incomplete drop).

        The log is checked here first; the files are written by the mtfsim Python package (`pip install \
        ./python` from the MTFSim repository, with the extras of the format: `pip install './python[minari]'`, \
        `[d3rlpy]` or `[parquet]`). The interpreter is --python, else $MTFSIM_PYTHON, else python3 on PATH.

        Examples:
          mtfsim export logs/mixture.sqlite --to parquet data/mixture.parquet
          mtfsim export logs/mixture.sqlite --to minari data/minari --dataset-id mtfsim/short-video/mixture-v0
          mtfsim export logs/mixture.sqlite --to d3rlpy data/mixture.h5 --python .venv/bin/python
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case minari, d3rlpy, parquet
    }

    enum Incomplete: String, ExpressibleByArgument, CaseIterable {
        case truncate, drop
    }

    @Argument(help: ArgumentHelp("The episode log.", valueName: "log"))
    var log: String

    @Option(name: .customLong("to"), help: ArgumentHelp("The format: minari, d3rlpy or parquet.", valueName: "format"))
    var format: Format

    @Argument(help: ArgumentHelp("Where to write: Minari's datasets root, the d3rlpy .h5 file, or the .parquet file.",
                                 valueName: "out"))
    var out: String

    @Option(name: .customLong("run"), help: ArgumentHelp("Run id within the log (needed when it holds several).", valueName: "id"))
    var runID: Int?

    @Option(name: .customLong("dataset-id"), help: ArgumentHelp("Minari dataset id, namespace/name-vN (--to minari).", valueName: "id"))
    var datasetID: String?

    @Option(help: ArgumentHelp("Episodes the log stops before their end: export them truncated, or drop them.",
                               valueName: "truncate|drop"))
    var incomplete: Incomplete = .truncate

    @Option(help: ArgumentHelp("The Python interpreter that has the mtfsim package (default: $MTFSIM_PYTHON, else python3).",
                               valueName: "path"))
    var python: String?

    func validate() throws {
        if datasetID != nil && format != .minari { throw ValidationError("--dataset-id applies to --to minari only") }
    }

    func run() throws {
        // The log first: a foreign, damaged or newer file is refused here, with the reader's own message.
        let reader = try EpisodeLogFile.open(path: log)
        let runs = try reader.runs()
        try? reader.close()
        let ids = runs.map { String($0.id) }.joined(separator: ", ")
        if let runID {
            guard runs.contains(where: { $0.id == runID }) else {
                throw CommandFailure("\(log): no run \(runID) (runs: \(ids.isEmpty ? "none" : ids))")
            }
        } else if runs.count != 1 {
            throw CommandFailure("\(log): the log holds \(runs.count) runs (ids \(ids.isEmpty ? "none" : ids)); choose one with --run")
        }

        let interpreter = PythonInterpreter.find(python)
        try Self.requirePackage(interpreter)

        var arguments = ["-m", "mtfsim", "export", log, "--to", format.rawValue, out, "--incomplete", incomplete.rawValue]
        if let runID { arguments += ["--run", String(runID)] }
        if let datasetID { arguments += ["--dataset-id", datasetID] }
        let process = Process()
        process.executableURL = interpreter
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw CommandFailure("cannot run \(interpreter.path): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal {
            throw CommandFailure("\(interpreter.path) -m mtfsim export was killed by signal \(process.terminationStatus)")
        }
        // Python printed its own one-line error; keep its status (2 = bad input).
        if process.terminationStatus != 0 { throw ExitCode(process.terminationStatus) }
    }

    /// Fails (status 69, one line) unless `interpreter` can import `mtfsim.export`.
    static func requirePackage(_ interpreter: URL) throws {
        let probe = PythonInterpreter.run(interpreter, ["-c", "import mtfsim.export"])
        guard probe.status == 0 else {
            PythonInterpreter.unavailable("the mtfsim Python package is not importable by \(interpreter.path) (\(probe.lastErrorLine)); install it with "
                             + "`pip install ./python` from the MTFSim repository, or point --python or MTFSIM_PYTHON at a Python that has it")
        }
    }
}
