import COpenBLAS

/// Winograd F(2x2, 3x3) convolution (Lavin & Gray 2016) over padded feature maps.
///
///   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
///
/// for each 4x4 input tile d and 3x3 kernel g, giving a 2x2 output tile with
/// 16 multiplications instead of 36. Summed over input channels, the
/// elementwise product becomes 16 GEMMs (one per transform position ξ):
///   M[ξ] (Cout x tiles) = U[ξ] (Cout x Cin) · V[ξ] (Cin x tiles)
/// so the GEMM work is 2.25x smaller than the direct convolution's.
///
/// The input gradient is a convolution of dy with the kernels flipped and
/// their channels swapped. Since G·flip(g) = S·G·g with S swapping rows 0 and 3,
/// that convolution reuses U transposed, with ξ's rows and columns swapped by S.
/// Tiles are processed in bands so the transformed data stays cache-sized.
struct Winograd {
    let inChannels: Int
    let outChannels: Int
    /// U[ξ][o][c] = (G g_oc Gᵀ)[ξ], computed once per model load.
    let transformed: [Float]

    init(taps: [Float], inChannels: Int, outChannels: Int) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        // taps are [k = 3*dy + dx][o][c]
        var u = [Float](repeating: 0, count: 16 * outChannels * inChannels)
        let gm: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                var g = [[Float]](repeating: [0, 0, 0], count: 3)
                for k in 0..<9 { g[k / 3][k % 3] = taps[(k * outChannels + o) * inChannels + c] }
                for a in 0..<4 {
                    for b in 0..<4 {
                        var s: Float = 0
                        for i in 0..<3 { for j in 0..<3 { s += gm[a][i] * g[i][j] * gm[b][j] } }
                        u[((a * 4 + b) * outChannels + o) * inChannels + c] = s
                    }
                }
            }
        }
        transformed = u
    }

    /// Forward: y = conv(x) + bias. Backward (`gradient`): dx = convᵀ(dy), no bias.
    func run(_ x: FeatureMap, into y: FeatureMap, bias: [Float]?, gradient: Bool) {
        let cin = gradient ? outChannels : inChannels    // channels read
        let cout = gradient ? inChannels : outChannels   // channels written
        precondition(x.channels == cin && y.channels == cout)
        let h = x.height, w = x.width
        let tilesDown = (h + 1) / 2, tilesAcross = (w + 1) / 2
        // A band of tile rows whose V and M buffers fit in ~16 MB.
        let bandTiles = max(tilesAcross, (1 << 22) / (16 * (cin + cout)))
        let bandRows = max(1, min(tilesDown, bandTiles / tilesAcross))
        let capacity = bandRows * tilesAcross
        let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * cin * capacity)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 * cout * capacity)
        defer { v.deallocate(); m.deallocate() }
        let swap = [3, 1, 2, 0]  // S: the row/column permutation for flipped kernels

        for row0 in stride(from: 0, to: tilesDown, by: bandRows) {
            let rows = min(bandRows, tilesDown - row0)
            let tiles = rows * tilesAcross
            inputTransform(x, v, firstTileRow: row0, tileRows: rows, tilesAcross: tilesAcross, stride: tiles)
            transformed.withUnsafeBufferPointer { u in
                for xi in 0..<16 {
                    if gradient {
                        let src = swap[xi / 4] * 4 + swap[xi % 4]
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cout), Int32(tiles), Int32(cin),
                                    1, u.baseAddress! + src * outChannels * inChannels, Int32(inChannels),
                                    v + xi * cin * tiles, Int32(tiles), 0, m + xi * cout * tiles, Int32(tiles))
                    } else {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(cout), Int32(tiles), Int32(cin),
                                    1, u.baseAddress! + xi * outChannels * inChannels, Int32(inChannels),
                                    v + xi * cin * tiles, Int32(tiles), 0, m + xi * cout * tiles, Int32(tiles))
                    }
                }
            }
            outputTransform(m, y, bias: bias, firstTileRow: row0, tileRows: rows, tilesAcross: tilesAcross, stride: tiles)
        }
    }

    /// V[ξ][c][t] = (Bᵀ d B)[ξ] for the 4x4 padded-input tile d of tile t.
    /// Written row-wise so the loops run over whole rows and vectorise:
    /// first the row combinations Bᵀ d for a band of four rows, then the
    /// column combinations for every tile of that tile row.
    private func inputTransform(_ x: FeatureMap, _ v: UnsafeMutablePointer<Float>, firstTileRow: Int,
                                tileRows: Int, tilesAcross: Int, stride tiles: Int) {
        let channels = x.channels, rs = x.rowStride, paddedRows = x.height + 2
        let step = channels * tiles
        let width = 2 * tilesAcross + 2  // columns the tiles read; may pass the padding by one
        parallelChunks(channels, minimumChunk: 1) { range in
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: 8 * width)
            defer { rows.deallocate() }
            let bt = rows + 4 * width  // Bᵀ d, four rows
            for c in range {
                let plane = x.data + c * x.planeStride
                for r in 0..<tileRows {
                    let top = 2 * (firstTileRow + r)
                    // The four input rows, zero past the padded plane (odd sizes).
                    for i in 0..<4 {
                        let dst = rows + i * width
                        if top + i < paddedRows {
                            let n = min(width, rs)
                            dst.update(from: plane + (top + i) * rs, count: n)
                            if n < width { (dst + n).update(repeating: 0, count: width - n) }
                        } else {
                            dst.update(repeating: 0, count: width)
                        }
                    }
                    let d0 = rows, d1 = rows + width, d2 = rows + 2 * width, d3 = rows + 3 * width
                    let t0 = bt, t1 = bt + width, t2 = bt + 2 * width, t3 = bt + 3 * width
                    for j in 0..<width {
                        t0[j] = d0[j] - d2[j]
                        t1[j] = d1[j] + d2[j]
                        t2[j] = d2[j] - d1[j]
                        t3[j] = d1[j] - d3[j]
                    }
                    let at = c * tiles + r * tilesAcross
                    for i in 0..<4 {
                        let t = bt + i * width
                        let v0 = v + (4 * i) * step + at, v1 = v + (4 * i + 1) * step + at
                        let v2 = v + (4 * i + 2) * step + at, v3 = v + (4 * i + 3) * step + at
                        for tj in 0..<tilesAcross {
                            let q = t + 2 * tj
                            v0[tj] = q[0] - q[2]
                            v1[tj] = q[1] + q[2]
                            v2[tj] = q[2] - q[1]
                            v3[tj] = q[1] - q[3]
                        }
                    }
                }
            }
        }
    }

    /// y tile = Aᵀ m A (+ bias), clipped to the image for odd sizes; row-wise
    /// over the tiles of a tile row, like the input transform.
    private func outputTransform(_ m: UnsafeMutablePointer<Float>, _ y: FeatureMap, bias: [Float]?, firstTileRow: Int,
                                 tileRows: Int, tilesAcross: Int, stride tiles: Int) {
        let channels = y.channels, step = channels * tiles
        parallelChunks(channels, minimumChunk: 1) { range in
            let s = UnsafeMutablePointer<Float>.allocate(capacity: 8 * tilesAcross)
            defer { s.deallocate() }
            let out = UnsafeMutablePointer<Float>.allocate(capacity: 4 * tilesAcross + 2)
            defer { out.deallocate() }
            for o in range {
                let b = bias?[o] ?? 0
                for r in 0..<tileRows {
                    let at = o * tiles + r * tilesAcross
                    // s0[j] = m[0][j] + m[1][j] + m[2][j], s1[j] = m[1][j] - m[2][j] - m[3][j]
                    for j in 0..<4 {
                        let m0 = m + j * step + at, m1 = m + (4 + j) * step + at
                        let m2 = m + (8 + j) * step + at, m3 = m + (12 + j) * step + at
                        let s0 = s + j * tilesAcross, s1 = s + (4 + j) * tilesAcross
                        for tj in 0..<tilesAcross {
                            s0[tj] = m0[tj] + m1[tj] + m2[tj]
                            s1[tj] = m1[tj] - m2[tj] - m3[tj]
                        }
                    }
                    let oy = 2 * (firstTileRow + r)
                    for half in 0..<2 where oy + half < y.height {
                        let a0 = s + (4 * half) * tilesAcross, a1 = a0 + tilesAcross
                        let a2 = a1 + tilesAcross, a3 = a2 + tilesAcross
                        for tj in 0..<tilesAcross {
                            out[2 * tj] = a0[tj] + a1[tj] + a2[tj] + b
                            out[2 * tj + 1] = a1[tj] - a2[tj] - a3[tj] + b
                        }
                        (y.data + y.index(o, oy + half, 0)).update(from: out, count: y.width)
                    }
                }
            }
        }
    }
}
