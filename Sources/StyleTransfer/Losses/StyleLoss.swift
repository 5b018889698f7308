/// Gram matrix of a layer's features normalised by the number of feature
/// pixels: G = F Fᵀ / (H W), a C x C matrix (F is C x HW). Computed over
/// the padded planes (their zero border adds nothing).
public func gramMatrix(_ f: FeatureMap) -> [Float] {
    var g = [Float](repeating: 0, count: f.channels * f.channels)
    g.withUnsafeMutableBufferPointer {
        gram(f.data, rows: f.channels, columns: f.planeStride, stride: f.planeStride,
             scale: 1 / Float(f.height * f.width), into: $0.baseAddress!)
    }
    return g
}

/// Style loss at one layer (Gatys et al., eq. 4, as a mean over the Gram):
///   L = w / C² Σ (G - A)²,   G = F' F'ᵀ / N,   dL/dF' = 4 w / (C² N) (G - A) F'
/// with A the target (the style's Gram, or a blend of several styles' Grams).
/// Plain: F' = F and N = H W. Guided by a mask m (Gatys et al. 2017, section
/// 4): F' = F∘m and N = Σm², so dL/dF = dL/dF' ∘ m; only the region to
/// stylize is pushed towards the style's statistics and the rest is left to
/// the content loss. An all-ones mask gives the plain loss.
public struct StyleLoss {
    public let layer: Int
    public let weight: Double
    public let target: [Float]
    /// The mask at this layer's resolution, as a one-channel padded map (nil: plain).
    let mask: FeatureMap?
    /// Σm² over the mask.
    let massSquared: Double

    public init(layer: Int, weight: Double, target: [Float], mask: Mask? = nil) {
        self.layer = layer
        self.weight = weight
        self.target = target
        self.mask = mask.map {
            let m = FeatureMap(channels: 1, height: $0.height, width: $0.width)
            m.setInterior($0.values)
            return m
        }
        massSquared = mask?.values.reduce(0.0) { $0 + Double($1 * $1) } ?? 0
    }

    public func evaluate(_ f: FeatureMap, gradient: FeatureMap?) -> Double {
        let c = f.channels, ps = f.planeStride
        precondition(target.count == c * c, "style target has another shape")
        var weighted = f, n = Double(f.height * f.width)
        if let mask {
            precondition(f.height == mask.height && f.width == mask.width, "style mask has another size")
            guard massSquared > 1e-6 else { return 0 }  // nothing to stylize at this layer
            weighted = FeatureMap(channels: c, height: f.height, width: f.width)
            Self.multiplyPlanes(f, by: mask, into: weighted, accumulate: false)
            n = massSquared
        }
        var diff = [Float](repeating: 0, count: c * c)
        diff.withUnsafeMutableBufferPointer {
            gram(weighted.data, rows: c, columns: ps, stride: ps, scale: Float(1 / n), into: $0.baseAddress!)
        }
        var sum = 0.0
        for i in diff.indices {
            diff[i] -= target[i]
            sum += Double(diff[i] * diff[i])
        }
        if let g = gradient {
            let scale = Float(4 * weight / Double(c * c) / n)
            // dL/dF' straight into the gradient when F' = F, else into a scratch map to be masked.
            let d = mask == nil ? g : FeatureMap(channels: c, height: f.height, width: f.width)
            diff.withUnsafeBufferPointer {
                multiply(c, ps, c, alpha: scale, $0.baseAddress!, lda: c, weighted.data, ldb: ps,
                         beta: mask == nil ? 1 : 0, d.data, ldc: ps)
            }
            if let mask { Self.multiplyPlanes(d, by: mask, into: g, accumulate: true) }
        }
        return weight * sum / Double(c * c)
    }

    /// `into` (+)= each channel of `f` times the one-channel `mask`, elementwise.
    private static func multiplyPlanes(_ f: FeatureMap, by mask: FeatureMap, into out: FeatureMap, accumulate: Bool) {
        let ps = f.planeStride
        parallelChunks(f.channels, minimumChunk: 1) { range in
            for ch in range {
                for i in 0..<ps {
                    let v = f.data[ch * ps + i] * mask.data[i]
                    out.data[ch * ps + i] = accumulate ? out.data[ch * ps + i] + v : v
                }
            }
        }
    }
}
