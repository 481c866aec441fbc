import Agents
import ArgumentParser
import Foundation
import Rollout
import Simulator

/// Options shared by the commands that run the simulator.
struct EnvironmentOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Environment file, or a preset name (tiny, short-video, ecommerce).",
        discussion: "The presets are embedded: they work from any directory.", valueName: "file"))
    var env = "environments/short-video.yaml"

    @Option(help: "Seed of the world and of every random stream; same seed, same results.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Worker threads (results do not depend on it).", valueName: "count"))
    var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
    }

    /// Loads the environment and builds its world; errors become one clear line.
    func world() throws -> (world: World, text: String) {
        let (config, text) = try EnvironmentLoader.resolve(env)
        do {
            return (try World(config: config, seed: seed), text)
        } catch {
            throw ValidationError("\(env): \(error)")
        }
    }
}

/// `--policy` with its help text.
struct PolicyOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The fusion policy.",
        discussion: """
        baseline | fixed:w1,w2,… | random | gaussian:SIGMA[@w1,…] | box:B[@w1,…] | mixture[:SIGMA,BOX][@w1,…] | \
        ramp:FEATURE=LOW..HIGH@w1,…@w1,… | a policy checkpoint from `mtfsim train` (models/td3.ckpt, acting \
        deterministically) | gaussian:SIGMA@POLICY, box:B@POLICY, mixture[:SIGMA,BOX]@POLICY: exploration around \
        a checkpoint or another deterministic spec (box:0.15@models/td3.ckpt). Weights are raw fusion weights, one \
        per task (see the environment's fusion bounds); SIGMA, B and BOX are in normalised action units ([-1, 1]). \
        `mixture` is BatchRL-MTF's logging policy: half uniform in a box around the baseline, half Gaussian; `box` \
        is uniform in ±B around the centre, cut at the bounds.
        """, valueName: "spec"))
    var policy = "mixture"

    func parse(world: World) throws -> any FusionPolicy {
        do {
            return try PolicyResolver.resolve(policy, world: world)
        } catch let error as PolicySpec.ParseError {
            throw ValidationError(error.description)
        }
    }
}
