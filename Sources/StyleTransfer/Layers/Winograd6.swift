/// Which Winograd algorithm a convolution runs: F(m x m, 3x3) with (m + 2)² input tiles.
///
/// F(6x6, 3x3), interpolation points 0, ±1, ±2, ±1/2 (Lavin & Gray 2016; wincnn):
///
///   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A     d: 8x8 input tile, Y: 6x6 output
///
///   Bᵀ = | 1   0   -21/4   0     21/4   0    -1  0 |    G = | 1      0      0    |
///        | 0   1    1    -17/4  -17/4   1     1  0 |        | -2/9  -2/9   -2/9  |
///        | 0  -1    1     17/4  -17/4  -1     1  0 |        | -2/9   2/9   -2/9  |
///        | 0  1/2  1/4   -5/2   -5/4    2     1  0 |        | 1/90   1/45   2/45 |
///        | 0 -1/2  1/4    5/2   -5/4   -2     1  0 |        | 1/90  -1/45   2/45 |
///        | 0   2    4    -5/2    -5    1/2    1  0 |        | 32/45  16/45  8/45 |
///        | 0  -2    4     5/2    -5   -1/2    1  0 |        | 32/45 -16/45  8/45 |
///        | 0  -1    0    21/4     0   -21/4   0  1 |        | 0      0      1    |
///
///   Aᵀ = | 1  1  1   1    1    1      1     0 |
///        | 0  1 -1   2   -2   1/2   -1/2    0 |
///        | 0  1  1   4    4   1/4    1/4    0 |
///        | 0  1 -1   8   -8   1/8   -1/8    0 |
///        | 0  1  1  16   16   1/16   1/16   0 |
///        | 0  1 -1  32  -32   1/32  -1/32   1 |
///
/// 64 multiplications for 36 outputs (F(4x4): 36 for 16), and 64 transformed
/// weights per channel pair (F(4x4): 36).
public enum WinogradTile: Sendable, Equatable {
    case f4, f6

    /// F(6x6) for layers of at most 128 channels (VGG's conv1_2, conv2_1, conv2_2:
    /// 28,672 channel pairs, 3.2 MB more weights than F(4x4)), where it is
    /// measurably faster (`stylize bench --sizes 512 --profile`: conv1_2 16 %, conv2_2
    /// 9 %). On the 256-channel layers it was no faster, for 18 MB more weights.
    public init(inChannels: Int, outChannels: Int) {
        self = max(inChannels, outChannels) <= 128 ? .f6 : .f4
    }

    /// Output pixels per tile side.
    public var m: Int { self == .f4 ? 4 : 6 }
    /// Input tile side, m + 2.
    public var alpha: Int { m + 2 }
    /// The kernel transform G (alpha x 3).
    var g: [[Double]] {
        switch self {
        case .f4:
            [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
             [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
        case .f6:
            [[1, 0, 0], [-2.0 / 9, -2.0 / 9, -2.0 / 9], [-2.0 / 9, 2.0 / 9, -2.0 / 9],
             [1.0 / 90, 1.0 / 45, 2.0 / 45], [1.0 / 90, -1.0 / 45, 2.0 / 45],
             [32.0 / 45, 16.0 / 45, 8.0 / 45], [32.0 / 45, -16.0 / 45, 8.0 / 45], [0, 0, 1]]
        }
    }
}

/// The F(6x6) transforms in Swift: the reference the C kernels (`winograd6_*`,
/// kernels_body.h) must match bit for bit. Each 1-D transform is the matrix
/// above factored into shared sums (30 operations for Bᵀ's 44 nonzero entries),
/// in the same order of operations as the C.
extension Winograd {
    /// Bᵀ x (input transform).
    static func bt6(_ x: [Float]) -> [Float] {
        let a1 = (x[2] + x[6]) - 4.25 * x[4], b1 = (x[1] + x[5]) - 4.25 * x[3]
        let a3 = (0.25 * x[2] + x[6]) - 1.25 * x[4], b3 = (0.5 * x[1] + 2 * x[5]) - 2.5 * x[3]
        let a5 = (4 * x[2] + x[6]) - 5 * x[4], b5 = (2 * x[1] + 0.5 * x[5]) - 2.5 * x[3]
        return [(x[0] - x[6]) + 5.25 * (x[4] - x[2]), a1 + b1, a1 - b1, a3 + b3, a3 - b3, a5 + b5, a5 - b5,
                (x[7] - x[1]) + 5.25 * (x[3] - x[5])]
    }

    /// B x, the adjoint of Bᵀ (gradient output transform).
    static func b6(_ x: [Float]) -> [Float] {
        let s12 = x[1] + x[2], d12 = x[1] - x[2], s34 = x[3] + x[4], d34 = x[3] - x[4]
        let s56 = x[5] + x[6], d56 = x[5] - x[6]
        let o1 = ((d12 + 0.5 * d34) + 2 * d56) - x[7]
        let o2 = ((s12 + 0.25 * s34) + 4 * s56) - 5.25 * x[0]
        let o3 = ((5.25 * x[7] - 4.25 * d12) - 2.5 * d34) - 2.5 * d56
        let o4 = ((5.25 * x[0] - 4.25 * s12) - 1.25 * s34) - 5 * s56
        let o5 = ((d12 + 2 * d34) + 0.5 * d56) - 5.25 * x[7]
        return [x[0], o1, o2, o3, o4, o5, ((s12 + s34) + s56) - x[0], x[7]]
    }

    /// Aᵀ x (output transform), eight values to six.
    static func at6(_ x: [Float]) -> [Float] {
        let a = x[1] + x[2], b = x[1] - x[2], c = x[3] + x[4], d = x[3] - x[4], e = x[5] + x[6], f = x[5] - x[6]
        return [((x[0] + a) + c) + e, (b + 2 * d) + 0.5 * f, (a + 4 * c) + 0.25 * e, (b + 8 * d) + 0.125 * f,
                (a + 16 * c) + 0.0625 * e, ((b + 32 * d) + 0.03125 * f) + x[7]]
    }

    /// A x, the adjoint of Aᵀ (gradient input transform), six values to eight.
    static func a6(_ x: [Float]) -> [Float] {
        let p1 = (x[0] + x[2]) + x[4], q1 = (x[1] + x[3]) + x[5]
        let p3 = (x[0] + 4 * x[2]) + 16 * x[4], q3 = (2 * x[1] + 8 * x[3]) + 32 * x[5]
        let p5 = (x[0] + 0.25 * x[2]) + 0.0625 * x[4], q5 = (0.5 * x[1] + 0.125 * x[3]) + 0.03125 * x[5]
        return [x[0], p1 + q1, p1 - q1, p3 + q3, p3 - q3, p5 + q5, p5 - q5, x[5]]
    }

    /// V[8i + l][c][t] = (Bᵀ d B)[i][l] for the 8x8 padded-input tile d of tile t.
    func inputTransform6(_ x: FeatureMap, _ v: UnsafeMutablePointer<Float>, firstTileRow: Int, tileRows: Int,
                         tilesAcross: Int, stride tiles: Int) {
        let rs = x.rowStride, paddedRows = x.height + 2, step = x.channels * tiles
        let width = 6 * tilesAcross + 2, n = min(width, rs)
        parallelChunks(x.channels, minimumChunk: 1) { range in
            for c in range {
                let plane = x.data + c * x.planeStride
                for r in 0..<tileRows {
                    let top = 6 * (firstTileRow + r)
                    var t = [[Float]](repeating: [Float](repeating: 0, count: width), count: 8)  // Bᵀ d, eight rows
                    for j in 0..<n {
                        let d = (0..<8).map { i in top + i < paddedRows ? plane[(top + i) * rs + j] : 0 }
                        for (i, value) in Self.bt6(d).enumerated() { t[i][j] = value }
                    }
                    for i in 0..<8 {
                        for tj in 0..<tilesAcross {
                            let column = Self.bt6(Array(t[i][(6 * tj)..<(6 * tj + 8)]))
                            for l in 0..<8 { v[(8 * i + l) * step + c * tiles + r * tilesAcross + tj] = column[l] }
                        }
                    }
                }
            }
        }
    }

    /// y tile = Aᵀ m A + bias (then max(., 0) with `relu`), clipped to the image.
    func outputTransform6(_ m: UnsafeMutablePointer<Float>, _ y: FeatureMap, bias: [Float], relu: Bool,
                          firstTileRow: Int, tileRows: Int, tilesAcross: Int, stride tiles: Int) {
        let step = y.channels * tiles
        parallelChunks(y.channels, minimumChunk: 1) { range in
            for o in range {
                for r in 0..<tileRows {
                    let at = o * tiles + r * tilesAcross, oy = 6 * (firstTileRow + r)
                    var s = [[Float]](repeating: [Float](repeating: 0, count: 8 * tilesAcross), count: 6)  // s[a][l*ta + tj]
                    for l in 0..<8 {
                        for tj in 0..<tilesAcross {
                            let column = Self.at6((0..<8).map { k in m[(8 * k + l) * step + at + tj] })
                            for a in 0..<6 { s[a][l * tilesAcross + tj] = column[a] }
                        }
                    }
                    for a in 0..<min(6, y.height - oy) {
                        var out = [Float](repeating: 0, count: 6 * tilesAcross)
                        for tj in 0..<tilesAcross {
                            let e = Self.at6((0..<8).map { l in s[a][l * tilesAcross + tj] })
                            for b in 0..<6 {
                                let u = e[b] + bias[o]
                                out[6 * tj + b] = relu ? (u > 0 ? u : 0) : u
                            }
                        }
                        (y.data + y.index(o, oy + a, 0)).update(from: out, count: y.width)
                    }
                }
            }
        }
    }

    /// Z[8i + l][o][t] = (A e Aᵀ)[i][l] for the 6x6 output-gradient tile e of tile t
    /// (zero past the image), e = dy ⊙ [mask > 0].
    func gradientInputTransform6(_ dy: FeatureMap, mask: FeatureMap?, _ z: UnsafeMutablePointer<Float>,
                                 firstTileRow: Int, tileRows: Int, tilesAcross: Int, stride tiles: Int) {
        let step = dy.channels * tiles, width = 6 * tilesAcross
        parallelChunks(dy.channels, minimumChunk: 1) { range in
            for o in range {
                for r in 0..<tileRows {
                    let top = 6 * (firstTileRow + r)
                    var e = [[Float]](repeating: [Float](repeating: 0, count: width), count: 6)
                    for a in 0..<6 where top + a < dy.height {
                        let src = dy.data + dy.index(o, top + a, 0), keep = mask.map { $0.data + $0.index(o, top + a, 0) }
                        for j in 0..<dy.width { e[a][j] = keep.map { $0[j] > 0 ? src[j] : 0 } ?? src[j] }
                    }
                    var t = [[Float]](repeating: [Float](repeating: 0, count: width), count: 8)  // A e, eight rows
                    for j in 0..<width {
                        for (i, value) in Self.a6((0..<6).map { e[$0][j] }).enumerated() {
                            t[i][j] = value
                        }
                    }
                    for i in 0..<8 {
                        for tj in 0..<tilesAcross {
                            let column = Self.a6(Array(t[i][(6 * tj)..<(6 * tj + 6)]))
                            for l in 0..<8 { z[(8 * i + l) * step + o * tiles + r * tilesAcross + tj] = column[l] }
                        }
                    }
                }
            }
        }
    }

    /// dx tile += B w Bᵀ for every tile, eight rows by eight columns at stride six,
    /// so neighbouring tiles overlap by two and add; clipped to the padded plane.
    /// Tile rows run top to bottom: a tile row's first two rows add to what the
    /// row above left there, its other six are written.
    func gradientOutputTransform6(_ w: UnsafeMutablePointer<Float>, _ dx: FeatureMap, firstTileRow: Int,
                                  tileRows: Int, tilesAcross: Int, stride tiles: Int) {
        let step = dx.channels * tiles, ta = tilesAcross
        let rs = dx.rowStride, paddedRows = dx.height + 2, n = min(6 * ta + 2, rs)
        parallelChunks(dx.channels, minimumChunk: 1) { range in
            for c in range {
                for r in 0..<tileRows {
                    let at = c * tiles + r * ta, top = 6 * (firstTileRow + r)
                    var s = [[Float]](repeating: [Float](repeating: 0, count: 8 * ta), count: 8)  // s[k][l*ta + tj], B over rows
                    for l in 0..<8 {
                        for tj in 0..<ta {
                            let column = Self.b6((0..<8).map { k in w[(8 * k + l) * step + at + tj] })
                            for k in 0..<8 { s[k][l * ta + tj] = column[k] }
                        }
                    }
                    for k in 0..<8 where top + k < paddedRows {
                        var d = [[Float]](repeating: [Float](repeating: 0, count: ta), count: 8)
                        for tj in 0..<ta {
                            let row = Self.b6((0..<8).map { l in s[k][l * ta + tj] })
                            for col in 0..<8 { d[col][tj] = row[col] }
                        }
                        var out = [Float](repeating: 0, count: 6 * ta + 2)
                        for tj in 0..<ta {  // tiles overlap by two columns: a tile's last two add to the next one's first two
                            for col in 0..<6 { out[6 * tj + col] = col < 2 && tj > 0 ? d[col][tj] + d[6 + col][tj - 1] : d[col][tj] }
                        }
                        (out[6 * ta], out[6 * ta + 1]) = (d[6][ta - 1], d[7][ta - 1])
                        let row = dx.data + c * dx.planeStride + (top + k) * rs
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
