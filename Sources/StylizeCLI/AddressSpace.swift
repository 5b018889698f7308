import COpenBLAS
import CVipsShim
import Dispatch
import Foundation

/// Under an address-space limit (`ulimit -v`, RLIMIT_AS) mapped bytes count,
/// not resident ones, while the memory plan estimates resident bytes and
/// admission subtracts what is mapped *now* from the limit. Two kinds of
/// mappings are not resident: glibc's per-thread arenas (64 MiB reserved each)
/// and the freed blocks it keeps, and OpenBLAS's work buffer, mapped once per
/// calling thread at that thread's first call (about 110 MiB each, mostly never
/// touched). Measured on a 1.5 GB limit: admitted at --size 600 (987 MiB
/// estimated, 1.01 GiB left), the run then died of a failed allocation.
/// So before admission: one arena and big blocks unmapped when freed, and every
/// thread the engine will use (Dispatch's pool) calls BLAS once, so that its
/// buffer is mapped already and admission counts it. Only under a finite
/// limit: elsewhere this would cost speed for nothing.
enum AddressSpace {
    static var limited: Bool {
        var rl = rlimit()
        return getrlimit(Int32(RLIMIT_AS.rawValue), &rl) == 0 && rl.rlim_cur != rlim_t.max
    }

    static func prepareForLimit() {
        guard limited else { return }
        stylize_malloc_for_address_limit()
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
    }
}

/// A counter the warm-up's threads share.
private final class Arrivals: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
