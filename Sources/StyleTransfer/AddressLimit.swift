import COpenBLAS
import Dispatch
import Foundation

/// Under an address-space limit (`ulimit -v`, RLIMIT_AS) mapped bytes count,
/// not resident ones, while the memory plan estimates resident bytes and
/// admission subtracts what is mapped *now* from the limit. Two kinds of
/// mappings the engine's threads make are not resident: glibc's per-thread
/// arenas (64 MiB reserved each) and OpenBLAS's work buffer, mapped at a
/// thread's first concurrent call (about 110 MiB each, mostly never touched).
/// Measured on a 1.5 GB limit: admitted at --size 600 (987 MiB estimated,
/// 1.01 GiB left), the run then failed to allocate; a C host with RLIMIT_AS
/// 1197 MiB (Tests/faults/aslimit.c): admitted at 512 px, then out of memory;
/// with the buffers mapped first, admitted at 336 px, and that run completes.
///
/// So before admission measures, every thread the engine will use (Dispatch's
/// pool) calls BLAS, at once: its arena and buffer are mapped and counted. This
/// lives in the engine, beside admission, so every door (the CLI, the C ABI and
/// the hosts on it: vips, GIMP) gets it. Once per process: arenas and OpenBLAS's
/// buffers are kept for the process's life. Only under a finite limit: elsewhere
/// it would cost time for nothing. (The CLI also narrows glibc's arenas, a
/// process-wide malloc policy a library must leave to its host.)
public enum AddressLimit {
    /// RLIMIT_AS is finite.
    public static var isSet: Bool {
        var rl = rlimit()
        return getrlimit(Int32(RLIMIT_AS.rawValue), &rl) == 0 && rl.rlim_cur != rlim_t.max
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var mapped = false

    /// Maps the engine's threads' arenas and BLAS buffers now, when a limit is
    /// set and this process has not done so yet. Returns whether it ran now.
    @discardableResult
    public static func mapEngineBuffers() -> Bool {
        guard isSet else { return false }
        lock.lock()
        defer { lock.unlock() }
        if mapped { return false }
        mapped = true
        _ = blasOnCallingThread  // as the engine calls BLAS: each call on its own thread
        // All of the engine's threads in BLAS at once (it runs ncpu at a time): OpenBLAS
        // maps one buffer per concurrent call and keeps it, so the peak is mapped now.
        let count = ProcessInfo.processInfo.activeProcessorCount
        let arrived = Arrivals()
        let n = 384  // large enough for OpenBLAS's buffered path, not its small-matrix one
        let a = [Float](repeating: 1, count: n * n)
        DispatchQueue.concurrentPerform(iterations: count) { _ in
            arrived.add()
            // Calls repeated while the others arrive and then a few more, so that they overlap;
            // a deadline, never a deadlock, if the pool is narrower.
            let deadline = Date().addingTimeInterval(2)
            var c = [Float](repeating: 0, count: n * n)
            var together = 0
            while together < 3 && Date() < deadline {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                            1, a, Int32(n), a, Int32(n), 0, &c, Int32(n))
                if arrived.value == count { together += 1 }
            }
        }
        return true
    }
}

/// A counter the warm-up's threads share.
private final class Arrivals: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
