import Dispatch
import Foundation

/// Threads the engine runs on (all cores by default, at most 8). OpenBLAS
/// runs inside them, one call per thread (see `blasOnCallingThread`).
nonisolated(unsafe) public private(set) var engineThreads = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))

/// Sets the engine's thread count (e.g. `stylize bench --threads 1`); results
/// are deterministic for a given count.
public func setEngineThreads(_ n: Int) {
    precondition(n >= 1, "thread count must be at least 1")
    engineThreads = n
}

/// Runs `body` on contiguous chunks of 0..<count, one per thread. Chunks are
/// fixed by `count` and the thread count, so results do not depend on scheduling.
@inline(__always)
func parallelChunks(_ count: Int, minimumChunk: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
    _ = parallelPartials(count, minimumChunk: minimumChunk, body)
}

/// `parallelChunks` whose chunks each return a value, given back in chunk
/// order, so that combining them (a sum of partial sums) is deterministic.
@inline(__always)
func parallelPartials<T>(_ count: Int, minimumChunk: Int = 1 << 16, _ body: (Range<Int>) -> T) -> [T] {
    let chunks = max(1, min(engineThreads, count / minimumChunk))
    if chunks == 1 { return [body(0..<count)] }
    var results = [T?](repeating: nil, count: chunks)
    results.withUnsafeMutableBufferPointer { r in
        DispatchQueue.concurrentPerform(iterations: chunks) { k in
            r[k] = body((count * k / chunks)..<(count * (k + 1) / chunks))
        }
    }
    return results.map { $0! }
}
