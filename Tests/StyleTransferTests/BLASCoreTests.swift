import Foundation
import Testing
@testable import StyleTransfer

/// When a process starts again with another OpenBLAS core (`BLASCore`), and which one.
@Suite struct BLASCoreTests {
    /// The core that fits this CPU is the one its /proc/cpuinfo flags name, by OpenBLAS's rules.
    @Test func fittingCoreFollowsTheCPUFlags() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        let avx512 = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        let expected: String? = avx512 && flags.contains("avx512_bf16") ? "Cooperlake"
            : avx512 ? "SkylakeX" : flags.contains("avx2") && flags.contains("fma") ? "Haswell" : nil
        #expect(BLASCore.fitting == expected)
    }

    /// Only OpenBLAS's Prescott fallback, with the variable unset, on a CPU that fits better.
    @Test func restartsOnlyFromTheFallbackWhenNobodyChose() {
        #expect(BLASCore.restartCore(environment: [:], current: "Prescott", fitting: "Cooperlake") == "Cooperlake")
        #expect(BLASCore.restartCore(environment: [:], current: "Prescott", fitting: nil) == nil)
        #expect(BLASCore.restartCore(environment: [:], current: "Haswell", fitting: "SkylakeX") == nil)
        #expect(BLASCore.restartCore(environment: ["OPENBLAS_CORETYPE": "Prescott"], current: "Prescott",
                                     fitting: "SkylakeX") == nil)
        #expect(BLASCore.restartCore(environment: ["OPENBLAS_CORETYPE": ""], current: "Prescott", fitting: "Haswell") == nil)
    }
}
