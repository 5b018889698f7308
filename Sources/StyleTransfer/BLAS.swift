import COpenBLAS

/// The engine's own threads call OpenBLAS (`parallelChunks` over independent
/// GEMMs or column blocks), so OpenBLAS must run each call on the calling
/// thread: its worker threads keep spinning after every threaded call and
/// would fight the engine's threads for the cores (measured at 384 px: 0.85 s
/// per iteration with both kinds of threads, 0.60 s with the engine's alone).
/// Set once, when the first convolution is built (every network builds its own, and
/// every other GEMM here reads a network's features); process-wide, as OpenBLAS is.
/// Two engine threads calling a multi-threaded OpenBLAS at once can also get wrong
/// results: a Conv3x3 built alone (KernelTests) before any network, with OpenBLAS's
/// Prescott kernels, differed from the reference in 1 of 4 runs.
let blasOnCallingThread: Void = openblas_set_num_threads(1)

/// G = scale * F Fᵀ (C x C, full, symmetric) for F = C rows of n floats at
/// `stride`, added to G when `accumulate`. The n columns are split between the
/// engine's threads and the partial Grams summed in a fixed order.
func gram(_ f: UnsafePointer<Float>, rows c: Int, columns n: Int, stride: Int, scale: Float,
          into g: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
    let partials = parallelPartials(n, minimumChunk: 256) { columns in
        var part = [Float](repeating: 0, count: c * c)  // upper triangle filled
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(c), Int32(columns.count),
                    scale, f + columns.lowerBound, Int32(stride), 0, &part, Int32(c))
        return part
    }
    for i in 0..<c {
        for j in i..<c {
            var s: Float = accumulate ? g[i * c + j] : 0
            for part in partials { s += part[i * c + j] }
            g[i * c + j] = s
            g[j * c + i] = s
        }
    }
}

/// C = alpha A B + beta C with A (m x k) and B (k x n) row-major, C's n
/// columns split between the engine's threads (each computes its own block).
func multiply(_ m: Int, _ n: Int, _ k: Int, alpha: Float, _ a: UnsafePointer<Float>, lda: Int,
              _ b: UnsafePointer<Float>, ldb: Int, beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int,
              transposeA: Bool = false) {
    parallelChunks(n, minimumChunk: 256) { cols in
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, CblasNoTrans,
                    Int32(m), Int32(cols.count), Int32(k), alpha, a, Int32(lda),
                    b + cols.lowerBound, Int32(ldb), beta, c + cols.lowerBound, Int32(ldc))
    }
}
