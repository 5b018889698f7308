import CKernels
import COpenBLAS

/// Winograd F(4x4, 3x3) convolution (Lavin & Gray 2016) over padded feature maps.
///
///   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
///
/// for each 6x6 input tile d and 3x3 kernel g, giving a 4x4 output tile with
/// 36 multiplications instead of 144. Summed over input channels, the
/// elementwise product becomes 36 GEMMs (one per transform position ξ):
///   M[ξ] (Cout x tiles) = U[ξ] (Cout x Cin) · V[ξ] (Cin x tiles)
/// so the GEMM work is 4x smaller than the direct convolution's.
///
/// The input gradient is the adjoint of the same linear map, with the same U:
///   dX = Σ_tiles B [ Uᵀ ⊙ (A dY Aᵀ) ] Bᵀ
/// where neighbouring 6x6 tiles of dX overlap by two pixels and add up.
/// Tiles are processed in bands so the transformed data stays cache-sized.
///
/// F(6x6, 3x3) (`WinogradTile.f6`, Winograd6.swift) is the same with 8x8 input
/// tiles and 6x6 outputs: 64 GEMMs for 36 output pixels, 21 % fewer
/// multiplications and transformed values per output than F(4x4), for 64
/// transformed weights per channel pair instead of 36. Layers with at most 128
/// channels use it (`WinogradTile.init`).
///
/// The transforms are written out row-wise (over all tiles of a tile row) so
/// the loops run over contiguous memory and vectorise. They run as the C
/// kernels of `kernels` (one call per tile row of a channel), or as the Swift
/// loops below (`KernelPath.swift`, the reference).
struct Winograd {
    let inChannels: Int
    let outChannels: Int
    let kernels: KernelPath
    let tile: WinogradTile
    /// U[ξ][o][c] = (G g_oc Gᵀ)[ξ], computed once (on the layer's first use).
    let transformed: [Float]

    // The four 1-D transforms, each applied along rows and then along columns.
    typealias Six = (Float, Float, Float, Float, Float, Float)
    typealias Four = (Float, Float, Float, Float)

    /// Bᵀ d (input transform).
    @inline(__always) static func bt(_ d: Six) -> Six {
        (4 * d.0 - 5 * d.2 + d.4,
         -4 * (d.1 + d.2) + d.3 + d.4,
         4 * (d.1 - d.2) - d.3 + d.4,
         2 * (d.3 - d.1) - d.2 + d.4,
         2 * (d.1 - d.3) - d.2 + d.4,
         4 * d.1 - 5 * d.3 + d.5)
    }

    /// Aᵀ m (output transform).
    @inline(__always) static func at(_ m: Six) -> Four {
        let p = m.1 + m.2, q = m.1 - m.2, p2 = m.3 + m.4, q2 = m.3 - m.4
        return (m.0 + p + p2, q + 2 * q2, p + 4 * p2, q + 8 * q2 + m.5)
    }

    /// A e, the adjoint of Aᵀ (gradient input transform).
    @inline(__always) static func a(_ e: Four) -> Six {
        let p = e.0 + e.2, q = e.1 + e.3, p4 = e.0 + 4 * e.2, q8 = 2 * e.1 + 8 * e.3
        return (e.0, p + q, p - q, p4 + q8, p4 - q8, e.3)
    }

    /// B w, the adjoint of Bᵀ (gradient output transform).
    @inline(__always) static func b(_ w: Six) -> Six {
        (4 * w.0,
         4 * (w.2 - w.1 + w.5) + 2 * (w.4 - w.3),
         -5 * w.0 - 4 * (w.1 + w.2) - w.3 - w.4,
         w.1 - w.2 + 2 * (w.3 - w.4) - 5 * w.5,
         w.0 + w.1 + w.2 + w.3 + w.4,
         w.5)
    }

    init(taps: [Float], inChannels: Int, outChannels: Int, tile: WinogradTile, kernels: KernelPath = .best) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernels = kernels
        self.tile = tile
        // taps are [k = 3*dy + dx][o][c]
        let gm = tile.g, n = tile.alpha
        var u = [Float](repeating: 0, count: n * n * outChannels * inChannels)
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                var g = [[Double]](repeating: [0, 0, 0], count: 3)
                for k in 0..<9 { g[k / 3][k % 3] = Double(taps[(k * outChannels + o) * inChannels + c]) }
                for a in 0..<n {
                    for b in 0..<n {
                        var s = 0.0
                        for i in 0..<3 { for j in 0..<3 { s += gm[a][i] * g[i][j] * gm[b][j] } }
                        u[((a * n + b) * outChannels + o) * inChannels + c] = Float(s)
                    }
                }
            }
        }
        transformed = u
    }

    /// Tile bands: `body(firstTileRow, tileRows, v, m)` with v and m sized for
    /// α² x channels x tiles of the band: 4M floats (16 MB) together, or as many as the
    /// transformed weights U when those are more (one tile row at least), in bands of
    /// equal height. Small bands keep V and M near the cache, but every band's GEMMs
    /// pack all of U again, and on conv4_x U (9.4M floats) is more than a 4M-float band
    /// of their data: one band instead of two at 384 px made conv4_2 and conv4_3 ~20 %
    /// faster (`stylize bench --sizes 384 --profile`).
    private func forEachBand(height h: Int, tilesAcross: Int, channelsIn: Int, channelsOut: Int,
                             _ body: (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let tilesDown = (h + tile.m - 1) / tile.m, positions = tile.alpha * tile.alpha
        let bandFloats = max(1 << 22, transformed.count)
        let mostRows = max(1, bandFloats / (positions * (channelsIn + channelsOut) * tilesAcross))
        let bands = (tilesDown + mostRows - 1) / mostRows
        let bandRows = (tilesDown + bands - 1) / bands
        let v = UnsafeMutablePointer<Float>.allocate(capacity: positions * channelsIn * bandRows * tilesAcross)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: positions * channelsOut * bandRows * tilesAcross)
        defer { v.deallocate(); m.deallocate() }
        for row0 in stride(from: 0, to: tilesDown, by: bandRows) {
            body(row0, min(bandRows, tilesDown - row0), v, m)
        }
    }

    /// y = conv(x) + bias, or max(conv(x) + bias, 0) with `relu` (the ReLU
    /// applied while the output tile is still in registers).
    func forward(_ x: FeatureMap, into y: FeatureMap, bias: [Float], relu: Bool = false) {
        precondition(x.channels == inChannels && y.channels == outChannels)
        let tilesAcross = (x.width + tile.m - 1) / tile.m, positions = tile.alpha * tile.alpha
        forEachBand(height: x.height, tilesAcross: tilesAcross, channelsIn: inChannels, channelsOut: outChannels) { row0, rows, v, m in
            let tiles = rows * tilesAcross
            inputTransform(x, v, firstTileRow: row0, tileRows: rows, tilesAcross: tilesAcross, stride: tiles)
            transformed.withUnsafeBufferPointer { u in
                parallelChunks(positions, minimumChunk: 1) { range in for xi in range {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outChannels), Int32(tiles), Int32(inChannels),
                                1, u.baseAddress! + xi * outChannels * inChannels, Int32(inChannels),
                                v + xi * inChannels * tiles, Int32(tiles), 0, m + xi * outChannels * tiles, Int32(tiles))
                } }
            }
            outputTransform(m, y, bias: bias, relu: relu, firstTileRow: row0, tileRows: rows, tilesAcross: tilesAcross, stride: tiles)
        }
    }

    /// dx = convᵀ(dy ⊙ [mask > 0]) (the mask folds in the ReLU after this conv;
    /// nil: no mask). dx is overwritten, its border left zero.
    func backward(_ dy: FeatureMap, mask: FeatureMap?, into dx: FeatureMap) {
        precondition(dy.channels == outChannels && dx.channels == inChannels)
        let tilesAcross = (dy.width + tile.m - 1) / tile.m, positions = tile.alpha * tile.alpha
        forEachBand(height: dy.height, tilesAcross: tilesAcross, channelsIn: outChannels, channelsOut: inChannels) { row0, rows, z, w in
            let tiles = rows * tilesAcross
            gradientInputTransform(dy, mask: mask, z, firstTileRow: row0, tileRows: rows, tilesAcross: tilesAcross, stride: tiles)
            transformed.withUnsafeBufferPointer { u in
                parallelChunks(positions, minimumChunk: 1) { range in for xi in range {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(inChannels), Int32(tiles), Int32(outChannels),
                                1, u.baseAddress! + xi * outChannels * inChannels, Int32(inChannels),
                                z + xi * outChannels * tiles, Int32(tiles), 0, w + xi * inChannels * tiles, Int32(tiles))
                } }
            }
            gradientOutputTransform(w, dx, firstTileRow: row0, tileRows: rows, tilesAcross: tilesAcross, stride: tiles)
        }
        dx.zeroBorder()  // gradient with respect to the zero padding is discarded
    }

    // MARK: forward transforms

    /// V[ξ][c][t] = (Bᵀ d B)[ξ] for the 6x6 padded-input tile d of tile t:
    /// first the row combinations Bᵀ d over six input rows, then the column
    /// combinations for every tile of that tile row.
    private func inputTransform(_ x: FeatureMap, _ v: UnsafeMutablePointer<Float>, firstTileRow: Int,
                                tileRows: Int, tilesAcross: Int, stride tiles: Int) {
        let rs = x.rowStride, paddedRows = x.height + 2
        let step = x.channels * tiles
        let width = tile.m * tilesAcross + 2  // columns the tiles read; may pass the padding by up to m - 1
        if let k = kernels.table {
            let row = tile == .f4 ? k.winograd_input_row : k.winograd6_input_row
            parallelChunks(x.channels, minimumChunk: 1) { range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: (tile.alpha + 1) * width)
                defer { scratch.deallocate() }
                for c in range {
                    for r in 0..<tileRows {
                        row(x.data + c * x.planeStride, rs, paddedRows, tile.m * (firstTileRow + r), tilesAcross,
                            v + c * tiles + r * tilesAcross, step, scratch)
                    }
                }
            }
            return
        }
        if tile == .f6 {
            return inputTransform6(x, v, firstTileRow: firstTileRow, tileRows: tileRows, tilesAcross: tilesAcross, stride: tiles)
        }
        parallelChunks(x.channels, minimumChunk: 1) { range in
            let d = UnsafeMutablePointer<Float>.allocate(capacity: 12 * width)
            defer { d.deallocate() }
            let t = d + 6 * width  // Bᵀ d, six rows
            for c in range {
                let plane = x.data + c * x.planeStride
                for r in 0..<tileRows {
                    let top = 4 * (firstTileRow + r)
                    for i in 0..<6 {  // the six input rows, zero past the padded plane
                        let dst = d + i * width
                        if top + i < paddedRows {
                            let n = min(width, rs)
                            dst.update(from: plane + (top + i) * rs, count: n)
                            if n < width { (dst + n).update(repeating: 0, count: width - n) }
                        } else {
                            dst.update(repeating: 0, count: width)
                        }
                    }
                    let d0 = d, d1 = d + width, d2 = d + 2 * width, d3 = d + 3 * width, d4 = d + 4 * width, d5 = d + 5 * width
                    let t0 = t, t1 = t + width, t2 = t + 2 * width, t3 = t + 3 * width, t4 = t + 4 * width, t5 = t + 5 * width
                    for j in 0..<width {
                        (t0[j], t1[j], t2[j], t3[j], t4[j], t5[j]) = Self.bt((d0[j], d1[j], d2[j], d3[j], d4[j], d5[j]))
                    }
                    let at = c * tiles + r * tilesAcross
                    for i in 0..<6 {
                        let row = t + i * width
                        let v0 = v + (6 * i) * step + at, v1 = v0 + step, v2 = v1 + step
                        let v3 = v2 + step, v4 = v3 + step, v5 = v4 + step
                        for tj in 0..<tilesAcross {
                            let q = row + 4 * tj
                            (v0[tj], v1[tj], v2[tj], v3[tj], v4[tj], v5[tj]) = Self.bt((q[0], q[1], q[2], q[3], q[4], q[5]))
                        }
                    }
                }
            }
        }
    }

    /// y tile = Aᵀ m A + bias (then max(., 0) with `relu`), clipped to the image; row combinations first.
    private func outputTransform(_ m: UnsafeMutablePointer<Float>, _ y: FeatureMap, bias: [Float], relu: Bool,
                                 firstTileRow: Int, tileRows: Int, tilesAcross: Int, stride tiles: Int) {
        let step = y.channels * tiles
        if let k = kernels.table {
            let (row, scratchSize) = tile == .f4 ? (k.winograd_output_row, 28) : (k.winograd6_output_row, 54)
            parallelChunks(y.channels, minimumChunk: 1) { range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchSize * tilesAcross)
                defer { scratch.deallocate() }
                for o in range {
                    for r in 0..<tileRows {
                        let oy = tile.m * (firstTileRow + r)
                        row(m + o * tiles + r * tilesAcross, step, tilesAcross, y.data + y.index(o, oy, 0),
                            y.rowStride, min(tile.m, y.height - oy), y.width, bias[o], relu ? 1 : 0, scratch)
                    }
                }
            }
            return
        }
        if tile == .f6 {
            return outputTransform6(m, y, bias: bias, relu: relu, firstTileRow: firstTileRow, tileRows: tileRows,
                                    tilesAcross: tilesAcross, stride: tiles)
        }
        parallelChunks(y.channels, minimumChunk: 1) { range in
            let s = UnsafeMutablePointer<Float>.allocate(capacity: 24 * tilesAcross)  // s[a][l][tj], Aᵀ over rows
            defer { s.deallocate() }
            let out = UnsafeMutablePointer<Float>.allocate(capacity: 4 * tilesAcross)
            defer { out.deallocate() }
            for o in range {
                let b = bias[o]
                for r in 0..<tileRows {
                    let at = o * tiles + r * tilesAcross
                    for l in 0..<6 {
                        let m0 = m + l * step + at, m1 = m0 + 6 * step, m2 = m1 + 6 * step
                        let m3 = m2 + 6 * step, m4 = m3 + 6 * step, m5 = m4 + 6 * step
                        let s0 = s + l * tilesAcross, s1 = s0 + 6 * tilesAcross
                        let s2 = s1 + 6 * tilesAcross, s3 = s2 + 6 * tilesAcross
                        for tj in 0..<tilesAcross {
                            (s0[tj], s1[tj], s2[tj], s3[tj]) = Self.at((m0[tj], m1[tj], m2[tj], m3[tj], m4[tj], m5[tj]))
                        }
                    }
                    let oy = 4 * (firstTileRow + r)
                    for a in 0..<4 where oy + a < y.height {
                        let s0 = s + (6 * a) * tilesAcross, s1 = s0 + tilesAcross, s2 = s1 + tilesAcross
                        let s3 = s2 + tilesAcross, s4 = s3 + tilesAcross, s5 = s4 + tilesAcross
                        for tj in 0..<tilesAcross {
                            let v = Self.at((s0[tj], s1[tj], s2[tj], s3[tj], s4[tj], s5[tj]))
                            (out[4 * tj], out[4 * tj + 1], out[4 * tj + 2], out[4 * tj + 3]) = (v.0 + b, v.1 + b, v.2 + b, v.3 + b)
                        }
                        if relu { for j in 0..<(4 * tilesAcross) { out[j] = max(out[j], 0) } }
                        (y.data + y.index(o, oy + a, 0)).update(from: out, count: y.width)
                    }
                }
            }
        }
    }

    // MARK: adjoint (input-gradient) transforms

    /// Z[ξ][o][t] = (A e Aᵀ)[ξ] for the 4x4 output-gradient tile e of tile t
    /// (zero past the image), e = dy ⊙ [mask > 0].
    private func gradientInputTransform(_ dy: FeatureMap, mask: FeatureMap?, _ z: UnsafeMutablePointer<Float>,
                                        firstTileRow: Int, tileRows: Int, tilesAcross: Int, stride tiles: Int) {
        let step = dy.channels * tiles
        let width = tile.m * tilesAcross
        if let k = kernels.table {
            let row = tile == .f4 ? k.winograd_grad_input_row : k.winograd6_grad_input_row
            parallelChunks(dy.channels, minimumChunk: 1) { range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: (tile.m + tile.alpha) * width)
                defer { scratch.deallocate() }
                for o in range {
                    for r in 0..<tileRows {
                        let top = tile.m * (firstTileRow + r)
                        row(dy.data + dy.index(o, top, 0), mask.map { $0.data + $0.index(o, top, 0) },
                            dy.rowStride, min(tile.m, dy.height - top), dy.width, tilesAcross,
                            z + o * tiles + r * tilesAcross, step, scratch)
                    }
                }
            }
            return
        }
        if tile == .f6 {
            return gradientInputTransform6(dy, mask: mask, z, firstTileRow: firstTileRow, tileRows: tileRows,
                                           tilesAcross: tilesAcross, stride: tiles)
        }
        parallelChunks(dy.channels, minimumChunk: 1) { range in
            let e = UnsafeMutablePointer<Float>.allocate(capacity: 10 * width)
            defer { e.deallocate() }
            let t = e + 4 * width  // A e, six rows
            for o in range {
                for r in 0..<tileRows {
                    let top = 4 * (firstTileRow + r)
                    for a in 0..<4 {  // four gradient rows, zero past the image
                        let dst = e + a * width
                        guard top + a < dy.height else { dst.update(repeating: 0, count: width); continue }
                        let src = dy.data + dy.index(o, top + a, 0)
                        if let mask {
                            let keep = mask.data + mask.index(o, top + a, 0)
                            for j in 0..<dy.width { dst[j] = keep[j] > 0 ? src[j] : 0 }
                        } else {
                            dst.update(from: src, count: dy.width)
                        }
                        (dst + dy.width).update(repeating: 0, count: width - dy.width)
                    }
                    let e0 = e, e1 = e + width, e2 = e + 2 * width, e3 = e + 3 * width
                    let t0 = t, t1 = t + width, t2 = t + 2 * width, t3 = t + 3 * width, t4 = t + 4 * width, t5 = t + 5 * width
                    for j in 0..<width {
                        (t0[j], t1[j], t2[j], t3[j], t4[j], t5[j]) = Self.a((e0[j], e1[j], e2[j], e3[j]))
                    }
                    let at = o * tiles + r * tilesAcross
                    for i in 0..<6 {
                        let row = t + i * width
                        let z0 = z + (6 * i) * step + at, z1 = z0 + step, z2 = z1 + step
                        let z3 = z2 + step, z4 = z3 + step, z5 = z4 + step
                        for tj in 0..<tilesAcross {
                            let q = row + 4 * tj
                            (z0[tj], z1[tj], z2[tj], z3[tj], z4[tj], z5[tj]) = Self.a((q[0], q[1], q[2], q[3]))
                        }
                    }
                }
            }
        }
    }

    /// dx tile += B w Bᵀ for every tile, six rows by six columns at stride four,
    /// so neighbouring tiles overlap by two and add; clipped to the padded plane.
    /// Tile rows run top to bottom: a tile row's first two rows add to what the
    /// row above left there, its other four are written (so dx needs no zeroing).
    private func gradientOutputTransform(_ w: UnsafeMutablePointer<Float>, _ dx: FeatureMap, firstTileRow: Int,
                                         tileRows: Int, tilesAcross: Int, stride tiles: Int) {
        let step = dx.channels * tiles
        let rs = dx.rowStride, paddedRows = dx.height + 2
        let width = 4 * tilesAcross + 2
        if let k = kernels.table {
            let (row, scratchSize) = tile == .f4 ? (k.winograd_grad_output_row, 46) : (k.winograd6_grad_output_row, 78)
            parallelChunks(dx.channels, minimumChunk: 1) { range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchSize * tilesAcross + 2)
                defer { scratch.deallocate() }
                for c in range {
                    for r in 0..<tileRows {
                        row(w + c * tiles + r * tilesAcross, step, tilesAcross, dx.data + c * dx.planeStride,
                            rs, paddedRows, tile.m * (firstTileRow + r), scratch)
                    }
                }
            }
            return
        }
        if tile == .f6 {
            return gradientOutputTransform6(w, dx, firstTileRow: firstTileRow, tileRows: tileRows, tilesAcross: tilesAcross,
                                            stride: tiles)
        }
        parallelChunks(dx.channels, minimumChunk: 1) { range in
            let s = UnsafeMutablePointer<Float>.allocate(capacity: 36 * tilesAcross)  // s[k][l][tj], B over rows
            defer { s.deallocate() }
            let out = UnsafeMutablePointer<Float>.allocate(capacity: width)
            defer { out.deallocate() }
            for c in range {
                for r in 0..<tileRows {
                    let at = c * tiles + r * tilesAcross
                    for l in 0..<6 {
                        let w0 = w + l * step + at, w1 = w0 + 6 * step, w2 = w1 + 6 * step
                        let w3 = w2 + 6 * step, w4 = w3 + 6 * step, w5 = w4 + 6 * step
                        let s0 = s + l * tilesAcross, s1 = s0 + 6 * tilesAcross, s2 = s1 + 6 * tilesAcross
                        let s3 = s2 + 6 * tilesAcross, s4 = s3 + 6 * tilesAcross, s5 = s4 + 6 * tilesAcross
                        for tj in 0..<tilesAcross {
                            (s0[tj], s1[tj], s2[tj], s3[tj], s4[tj], s5[tj]) = Self.b((w0[tj], w1[tj], w2[tj], w3[tj], w4[tj], w5[tj]))
                        }
                    }
                    let top = 4 * (firstTileRow + r)
                    for k in 0..<6 where top + k < paddedRows {
                        let s0 = s + (6 * k) * tilesAcross, s1 = s0 + tilesAcross, s2 = s1 + tilesAcross
                        let s3 = s2 + tilesAcross, s4 = s3 + tilesAcross, s5 = s4 + tilesAcross
                        out.update(repeating: 0, count: width)
                        for tj in 0..<tilesAcross {  // tiles overlap by two columns: accumulate
                            let q = out + 4 * tj
                            let d = Self.b((s0[tj], s1[tj], s2[tj], s3[tj], s4[tj], s5[tj]))
                            q[0] += d.0; q[1] += d.1; q[2] += d.2; q[3] += d.3; q[4] += d.4; q[5] += d.5
                        }
                        let row = dx.data + c * dx.planeStride + (top + k) * rs
                        let n = min(width, rs)
                        if k < 2 && top > 0 {
                            for j in 0..<n { row[j] += out[j] }
                        } else {
                            row.update(from: out, count: n)
                        }
                    }
                }
            }
        }
    }
}
