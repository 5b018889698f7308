import Foundation

/// The engine's large buffers (a pass's feature maps, the run's largest share by
/// `MemoryModel`) come from malloc, checked, rather than from Swift's allocator,
/// which ends the process (SIGABRT) when malloc fails. libstylize runs inside
/// hosts (GIMP, vips, C programs): under a memory limit that admission could not
/// foresee, the run must fail with an error the host can handle
/// (`TransferError.allocationFailed`, STYLIZE_ERROR_OUT_OF_MEMORY in the C ABI),
/// and whatever was allocated before is freed as the owners unwind.
///
/// The pictures themselves (the optimiser's vectors, the resampled levels, the
/// C ABI's input copies) stay Swift arrays: copy-on-write values the optimisers
/// and objectives pass around. Their allocations are checked *before* they are
/// made with `ensure`, which maps and unmaps the address space they need: under
/// RLIMIT_AS or strict overcommit (the ways malloc returns NULL on Linux) a
/// mapping of B bytes fails exactly when malloc's would, so a step, a level or a
/// copy that could not be had throws instead of aborting half-way.
public enum Memory {
    /// `count` uninitialised values of `T`; the caller releases them with `free`.
    /// Blocks of `hugePageBytes` or more are aligned to it and asked for huge pages
    /// (Linux's transparent huge pages, which Debian enables on request): the maps
    /// of a 2560x1600 level are 11 GiB, and making them resident 4 KiB at a time took
    /// 2.8 million page faults.
    static func allocate<T>(_: T.Type, count: Int) throws -> UnsafeMutablePointer<T> {
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow else { throw TransferError.allocationFailed(bytes: Int.max) }
        var p: UnsafeMutableRawPointer?
        if bytes < hugePageBytes {
            p = malloc(bytes)
        } else if posix_memalign(&p, hugePageBytes, bytes) == 0, let p {
            madvise(p, bytes / hugePageBytes * hugePageBytes, MADV_HUGEPAGE)
        } else {
            p = nil
        }
        guard let p else { throw TransferError.allocationFailed(bytes: bytes) }
        return p.bindMemory(to: T.self, capacity: count)
    }

    static let hugePageBytes = 2 << 20

    /// Throws `allocationFailed` unless `count` values of `T` can be mapped now.
    /// The probe is an untouched private mapping, unmapped at once (no page is
    /// made resident, malloc's state is left alone); with a limit it is charged
    /// as the arrays that follow will be. Another thread of the host can still
    /// take the space between the probe and the arrays: the window is one step.
    public static func ensure<T>(_: T.Type, count: Int) throws {
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow else { throw TransferError.allocationFailed(bytes: Int.max) }
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else {
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
