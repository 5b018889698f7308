import COpenBLAS

/// Gram matrix of a layer's features normalised by the number of feature
/// pixels: G = F Fᵀ / (H W), a C x C matrix (F is C x HW). Computed with
/// `cblas_ssyrk` over the padded planes (their zero border adds nothing).
public func gramMatrix(_ f: FeatureMap) -> [Float] {
    let c = f.channels
    var g = [Float](repeating: 0, count: c * c)
    g.withUnsafeMutableBufferPointer { g in
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(c), Int32(f.planeStride),
                    1 / Float(f.height * f.width), f.data, Int32(f.planeStride), 0, g.baseAddress!, Int32(c))
        for i in 0..<c { for j in 0..<i { g[i * c + j] = g[j * c + i] } }
    }
    return g
}

/// Style loss at one layer (Gatys et al., eq. 4, as a mean over the Gram):
///   L = w / C^2 * sum (G - A)^2,   dL/dF = 4 w / (C^2 H W) * (G - A) F
/// with G the Gram matrix of the image being optimised and A the target
/// (the style's Gram, or a blend of several styles' Grams).
public struct StyleLoss {
    public let layer: Int
    public let weight: Double
    public let target: [Float]

    public init(layer: Int, weight: Double, target: [Float]) {
        self.layer = layer
        self.weight = weight
        self.target = target
    }

    public func evaluate(_ f: FeatureMap, gradient: FeatureMap?) -> Double {
        let c = f.channels
        precondition(target.count == c * c, "style target has another shape")
        var diff = gramMatrix(f)
        var sum = 0.0
        for i in diff.indices {
            diff[i] -= target[i]
            sum += Double(diff[i] * diff[i])
        }
        if let g = gradient {
            let scale = Float(4 * weight / Double(c * c) / Double(f.height * f.width))
            diff.withUnsafeBufferPointer { d in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(c), Int32(f.planeStride), Int32(c),
                            scale, d.baseAddress!, Int32(c), f.data, Int32(f.planeStride), 1, g.data, Int32(f.planeStride))
            }
        }
        return weight * sum / Double(c * c)
    }
}
