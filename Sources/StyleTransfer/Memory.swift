import Foundation

/// The engine's large buffers (a pass's feature maps, the run's largest share by
/// `MemoryModel`) come from malloc, checked, rather than from Swift's allocator,
/// which ends the process (SIGABRT) when malloc fails. libstylize runs inside
/// hosts (GIMP, vips, C programs): under a memory limit that admission could not
/// foresee, the run must fail with an error the host can handle
/// (`TransferError.allocationFailed`, STYLIZE_ERROR_OUT_OF_MEMORY in the C ABI),
/// and whatever was allocated before is freed as the owners unwind.
enum Memory {
    /// `count` uninitialised values of `T`; the caller releases them with `free`.
    static func allocate<T>(_: T.Type, count: Int) throws -> UnsafeMutablePointer<T> {
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow, let p = malloc(bytes) else {
            throw TransferError.allocationFailed(bytes: overflow ? Int.max : bytes)
        }
        return p.bindMemory(to: T.self, capacity: count)
    }
}
