/// Rectified linear unit, applied in place on the convolution's output
/// (the VGG graphs never need the pre-activation except as a loss layer,
/// and `FeatureNetwork` copies it out in that case).
public enum ReLU {
    /// y = max(x, 0), in place.
    public static func forward(_ x: FeatureMap) {
        parallelChunks(x.count) { range in
            let p = x.data
            for i in range { p[i] = max(p[i], 0) }  // branch-free, so it vectorises
        }
    }

    /// dx = dy * [y > 0], in place on `grad`; `output` is the forward result.
    public static func backward(_ grad: FeatureMap, output: FeatureMap) {
        parallelChunks(grad.count) { range in
            let g = grad.data, y = output.data
            for i in range { g[i] = y[i] > 0 ? g[i] : 0 }
        }
    }
}
