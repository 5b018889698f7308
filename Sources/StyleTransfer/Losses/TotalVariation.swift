/// Total variation of planar RGB pixels (3 x H x W), as a mean so its weight
/// does not depend on the image size:
///   L = w / (3 H W) * sum_c,y,x [(p[y, x+1] - p[y, x])^2 + (p[y+1, x] - p[y, x])^2]
/// It smooths the high-frequency noise that optimising through VGG leaves.
public enum TotalVariation {
    /// Value; adds dL/dp into `gradient` when given.
    public static func evaluate(_ p: [Float], height: Int, width: Int, weight: Double,
                                gradient: UnsafeMutablePointer<Float>?) -> Double {
        let n = Double(3 * height * width)
        let scale = Float(2 * weight / n)
        var sum = 0.0
        p.withUnsafeBufferPointer { p in
            for c in 0..<3 {
                let base = c * height * width
                for y in 0..<height {
                    for x in 0..<width {
                        let i = base + y * width + x
                        if x + 1 < width {
                            let d = p[i + 1] - p[i]
                            sum += Double(d * d)
                            if let g = gradient { g[i + 1] += scale * d; g[i] -= scale * d }
                        }
                        if y + 1 < height {
                            let d = p[i + width] - p[i]
                            sum += Double(d * d)
                            if let g = gradient { g[i + width] += scale * d; g[i] -= scale * d }
                        }
                    }
                }
            }
        }
        return weight * sum / n
    }
}
