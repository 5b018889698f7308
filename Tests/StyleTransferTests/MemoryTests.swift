import Foundation
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

    /// A block of 2 MiB or more is a mapping of its own, zeroed and aligned for huge
    /// pages, and released it leaves the address space at once (msync fails with
    /// ENOMEM on an unmapped page). From malloc's heap it would stay mapped: glibc
    /// raises its mmap threshold to the size of a mapped block freed (16 MiB here),
    /// so a 4 MiB block would come from the heap, and a host under RLIMIT_AS would
    /// find a failed run's maps still counted (Tests/faults/oom.c).
    @Test func largeBlocksAreMappedAndGiveTheirAddressSpaceBack() throws {
        free(malloc(16 << 20))
        let count = (4 << 20) / MemoryLayout<Float>.stride
        let p = try Memory.allocate(Float.self, count: count)
        #expect(Int(bitPattern: p) % Memory.hugePageBytes == 0)
        #expect(UnsafeBufferPointer(start: p, count: count).allSatisfy { $0 == 0 })
        p.update(repeating: 1, count: count)
        #expect(msync(p, 4096, MS_ASYNC) == 0)
        Memory.release(p, count: count)
        #expect(msync(p, 4096, MS_ASYNC) == -1 && errno == ENOMEM)
    }

    /// Smaller blocks come from malloc, zeroed as the maps made of them need.
    @Test func smallBlocksAreZeroedToo() throws {
        for _ in 0..<2 {  // the second time, maybe the first block's memory again
            let p = try Memory.allocate(Float.self, count: 1000)
            #expect(UnsafeBufferPointer(start: p, count: 1000).allSatisfy { $0 == 0 })
            p.update(repeating: 1, count: 1000)
            Memory.release(p, count: 1000)
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

    /// Backward reads one gradient and writes the next, so a pass keeps two gradient
    /// buffers, not one per layer (at 384 px, 602 MB of peak RSS became 508 MB), and the
    /// memory plan counts those two. Whether the gradients stay right through the
    /// shared buffers, GradientTests and WinogradTests.objectiveMatchesDirect check.
    @Test func backwardsGradientsTakeTurnsInTwoBuffers() throws {
        let network = try Support.realNetwork()
        let last = network.layerIndex("relu5_1")!
        let pass = try network.makePass(height: 40, width: 30, through: last)
        // In backward's order: the last output's gradient, then each conv's and pool's input gradient going down.
        let maps = [pass.outputGradient!] + pass.inputGradients.compactMap { $0 }.reversed()
        #expect(maps.count == 16)  // 11 convs and 4 pools through relu5_1, and the first map
        let buffers = maps.map { UInt(bitPattern: $0.data) }
        #expect(Set(buffers).count == 2)
        #expect(zip(buffers, buffers.dropFirst()).allSatisfy { $0 != $1 }, "a layer would write the gradient it reads")
        // The plan's figure for this pass: its maps plus backward's two buffers of the largest gradient (64 x 42 x 32).
        let planned = MemoryModel.passBytes(network, height: 40, width: 30, depth: last + 1, convs: [], forwardOnly: false,
                                            contentLayers: [], styleLayers: [], masked: false)
        let forward = ([pass.input] + pass.outputs.enumerated().filter {
            if case .relu = network.layers[$0.offset].kind { return false } else { return true }
        }.map(\.1)).reduce(0) { $0 + $1.count }
        #expect(planned == 4 * (forward + 2 * 64 * 42 * 32 + 2 * 3 * 40 * 30))
    }
}
