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
                multiply(c, f.planeStride, c, alpha: scale, d.baseAddress!, lda: c, f.data, ldb: f.planeStride,
                         beta: 1, g.data, ldc: f.planeStride)
            }
        }
        return weight * sum / Double(c * c)
    }
}
