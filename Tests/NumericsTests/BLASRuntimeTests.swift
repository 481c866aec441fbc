import Numerics
import Testing

private let avx512: Set<String> = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]
private let avx2: Set<String> = ["sse2", "sse4_2", "avx", "avx2", "fma", "bmi2"]
private let avxOnly: Set<String> = ["sse2", "sse4_2", "avx"]
private let sseOnly: Set<String> = ["sse2", "ssse3", "sse4_1", "sse4_2"]

@Suite("BLAS runtime")
struct BLASRuntimeTests {
    @Test func recommendedCoreTypes() {
        #expect(BLASRuntime.recommendedCoreType(cpuFlags: avx512) == "SkylakeX")
        #expect(BLASRuntime.recommendedCoreType(cpuFlags: avx2) == "Haswell")
        #expect(BLASRuntime.recommendedCoreType(cpuFlags: avxOnly) == "Sandybridge")
        #expect(BLASRuntime.recommendedCoreType(cpuFlags: sseOnly) == nil)
        #expect(BLASRuntime.recommendedCoreType(cpuFlags: []) == nil)
        // AVX-512F alone (Knights Landing) lacks BW/DQ/VL, which the SkylakeX kernels use.
        #expect(BLASRuntime.recommendedCoreType(cpuFlags: avx2.union(["avx512f"])) == "Haswell")
        // AVX2 without FMA3 cannot run the Haswell kernels.
        #expect(BLASRuntime.recommendedCoreType(cpuFlags: ["avx", "avx2"]) == "Sandybridge")
    }

    @Test func overridesOnlyMisdetections() {
        #expect(BLASRuntime.needsOverride(detectedCore: "Prescott", cpuFlags: avx512) == "SkylakeX")
        #expect(BLASRuntime.needsOverride(detectedCore: "Prescott", cpuFlags: avx2) == "Haswell")
        #expect(BLASRuntime.needsOverride(detectedCore: "Core2", cpuFlags: avx2) == "Haswell")
        #expect(BLASRuntime.needsOverride(detectedCore: "NEHALEM", cpuFlags: avxOnly) == "Sandybridge")
        #expect(BLASRuntime.needsOverride(detectedCore: "Haswell", cpuFlags: avx512) == "SkylakeX")
        // Same level: Haswell's kernels measured faster than Zen's for Debian's OpenBLAS 0.3.21 (BENCHMARKS.md).
        #expect(BLASRuntime.needsOverride(detectedCore: "Zen", cpuFlags: avx2) == "Haswell")
        #expect(BLASRuntime.needsOverride(detectedCore: "zen", cpuFlags: avx512) == "SkylakeX")
        #expect(BLASRuntime.needsOverride(detectedCore: "Zen", cpuFlags: avxOnly) == nil)
        #expect(BLASRuntime.needsOverride(detectedCore: "Haswell", cpuFlags: avx2) == nil)
        #expect(BLASRuntime.needsOverride(detectedCore: "SkylakeX", cpuFlags: avx512) == nil)
        #expect(BLASRuntime.needsOverride(detectedCore: "Cooperlake", cpuFlags: avx512) == nil)
        #expect(BLASRuntime.needsOverride(detectedCore: "SapphireRapids", cpuFlags: avx512) == nil)
        #expect(BLASRuntime.needsOverride(detectedCore: "Prescott", cpuFlags: sseOnly) == nil)
        #expect(BLASRuntime.needsOverride(detectedCore: "Prescott", cpuFlags: []) == nil)
        #expect(BLASRuntime.needsOverride(detectedCore: "NeoverseN1", cpuFlags: avx512) == nil)
        #expect(BLASRuntime.needsOverride(detectedCore: "unknown", cpuFlags: avx2) == nil)
        // Never a downgrade: SkylakeX detected on flags that claim only AVX2 stays.
        #expect(BLASRuntime.needsOverride(detectedCore: "SkylakeX", cpuFlags: avx2) == nil)
    }

    @Test func coreLevels() {
        #expect(BLASRuntime.isaLevel(ofCore: "Zen") == .avx2)
        #expect(BLASRuntime.isaLevel(ofCore: "Opteron_SSE3") == .sse)
        #expect(BLASRuntime.isaLevel(ofCore: "Excavator") == .avx)
        #expect(BLASRuntime.isaLevel(ofCore: "SAPPHIRERAPIDS") == .avx512)
        #expect(BLASRuntime.isaLevel(ofCore: "ThunderX2T99") == nil)
        #expect(BLASRuntime.ISALevel.sse < .avx512)
    }

    @Test func liveLibraryAnswers() {
        #expect(!BLASRuntime.coreName.isEmpty)
        #expect(BLASRuntime.configuration.contains("OpenBLAS"))
        let before = BLASRuntime.threads
        BLASRuntime.setThreads(1)
        #expect(BLASRuntime.threads == 1)
        BLASRuntime.setThreads(before)
        #if os(Linux)
        // An override for this machine never downgrades and never needs instructions the CPU lacks.
        let flags = BLASRuntime.cpuFlags()
        #expect(!flags.isEmpty)
        if let override = BLASRuntime.needsOverride(detectedCore: BLASRuntime.coreName, cpuFlags: flags),
           let overrideLevel = BLASRuntime.isaLevel(ofCore: override),
           let detectedLevel = BLASRuntime.isaLevel(ofCore: BLASRuntime.coreName) {
            #expect(overrideLevel >= detectedLevel)
            #expect(overrideLevel <= BLASRuntime.isaLevel(cpuFlags: flags))
        }
        #endif
    }
}
