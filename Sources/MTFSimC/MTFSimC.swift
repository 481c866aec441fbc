import Agents
import Foundation
import Numerics
import Rollout
import Simulator

// The C ABI of the simulator (docs/python.md, "The C ABI"; declarations in `mtfsim.h`). Every function validates
// its arguments and returns a status code: nothing traps or throws across the boundary. Buffers belong to the
// caller; a handle belongs to one thread at a time.

/// Status codes (`MTFSIM_OK` …) of the C functions.
enum Status: Int32 {
    case ok = 0
    /// A null pointer, a wrong size or an out-of-range argument.
    case invalidArgument = 1
    /// The environment (preset, file or YAML) or its world could not be built.
    case environment = 2
    /// An action was NaN or infinite.
    case invalidAction = 3
    /// `step` before `reset`.
    case notReset = 4
    /// The ranker checkpoint could not be loaded for this world.
    case ranker = 5
    /// A caller's text buffer is too small (the needed size is reported).
    case bufferTooSmall = 6
    /// A policy spec or checkpoint could not be resolved for this world.
    case policy = 7
}

/// The revision of this ABI: a caller built against another revision must refuse the library.
let abiVersion: Int32 = 2

/// One environment behind an opaque C handle, with the message of its last failure.
final class EnvironmentHandle {
    let environment: VectorEnvironment
    let description: String
    /// MTFSim policies resolved against this environment's world, by spec (`mtfsim_env_act`).
    var policies: [String: any FusionPolicy] = [:]
    /// NUL-terminated, owned by the handle; replaced by the next failure.
    private(set) var lastError: UnsafeMutablePointer<CChar> = strdup("")

    init(environment: VectorEnvironment, description: String) {
        self.environment = environment
        self.description = description
    }

    deinit { free(lastError) }

    func fail(_ status: Status, _ message: String) -> Int32 {
        free(lastError)
        lastError = strdup(message)
        return status.rawValue
    }
}

private func handle(_ pointer: OpaquePointer?) -> EnvironmentHandle? {
    pointer.map { Unmanaged<EnvironmentHandle>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
}

/// Copies `text` (NUL-terminated) into a caller's buffer; the needed size in bytes, NUL included, is returned
/// through `needed` either way.
private func copy(_ text: String, into buffer: UnsafeMutablePointer<CChar>?, capacity: Int,
                  needed: UnsafeMutablePointer<Int>?) -> Status {
    let bytes = Array(text.utf8CString)
    needed?.pointee = bytes.count
    guard let buffer, capacity >= bytes.count else { return buffer == nil && needed != nil ? .ok : .bufferTooSmall }
    bytes.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: bytes.count) }
    return .ok
}

/// The users of a spec: `all`, `training`, `held-out`, or `LOW..HIGH` (user ids LOW ..< HIGH).
func userRange(_ spec: String, population: Int) -> Range<Int>? {
    if let pool = UserPool(rawValue: spec) { return pool.users(population: population) }
    let parts = spec.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[1].isEmpty, let low = Int(parts[0]), let high = Int(parts[2]),
          low >= 0, low < high, high <= population else { return nil }
    return low..<high
}

/// ABI revision (`MTFSIM_ABI_VERSION` of the header the caller was built with must equal it).
@_cdecl("mtfsim_abi_version")
public func mtfsim_abi_version() -> Int32 { abiVersion }

/// The MTFSim release, into `buffer` (NUL-terminated).
@_cdecl("mtfsim_version")
public func mtfsim_version(_ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> Int32 {
    copy(MTFSimVersion.string, into: buffer, capacity: capacity, needed: nil).rawValue
}

/// Creates an environment of `count` slots.
///
/// `environment` is a preset name (`short-video`, `tiny`, `ecommerce`) or an environment file, or null when `yaml`
/// holds the environment's YAML text. `ranker` is null (the oracle-noise simulation ranker) or a ranker checkpoint.
/// `seed` seeds the world and the streams, as `mtfsim simulate --seed`. `users`: `all`, `training`, `held-out` or
/// `LOW..HIGH`. `scope`: 0 = an episode is a user's run of sessions, 1 = one session. `threads`: groups of slots
/// stepped concurrently (results do not depend on it). On failure returns null and
/// writes the reason into `error` (NUL-terminated, cut to `error_capacity`).
@_cdecl("mtfsim_env_create")
public func mtfsim_env_create(_ environment: UnsafePointer<CChar>?, _ yaml: UnsafePointer<CChar>?,
                              _ ranker: UnsafePointer<CChar>?, _ seed: UInt64, _ count: Int32,
                              _ users: UnsafePointer<CChar>?, _ firstEpisode: Int64, _ scope: Int32, _ threads: Int32,
                              _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int) -> OpaquePointer? {
    func failure(_ message: String) -> OpaquePointer? {
        if let error, errorCapacity > 0 {
            let bytes = Array(message.utf8.prefix(errorCapacity - 1)).map { CChar(bitPattern: $0) } + [0]
            bytes.withUnsafeBufferPointer { error.update(from: $0.baseAddress!, count: bytes.count) }
        }
        return nil
    }
    guard (environment == nil) != (yaml == nil) else {
        return failure("give exactly one of an environment name or file, and environment YAML text")
    }
    guard count > 0 else { return failure("count must be positive, got \(count)") }
    guard threads > 0 else { return failure("threads must be positive, got \(threads)") }
    guard firstEpisode >= 0 else { return failure("first episode must be non-negative, got \(firstEpisode)") }
    guard let episodeScope: VectorEnvironment.EpisodeScope = scope == 0 ? .user : scope == 1 ? .session : nil else {
        return failure("scope must be 0 (a user's run of sessions) or 1 (one session), got \(scope)")
    }
    let config: EnvironmentConfig
    do {
        if let environment {
            config = try EnvironmentLoader.resolve(String(cString: environment)).config
        } else {
            config = try EnvironmentLoader.decode(yaml: String(cString: yaml!), file: "<yaml>")
        }
    } catch {
        return failure("\(error)")
    }
    let world: World
    do {
        world = try World(config: config, seed: seed)
    } catch {
        return failure("\(config.name): \(error)")
    }
    let userSpec = users.map { String(cString: $0) } ?? "all"
    guard let range = userRange(userSpec, population: world.population.count) else {
        return failure("users must be all, training, held-out or LOW..HIGH within 0..\(world.population.count), got '\(userSpec)'")
    }
    let rankerName = ranker.map { String(cString: $0) } ?? SimulationRanker.oracleNoise
    let simulationRanker: any Ranker
    do {
        simulationRanker = try SimulationRanker.make(rankerName, world: world)
    } catch {
        return failure("ranker \(rankerName): \(error)")
    }
    let vector = VectorEnvironment(world: world, ranker: simulationRanker, count: Int(count), seed: seed, users: range,
                                   firstEpisode: Int(firstEpisode), scope: episodeScope, threads: Int(threads))
    let description = EnvironmentDescription(vector, rankerName: rankerName, population: world.population.count).json
    let handle = EnvironmentHandle(environment: vector, description: description)
    return OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
}

/// Frees an environment (null is ignored).
@_cdecl("mtfsim_env_free")
public func mtfsim_env_free(_ env: OpaquePointer?) {
    guard let env else { return }
    Unmanaged<EnvironmentHandle>.fromOpaque(UnsafeRawPointer(env)).release()
}

/// The message of the handle's last failure (empty if none); valid until the next call on the handle.
@_cdecl("mtfsim_env_last_error")
public func mtfsim_env_last_error(_ env: OpaquePointer?) -> UnsafePointer<CChar>? {
    handle(env).map { UnsafePointer($0.lastError) }
}

/// Slots, state dimension, action dimension and reward components.
@_cdecl("mtfsim_env_sizes")
public func mtfsim_env_sizes(_ env: OpaquePointer?, _ count: UnsafeMutablePointer<Int32>?,
                             _ stateDimension: UnsafeMutablePointer<Int32>?, _ actionDimension: UnsafeMutablePointer<Int32>?,
                             _ components: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let h = handle(env) else { return Status.invalidArgument.rawValue }
    let e = h.environment
    count?.pointee = Int32(e.count)
    stateDimension?.pointee = Int32(e.stateDimension)
    actionDimension?.pointee = Int32(e.actionDimension)
    components?.pointee = Int32(e.componentCount)
    return Status.ok.rawValue
}

/// The environment as JSON: names of the state features, fusion weights and reward components, the action box
/// and baseline, the users, the horizon. `needed` receives the size in bytes, NUL included (call with a null
/// buffer to learn it).
@_cdecl("mtfsim_env_describe")
public func mtfsim_env_describe(_ env: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int,
                                _ needed: UnsafeMutablePointer<Int>?) -> Int32 {
    guard let h = handle(env) else { return Status.invalidArgument.rawValue }
    let status = copy(h.description, into: buffer, capacity: capacity, needed: needed)
    return status == .ok ? status.rawValue : h.fail(status, "describe: buffer of \(capacity) bytes, \(h.description.utf8.count + 1) needed")
}

/// Starts an episode in every slot and writes the first observations (`count × state dimension` floats).
/// With `has_seed` ≠ 0 the streams are reseeded with `seed` and episode numbers restart; `episodes` (null, or one
/// per slot) names the episodes to start.
@_cdecl("mtfsim_env_reset")
public func mtfsim_env_reset(_ env: OpaquePointer?, _ seed: UInt64, _ hasSeed: Int32, _ episodes: UnsafePointer<Int64>?,
                             _ observations: UnsafeMutablePointer<Float>?) -> Int32 {
    guard let h = handle(env) else { return Status.invalidArgument.rawValue }
    guard let observations else { return h.fail(.invalidArgument, "reset: the observations buffer is null") }
    let e = h.environment
    let numbers = episodes.map { p in (0..<e.count).map { Int(p[$0]) } }
    do {
        try e.reset(seed: hasSeed != 0 ? seed : nil, episodes: numbers, observations: observations)
    } catch {
        return h.fail(.invalidArgument, "reset: \(error)")
    }
    return Status.ok.rawValue
}

/// Steps every slot with its row of `actions` (`actions_count` must be count × action dimension; raw fusion weights,
/// clipped to the bounds) and writes the next observations, rewards, reward components (`count × components`),
/// flags (one byte each) and elapsed minutes. NaN or infinite actions are refused and nothing is stepped.
@_cdecl("mtfsim_env_step")
public func mtfsim_env_step(_ env: OpaquePointer?, _ actions: UnsafePointer<Float>?, _ actionsCount: Int64,
                            _ observations: UnsafeMutablePointer<Float>?, _ rewards: UnsafeMutablePointer<Double>?,
                            _ components: UnsafeMutablePointer<Float>?, _ terminated: UnsafeMutablePointer<UInt8>?,
                            _ truncated: UnsafeMutablePointer<UInt8>?, _ sessionEnd: UnsafeMutablePointer<UInt8>?,
                            _ elapsedMinutes: UnsafeMutablePointer<Double>?) -> Int32 {
    guard let h = handle(env) else { return Status.invalidArgument.rawValue }
    let e = h.environment
    guard let actions, let observations, let rewards, let components, let terminated, let truncated, let sessionEnd,
          let elapsedMinutes else {
        return h.fail(.invalidArgument, "step: a buffer is null")
    }
    guard actionsCount == Int64(e.count * e.actionDimension) else {
        return h.fail(.invalidArgument,
                      "step: expected \(e.count) × \(e.actionDimension) = \(e.count * e.actionDimension) action values, got \(actionsCount)")
    }
    let buffers = VectorEnvironment.StepBuffers(observations: observations, rewards: rewards, components: components,
                                                terminated: terminated, truncated: truncated, sessionEnd: sessionEnd,
                                                elapsedMinutes: elapsedMinutes)
    do {
        try e.step(actions: actions, into: buffers)
    } catch .notReset {
        return h.fail(.notReset, "step: \(VectorEnvironment.InputError.notReset)")
    } catch {
        return h.fail(.invalidAction, "step: \(error)")
    }
    return Status.ok.rawValue
}

/// The raw fusion weights that MTFSim policy `spec` (`baseline`, `fixed:…`, `mixture:…`, or a checkpoint of `mtfsim
/// train` / `train-offline`, as `simulate --policy` takes) chooses for every slot's current request, into `actions`
/// (`actions_count` = count × action dimension). Exploration draws from the episodes' keyed policy streams as in
/// `simulate --policy`, so stepping with these actions reproduces that run; call once per step. The policy is
/// loaded on first use and kept for the handle's life.
@_cdecl("mtfsim_env_act")
public func mtfsim_env_act(_ env: OpaquePointer?, _ spec: UnsafePointer<CChar>?, _ actions: UnsafeMutablePointer<Float>?,
                           _ actionsCount: Int64) -> Int32 {
    guard let h = handle(env) else { return Status.invalidArgument.rawValue }
    let e = h.environment
    guard let spec, let actions else { return h.fail(.invalidArgument, "act: the policy spec or the actions buffer is null") }
    guard actionsCount == Int64(e.count * e.actionDimension) else {
        return h.fail(.invalidArgument,
                      "act: expected room for \(e.count) × \(e.actionDimension) = \(e.count * e.actionDimension) action values, got \(actionsCount)")
    }
    let name = String(cString: spec)
    let policy: any FusionPolicy
    if let known = h.policies[name] {
        policy = known
    } else {
        do {
            policy = try PolicyResolver.resolve(name, world: e.world)
        } catch {
            return h.fail(.policy, "policy \(name): \(error)")
        }
        h.policies[name] = policy
    }
    do {
        try e.act(policy, into: actions)
    } catch {
        return h.fail(.notReset, "act: \(error)")
    }
    return Status.ok.rawValue
}

/// Where each slot stands: episode number, user id, session index and request index of its next observation
/// (any buffer may be null).
@_cdecl("mtfsim_env_positions")
public func mtfsim_env_positions(_ env: OpaquePointer?, _ episodes: UnsafeMutablePointer<Int64>?,
                                 _ users: UnsafeMutablePointer<Int64>?, _ sessions: UnsafeMutablePointer<Int32>?,
                                 _ requests: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let h = handle(env) else { return Status.invalidArgument.rawValue }
    for slot in 0..<h.environment.count {
        let p = h.environment.position(slot: slot)
        episodes?[slot] = Int64(p.episode)
        users?[slot] = Int64(p.user)
        sessions?[slot] = Int32(p.sessionIndex)
        requests?[slot] = Int32(p.requestIndex)
    }
    return Status.ok.rawValue
}
