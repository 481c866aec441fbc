import COpenBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Run-time configuration of OpenBLAS: which kernels it picked, how many threads it uses, and a
/// correction for virtual CPUs it misdetects (and for "Zen", whose kernels measured slower here than
/// the "Haswell" ones using the same instructions).
///
/// A DYNAMIC_ARCH OpenBLAS (Debian's 0.3.21) picks its kernels once, in its library constructor,
/// from CPUID or from the environment variable `OPENBLAS_CORETYPE`. On some virtual CPUs with
/// AVX-512 it falls back to "Prescott" (SSE3 kernels, 3–5× slower GEMM). The only fix from inside the
/// process is to set the variable and re-execute: `ensureOptimalKernels(arguments:)` does that once.
/// Forcing a core type whose instructions the CPU lacks would crash with SIGILL, so the type is
/// derived from the CPU flags the kernel reports, never guessed.
public enum BLASRuntime {
    /// The kernel family OpenBLAS selected, e.g. "Zen", "Haswell", "SkylakeX" (`openblas_get_corename`).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64".
    public static var configuration: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }

    /// Number of threads OpenBLAS uses per call.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses per call. MTFSim runs one BLAS thread by default:
    /// its parallelism is across sessions, and small GEMMs lose more to thread wake-ups than they gain.
    public static func setThreads(_ count: Int) {
        precondition(count >= 1, "BLASRuntime.setThreads: need at least one thread, got \(count)")
        openblas_set_num_threads(Int32(clamping: count))
    }

    /// Ordered instruction-set levels of OpenBLAS's x86-64 kernel families.
    public enum ISALevel: Int, Comparable, Sendable {
        /// SSE2/SSE3/SSE4 kernels (Prescott, Core2, Nehalem, Opteron, ...).
        case sse = 0
        /// AVX kernels (Sandybridge, Bulldozer family).
        case avx = 1
        /// AVX2 + FMA3 kernels (Haswell, Zen).
        case avx2 = 2
        /// AVX-512 kernels (SkylakeX, Cooperlake, SapphireRapids).
        case avx512 = 3

        public static func < (lhs: ISALevel, rhs: ISALevel) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The instruction-set level of an OpenBLAS core name (as `openblas_get_corename` spells it, any case),
    /// or `nil` for names this table does not know (other architectures, future cores).
    public static func isaLevel(ofCore name: String) -> ISALevel? {
        switch name.lowercased() {
        case "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
             "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat":
            return .sse
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator":
            return .avx
        case "haswell", "zen":
            return .avx2
        case "skylakex", "cooperlake", "sapphirerapids":
            return .avx512
        default:
            return nil
        }
    }

    /// The instruction-set level the CPU supports, from `/proc/cpuinfo`-style flags.
    public static func isaLevel(cpuFlags: Set<String>) -> ISALevel {
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) { return .avx512 }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return .avx2 }
        if cpuFlags.contains("avx") { return .avx }
        return .sse
    }

    /// The best OpenBLAS core type these CPU flags can run: AVX-512 F+BW+DQ+VL → "SkylakeX",
    /// AVX2 + FMA → "Haswell", AVX → "Sandybridge", otherwise `nil` (let OpenBLAS decide).
    public static func recommendedCoreType(cpuFlags: Set<String>) -> String? {
        switch isaLevel(cpuFlags: cpuFlags) {
        case .avx512: return "SkylakeX"
        case .avx2: return "Haswell"
        case .avx: return "Sandybridge"
        case .sse: return nil
        }
    }

    /// Detected cores (lower-cased) that are replaced by the recommended core type of the same level
    /// because it measured clearly faster: with Debian's OpenBLAS 0.3.21 on an AVX2 AMD EPYC, the
    /// Haswell kernels and blocking beat the Zen ones by 10–20 % on float32 GEMM of (1024, 64, 512) and
    /// (64, 256, 64), and never lost (BENCHMARKS.md, "Numerics").
    static let sameLevelPreferences: [String: String] = ["zen": "Haswell"]

    /// The core type to force, or `nil` to keep OpenBLAS's choice.
    ///
    /// An override when the detected core's kernels are of a lower instruction-set level than the CPU
    /// supports (e.g. "Prescott" on an AVX-512 CPU → "SkylakeX"), and for "Zen" on an AVX2 CPU, where
    /// "Haswell" (same instructions) measured faster. Other cores at the CPU's level, and unknown core
    /// names, are left alone; the result never needs instructions the flags do not list.
    public static func needsOverride(detectedCore: String, cpuFlags: Set<String>) -> String? {
        guard let detected = isaLevel(ofCore: detectedCore),
              let recommended = recommendedCoreType(cpuFlags: cpuFlags),
              let recommendedLevel = isaLevel(ofCore: recommended)
        else { return nil }
        if detected < recommendedLevel { return recommended }
        if detected == recommendedLevel, sameLevelPreferences[detectedCore.lowercased()] == recommended {
            return recommended
        }
        return nil
    }

    /// The CPU flags of the first processor in `/proc/cpuinfo` (Linux); empty elsewhere or on failure,
    /// which means "no override".
    public static func cpuFlags() -> Set<String> {
        #if os(Linux)
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            guard let line else { break }
            let text = String(cString: line)
            guard text.hasPrefix("flags") || text.hasPrefix("Features"),
                  let colon = text.firstIndex(of: ":") else { continue }
            return Set(text[text.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
                .map(String.init))
        }
        return []
        #else
        return []
        #endif
    }

    /// Name of the guard variable that marks a process as already re-executed.
    public static let reexecGuardVariable = "MTFSIM_BLAS_REEXEC"

    /// Call first thing in `main`: makes OpenBLAS use the best kernels this CPU can run, and one thread.
    ///
    /// If `OPENBLAS_CORETYPE` is unset and `needsOverride` asks for a core type, sets the variable and
    /// replaces the process with the same executable and `arguments` (`execv` of `/proc/self/exe`), so the
    /// new OpenBLAS constructor sees it; `MTFSIM_BLAS_REEXEC=1` guarantees this happens at most once. Any
    /// failure leaves the process running on the detected kernels. Unless `OPENBLAS_NUM_THREADS` is set,
    /// OpenBLAS is then limited to one thread.
    public static func ensureOptimalKernels(arguments: [String]) {
        #if os(Linux)
        if getenv("OPENBLAS_CORETYPE") == nil, getenv(reexecGuardVariable) == nil,
           let coreType = needsOverride(detectedCore: coreName, cpuFlags: cpuFlags()),
           !arguments.isEmpty {
            setenv("OPENBLAS_CORETYPE", coreType, 1)
            setenv(reexecGuardVariable, "1", 1)
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
            argv.append(nil)
            fflush(nil)
            execv("/proc/self/exe", &argv)
            // Only reached when execv failed: continue with the detected kernels.
            for pointer in argv { free(pointer) }
            unsetenv("OPENBLAS_CORETYPE")
        }
        #endif
        if getenv("OPENBLAS_NUM_THREADS") == nil {
            setThreads(1)
        }
    }
}
