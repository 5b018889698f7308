/// 2x2 pooling with stride 2 (VGG's pool1..pool5); odd edges are dropped,
/// as in Caffe/Keras 'valid' pooling.
public enum PoolingMode: String, Sendable, CaseIterable {
    case max
    case average = "avg"
}

public enum Pool2x2 {
    public static func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        (max(1, height / 2), max(1, width / 2))
    }

    public static func forward(_ x: FeatureMap, into y: FeatureMap, mode: PoolingMode, kernels: KernelPath = .best) {
        precondition(x.channels == y.channels)
        if let k = kernels.table {
            parallelChunks(x.channels, minimumChunk: 1) { channels in
                for c in channels {
                    k.pool_forward(x.data + x.index(c, 0, 0), x.rowStride, x.height, x.width,
                                   y.data + y.index(c, 0, 0), y.rowStride, y.height, y.width, mode == .max ? 0 : 1)
                }
            }
            return
        }
        parallelChunks(x.channels, minimumChunk: 1) { channels in
          for c in channels {
            for i in 0..<y.height {
                let r0 = x.data + x.index(c, min(2 * i, x.height - 1), 0)
                let r1 = x.data + x.index(c, min(2 * i + 1, x.height - 1), 0)
                let out = y.data + y.index(c, i, 0)
                for j in 0..<y.width {
                    let j0 = min(2 * j, x.width - 1), j1 = min(2 * j + 1, x.width - 1)
                    switch mode {
                    case .max: out[j] = max(max(r0[j0], r0[j1]), max(r1[j0], r1[j1]))
                    case .average: out[j] = 0.25 * (r0[j0] + r0[j1] + r1[j0] + r1[j1])
                    }
                }
            }
          }
        }
    }

    /// Routes `dy` back to the window's maximum (the first one on ties), or
    /// spreads it evenly for average pooling. `dx` is overwritten.
    public static func backward(_ dy: FeatureMap, input x: FeatureMap, into dx: FeatureMap, mode: PoolingMode,
                                kernels: KernelPath = .best) {
        precondition(x.channels == dx.channels && x.height == dx.height && x.width == dx.width)
        if let k = kernels.table {
            parallelChunks(x.channels, minimumChunk: 1) { channels in
                for c in channels {
                    k.pool_backward(dy.data + dy.index(c, 0, 0), dy.rowStride, dy.height, dy.width,
                                    x.data + x.index(c, 0, 0), dx.data + c * dx.planeStride, x.rowStride,
                                    x.height, x.width, mode == .max ? 0 : 1)
                }
            }
            return
        }
        parallelChunks(x.channels, minimumChunk: 1) { channels in
          for c in channels {
            (dx.data + c * dx.planeStride).update(repeating: 0, count: dx.planeStride)
            for i in 0..<dy.height {
                // Indices are clamped only for a one-pixel side (then both cells are one,
                // and the += below adds the gradient once, the other term being zero).
                let r0 = x.index(c, min(2 * i, x.height - 1), 0)
                let r1 = x.index(c, min(2 * i + 1, x.height - 1), 0)
                let g = dy.data + dy.index(c, i, 0)
                let a0 = x.data + r0, a1 = x.data + r1, d0 = dx.data + r0, d1 = dx.data + r1
                for j in 0..<dy.width {
                    let j0 = min(2 * j, x.width - 1), j1 = min(2 * j + 1, x.width - 1)
                    switch mode {
                    case .max:
                        // Branch-free: the first cell equal to the maximum takes the gradient.
                        let v0 = a0[j0], v1 = a0[j1], v2 = a1[j0], v3 = a1[j1]
                        let m = max(max(v0, v1), max(v2, v3))
                        let t0 = v0 == m, t1 = !t0 && v1 == m, t2 = !t0 && !t1 && v2 == m
                        let t3 = !(t0 || t1 || t2)
                        d0[j0] += t0 ? g[j] : 0; d0[j1] += t1 ? g[j] : 0
                        d1[j0] += t2 ? g[j] : 0; d1[j1] += t3 ? g[j] : 0
                    case .average:
                        let q = 0.25 * g[j]
                        d0[j0] += q; d0[j1] += q
                        d1[j0] += q; d1[j1] += q
                    }
                }
            }
          }
        }
    }
}
