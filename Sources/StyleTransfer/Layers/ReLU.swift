/// Rectified linear unit, applied in place on the convolution's output
/// (the VGG graphs never need the pre-activation except as a loss layer,
/// and `FeatureNetwork` copies it out in that case).
public enum ReLU {
    /// y = max(x, 0), in place.
    public static func forward(_ x: FeatureMap) {
        let p = x.data
        for i in 0..<x.count where p[i] < 0 { p[i] = 0 }
    }

    /// dx = dy * [y > 0], in place on `grad`; `output` is the forward result.
    public static func backward(_ grad: FeatureMap, output: FeatureMap) {
        let g = grad.data, y = output.data
        for i in 0..<grad.count where y[i] <= 0 { g[i] = 0 }
    }
}
