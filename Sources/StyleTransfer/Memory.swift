import Foundation

/// The engine's large buffers (a pass's feature maps, the run's largest share by
/// `MemoryModel`) come from `allocate` (their own mappings, or malloc when small),
/// checked, rather than from Swift's allocator, which ends the process (SIGABRT)
/// when malloc fails. libstylize runs inside hosts (GIMP, vips, C programs):
/// under a memory limit that admission could not foresee, the run must fail with
/// an error the host can handle (`TransferError.allocationFailed`,
/// STYLIZE_ERROR_OUT_OF_MEMORY in the C ABI), and whatever was allocated before
/// is freed as the owners unwind.
///
/// The pictures themselves (the optimiser's vectors, the resampled levels, the
/// C ABI's input copies) stay Swift arrays: copy-on-write values the optimisers
/// and objectives pass around. Their allocations are checked *before* they are
/// made with `ensure`, which maps and unmaps the address space they need: under
/// RLIMIT_AS or strict overcommit (the ways malloc returns NULL on Linux) a
/// mapping of B bytes fails exactly when malloc's would, so a step, a level or a
/// copy that could not be had throws instead of aborting half-way.
public enum Memory {
    /// `count` zeroed values of `T`; the caller gives them back with `release`.
    /// Blocks of `hugePageBytes` or more are mapped from the kernel, not taken from
    /// malloc's heap, so that freeing them gives the address space back at once: in
    /// the heap, blocks under glibc's mmap threshold (which it raises to 32 MiB) stay
    /// mapped while any live chunk lies above them, and a C host under RLIMIT_AS found
    /// 109-165 MiB of a failed 512 px run's maps still mapped in 3 runs of 17
    /// (Tests/faults/oom.c), too much for its next, smaller call. Mapped blocks are
    /// aligned to 2 MiB and asked for huge pages (Linux's transparent huge pages,
    /// which Debian enables on request): the maps of a 2560x1600 level are 11 GiB,
    /// and making them resident 4 KiB at a time took 2.8 million page faults.
    static func allocate<T>(_: T.Type, count: Int) throws -> UnsafeMutablePointer<T> {
        let bytes = try byteCount(T.self, count)
        if bytes < hugePageBytes {
            guard let p = calloc(bytes, 1) else { throw TransferError.allocationFailed(bytes: bytes) }
            return p.bindMemory(to: T.self, capacity: count)
        }
        // Map one huge page more than needed, then unmap the unaligned head and the rest of that page.
        let length = mappedLength(bytes)
        let m = mmap(nil, length + hugePageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let m, m != mapFailed else { throw TransferError.allocationFailed(bytes: bytes) }
        let head = (hugePageBytes - Int(bitPattern: m) % hugePageBytes) % hugePageBytes
        if head > 0 { munmap(m, head) }
        munmap(m + head + length, hugePageBytes - head)  // never empty: head < hugePageBytes
        madvise(m + head, length / hugePageBytes * hugePageBytes, MADV_HUGEPAGE)
        return (m + head).bindMemory(to: T.self, capacity: count)  // fresh anonymous pages are zero
    }

    /// Gives back what `allocate` returned for the same `count`.
    static func release<T>(_ p: UnsafeMutablePointer<T>, count: Int) {
        let bytes = max(count, 1) * MemoryLayout<T>.stride
        if bytes < hugePageBytes { free(p) } else { munmap(p, mappedLength(bytes)) }
    }

    private static func byteCount<T>(_: T.Type, _ count: Int) throws -> Int {
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow else { throw TransferError.allocationFailed(bytes: Int.max) }
        return bytes
    }

    /// `bytes` rounded up to whole pages.
    private static func mappedLength(_ bytes: Int) -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return (bytes + page - 1) / page * page
    }

    private static let mapFailed = UnsafeMutableRawPointer(bitPattern: -1)

    static let hugePageBytes = 2 << 20

    /// Throws `allocationFailed` unless `count` values of `T` can be mapped now.
    /// The probe is an untouched private mapping, unmapped at once (no page is
    /// made resident, malloc's state is left alone); with a limit it is charged
    /// as the arrays that follow will be. Another thread of the host can still
    /// take the space between the probe and the arrays: the window is one step.
    public static func ensure<T>(_: T.Type, count: Int) throws {
        let bytes = try byteCount(T.self, count)
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != mapFailed else {
            throw TransferError.allocationFailed(bytes: bytes)
        }
        munmap(p, bytes)
    }

    /// Picture-sized vectors one optimiser step may hold at once, beyond the
    /// picture x itself: L-BFGS's direction q, the stored gradient, the line
    /// search's trial point and the gradients at its bracket's two ends, the
    /// mirrored objective's padded input, the network's and the fold's
    /// gradients (8; after the search: the new (s, y) pair instead of the
    /// bracket); Adam's m and v at its first step and the gradients (4). Two spare.
    static let stepVectors = 10
    /// The largest block a layer makes per call: im2col's band (Conv3x3, at most
    /// 2^23 floats; 23 MB for the first layer at 512x384); Winograd's bands take
    /// 2^22 floats, or as many as the layer's transformed weights (9.4M on 512-channel
    /// layers, 38 MB). One layer runs at a time.
    static let layerScratchBytes = 40 << 20

    /// Before an optimiser step on `floats` picture values: its vectors and the layers' scratch.
    static func ensureStep(floats: Int) throws {
        try ensure(UInt8.self, count: stepVectors * MemoryLayout<Float>.stride * floats + layerScratchBytes)
    }

    /// Floats a triangle-filter resample from `from` to `to` makes (`Image.resized`:
    /// the horizontal pass at the source's height, then the result), RGB.
    static func resampleFloats(from: (width: Int, height: Int), to: (width: Int, height: Int)) -> Int {
        3 * (from.height * to.width + to.width * to.height)
    }

    /// Floats a level's start makes before its first step: the content resampled
    /// from the canvas, the refinement's start x₀ = up(x) + (c − up(down(c)))
    /// (three resamples to the level's size and the sum), the mask, and x.
    static func levelFloats(canvas: (width: Int, height: Int), width w: Int, height h: Int) -> Int {
        resampleFloats(from: canvas, to: (w, h)) + 4 * resampleFloats(from: (w, h), to: (w, h)) + 2 * 3 * w * h
    }

    /// Before a level: its start's pictures, and the layers' scratch for the style
    /// targets' and the first evaluation's passes (their maps are checked as made).
    static func ensureLevel(canvas: (width: Int, height: Int), width w: Int, height h: Int) throws {
        try ensure(UInt8.self, count: MemoryLayout<Float>.stride * levelFloats(canvas: canvas, width: w, height: h)
                       + layerScratchBytes)
    }
}
