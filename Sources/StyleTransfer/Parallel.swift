import Dispatch

/// Cores the engine's own loops use (OpenBLAS runs its own threads for GEMM).
let engineThreads = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))

/// Runs `body` on contiguous chunks of 0..<count, one per core. Chunks are
/// fixed by `count` alone, so results do not depend on scheduling.
@inline(__always)
func parallelChunks(_ count: Int, minimumChunk: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
    let chunks = max(1, min(engineThreads, count / minimumChunk))
    if chunks == 1 { body(0..<count); return }
    DispatchQueue.concurrentPerform(iterations: chunks) { k in
        body((count * k / chunks)..<(count * (k + 1) / chunks))
    }
}

import Foundation
