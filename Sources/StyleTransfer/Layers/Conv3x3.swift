import COpenBLAS
import Foundation

/// 3x3 convolution, stride 1, zero padding 1, with bias (every VGG conv).
///
/// Forward, for each of the nine taps k = (dy, dx):
///   y[o, p] += sum_c W[o, c, dy, dx] * x[c, p + s_k],   s_k = dy*(W+2) + dx
/// over the padded layout of `FeatureMap`: output pixel (i, j) sits at padded
/// index p = (i+1)*(W+2) + (j+1), and its tap reads padded input p - (W+3) + s_k.
/// Each tap is one `cblas_sgemm` (M = Cout, K = Cin, N ~ H*(W+2)) on shifted
/// views of the input, so no im2col matrix is ever built. The two extra
/// columns per row land on the border and are zeroed afterwards.
///
/// Backward (input gradient only; weights are frozen) is the transpose:
///   dx[c, p - (W+3) + s_k] += sum_o W[o, c, dy, dx] * dy[o, p].
public final class Conv3x3: @unchecked Sendable {
    public let inChannels: Int
    public let outChannels: Int
    /// Taps as nine [Cout][Cin] matrices, repacked once from OIHW (the direct
    /// path's weights, and the Winograd path's until it first runs).
    private var taps: [Float]
    /// For few input channels (conv1_1): [Cout][9*Cin], columns ordered (tap, channel),
    /// used with a small im2col so the GEMM's K is 27 instead of 3.
    private let flat: [Float]
    private var usesIm2col: Bool { inChannels < 16 }
    /// Winograd for the rest (every VGG conv but conv1_1), when enabled: F(6x6,3x3)
    /// or F(4x4,3x3) by the layer's channels (`WinogradTile`), or as the tests ask.
    private let usesWinograd: Bool
    private let winogradTile: WinogradTile
    /// Its transformed weights (4x the taps, 7.1x for F(6x6)) are made on first use, so layers no
    /// run reaches (conv5_2, conv5_3 for the usual style layers) cost only their taps.
    private var winogradWeights: Winograd?
    private let lock = NSLock()
    public let bias: [Float]
    /// Who runs the transforms and the folded ReLU (C kernels for the CPU, or the Swift reference).
    public let kernels: KernelPath

    /// The Winograd form, made from the taps the first time (once, under the lock,
    /// since one network serves many threads); nil on the other paths.
    private var winograd: Winograd? {
        guard usesWinograd else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if winogradWeights == nil {
            winogradWeights = Winograd(taps: taps, inChannels: inChannels, outChannels: outChannels, tile: winogradTile,
                                       kernels: kernels)
            taps = []
        }
        return winogradWeights
    }

    /// `weight` is OIHW: [Cout][Cin][3][3].
    /// `useWinograd: false` keeps the direct nine-GEMM path (the reference the tests compare against).
    public init(weight: [Float], bias: [Float], inChannels: Int, outChannels: Int, useWinograd: Bool = true,
                winogradTile: WinogradTile? = nil, kernels: KernelPath = .best) {
        precondition(weight.count == outChannels * inChannels * 9 && bias.count == outChannels)
        _ = blasOnCallingThread  // a conv's GEMMs run on the engine's threads, each its own (BLAS.swift)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.bias = bias
        self.kernels = kernels
        var t = [Float](repeating: 0, count: 9 * outChannels * inChannels)
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                for k in 0..<9 {
                    t[(k * outChannels + o) * inChannels + c] = weight[(o * inChannels + c) * 9 + k]
                }
            }
        }
        usesWinograd = inChannels >= 16 && useWinograd
        self.winogradTile = winogradTile ?? WinogradTile(inChannels: inChannels, outChannels: outChannels)
        taps = t
        var f: [Float] = []  // only the im2col path keeps this layout
        if inChannels < 16 {
            f = [Float](repeating: 0, count: 9 * outChannels * inChannels)
            for o in 0..<outChannels {
                for k in 0..<9 {
                    for c in 0..<inChannels { f[o * 9 * inChannels + k * inChannels + c] = t[(k * outChannels + o) * inChannels + c] }
                }
            }
        }
        flat = f
    }

    /// Runs `body(col, firstColumn, count)` over bands of the n GEMM columns with
    /// an im2col buffer of at most 8M floats, so no full-size im2col is built.
    private func forEachBand(columns n: Int, _ body: (UnsafeMutablePointer<Float>, Int, Int) -> Void) {
        let band = max(1, min(n, (1 << 23) / (9 * inChannels)))
        let col = UnsafeMutablePointer<Float>.allocate(capacity: 9 * inChannels * band)
        defer { col.deallocate() }
        for q0 in stride(from: 0, to: n, by: band) { body(col, q0, min(band, n - q0)) }
    }

    /// col[(k, c)][j] = x[c, q0 + j + s_k]: each row is one contiguous copy.
    private func im2col(_ x: FeatureMap, _ col: UnsafeMutablePointer<Float>, from q0: Int, count: Int) {
        parallelChunks(9 * inChannels, minimumChunk: 1) { rows in
            for r in rows {
                let (k, c) = r.quotientAndRemainder(dividingBy: inChannels)
                let shift = (k / 3) * x.rowStride + (k % 3)
                (col + r * count).update(from: x.data + c * x.planeStride + shift + q0, count: count)
            }
        }
    }

    /// y = conv(x) + bias; with `relu`, then max(y, 0) (the ReLU layer after
    /// this conv, folded into the Winograd output transform).
    public func forward(_ x: FeatureMap, into y: FeatureMap, relu: Bool = false) {
        precondition(x.channels == inChannels && y.channels == outChannels)
        precondition(x.height == y.height && x.width == y.width)
        if let winograd {
            winograd.forward(x, into: y, bias: bias, relu: relu)
            return
        }
        defer { if relu { ReLU.forward(y, kernels: kernels) } }
        let rs = x.rowStride, ps = x.planeStride
        let n = (x.height - 1) * rs + x.width  // GEMM columns, from the first to the last interior pixel
        let start = rs + 1
        for o in 0..<outChannels {
            (y.data + o * ps + start).update(repeating: bias[o], count: n)
        }
        if usesIm2col {
            let rows = 9 * inChannels
            forEachBand(columns: n) { col, q0, len in
                im2col(x, col, from: q0, count: len)
                multiply(outChannels, len, rows, alpha: 1, flat, lda: rows, col, ldb: len, beta: 1, y.data + start + q0, ldc: ps)
            }
            y.zeroBorder()
            return
        }
        taps.withUnsafeBufferPointer { t in
            for k in 0..<9 {
                let shift = (k / 3) * rs + (k % 3)
                multiply(outChannels, n, inChannels, alpha: 1, t.baseAddress! + k * outChannels * inChannels, lda: inChannels,
                         x.data + shift, ldb: ps, beta: 1, y.data + start, ldc: ps)
            }
        }
        y.zeroBorder()
    }

    /// `dy`'s border must be zero (layers keep it so); `dx` is overwritten.
    /// With `reluOutput`, the ReLU that follows this conv is folded in: dy is
    /// first masked by reluOutput > 0 (while being read on the Winograd path,
    /// in place on dy on the others).
    public func backward(_ dy: FeatureMap, into dx: FeatureMap, reluOutput: FeatureMap? = nil) {
        precondition(dy.channels == outChannels && dx.channels == inChannels)
        if let winograd {
            winograd.backward(dy, mask: reluOutput, into: dx)
            return
        }
        if let reluOutput { ReLU.backward(dy, output: reluOutput, kernels: kernels) }
        let rs = dy.rowStride, ps = dy.planeStride
        let n = (dy.height - 1) * rs + dy.width
        let start = rs + 1
        dx.zero()
        if usesIm2col {
            // dcol = Wflatᵀ dy, then scatter-add each row back to its shifted place (col2im).
            let rows = 9 * inChannels
            forEachBand(columns: n) { col, q0, len in
                multiply(rows, len, outChannels, alpha: 1, flat, lda: rows, dy.data + start + q0, ldb: ps,
                         beta: 0, col, ldc: len, transposeA: true)
                parallelChunks(inChannels, minimumChunk: 1) { channels in  // each thread owns whole planes of dx
                    for c in channels {
                        for k in 0..<9 {
                            let shift = (k / 3) * rs + (k % 3)
                            let src = col + (k * inChannels + c) * len, dst = dx.data + c * ps + shift + q0
                            for j in 0..<len { dst[j] += src[j] }
                        }
                    }
                }
            }
            dx.zeroBorder()
            return
        }
        taps.withUnsafeBufferPointer { t in
            for k in 0..<9 {
                let shift = (k / 3) * rs + (k % 3)
                // Threads split the columns: within one tap their blocks of dx are disjoint.
                multiply(inChannels, n, outChannels, alpha: 1, t.baseAddress! + k * outChannels * inChannels, lda: inChannels,
                         dy.data + start, ldb: ps, beta: 1, dx.data + shift, ldc: ps, transposeA: true)
            }
        }
        dx.zeroBorder()  // gradient with respect to the zero padding is discarded
    }

    /// Floats this layer keeps now, and once it has run (its weights in the
    /// layouts its paths use), for the memory plan.
    var storedFloats: Int {
        lock.lock()
        defer { lock.unlock() }
        return taps.count + flat.count + (winogradWeights?.transformed.count ?? 0) + bias.count
    }
    var floatsWhenUsed: Int {
        (usesWinograd ? winogradTile.alpha * winogradTile.alpha : 9) * inChannels * outChannels + flat.count + bias.count
    }

    /// FLOPs of one forward pass (the backward costs the same).
    public func flops(height: Int, width: Int) -> Double {
        2 * Double(height * width) * Double(inChannels * outChannels * 9)
    }
}
