import Testing
@testable import StyleTransfer

/// The engine's large buffers fail with an error, not SIGABRT (Memory.swift).
/// Under a real limit: Tests/faults/oom.c.
struct MemoryTests {
    @Test func aMapNoMachineCanHoldThrowsNamingItsSize() {
        // 65536 planes of 65538² floats: 2^50 bytes, more than any address space gives.
        let bytes = 65536 * 65538 * 65538 * 4
        #expect(throws: TransferError.allocationFailed(bytes: bytes)) {
            _ = try FeatureMap(allocating: 65536, height: 65536, width: 65536)
        }
        let message = TransferError.allocationFailed(bytes: bytes).memoryMessage(size: "options->size", maxMemory: "options->max_memory")
        #expect(message.contains("could not allocate \(formatBytes(bytes))") && message.contains("lower options->size"))
    }

    @Test func aSizeThatOverflowsThrowsToo() {
        #expect(throws: TransferError.allocationFailed(bytes: Int.max)) {
            _ = try Memory.allocate(Float.self, count: Int.max / 2)
        }
    }

    /// The check made before Swift arrays (an optimiser step, a level, an input copy).
    @Test func addressSpaceChecksRefuseWhatCannotBeMappedAndPassTheRest() throws {
        let bytes = 1 << 50  // 1 PiB: past the 128 TiB a process can map
        #expect(throws: TransferError.allocationFailed(bytes: bytes)) { try Memory.ensure(UInt8.self, count: bytes) }
        #expect(throws: TransferError.allocationFailed(bytes: Int.max)) { try Memory.ensure(Float.self, count: Int.max / 2) }
        #expect(throws: TransferError.self) { try Memory.ensureStep(floats: 1 << 47) }
        try Memory.ensureStep(floats: 3 * 512 * 512)
        try Memory.ensureLevel(canvas: (6144, 4096), width: 512, height: 341)
    }

    @Test func aPassTooLargeThrowsAndAFittingOneFollows() throws {
        let network = try Support.realNetwork()
        let last = network.layerIndex("relu5_1")!
        #expect(throws: TransferError.self) {
            // The input map alone is 192 TiB: past the 128 TiB a process can map, whatever the overcommit policy.
            _ = try network.makePass(height: 1 << 22, width: 1 << 22, through: last)
        }
        let pass = try network.makePass(height: 32, width: 32, through: last)
        #expect(pass.depth == last + 1)
    }
}
