/// Rectified linear unit, applied in place on the convolution's output
/// (the VGG graphs never need the pre-activation except as a loss layer,
/// and `FeatureNetwork` copies it out in that case). After a Winograd
/// convolution it is folded into the output transform instead.
public enum ReLU {
    /// y = max(x, 0), in place.
    public static func forward(_ x: FeatureMap, kernels: KernelPath = .best) {
        if let k = kernels.table {
            parallelChunks(x.count) { range in k.relu_forward(x.data + range.lowerBound, range.count) }
            return
        }
        parallelChunks(x.count) { range in
            let p = x.data
            for i in range { p[i] = max(p[i], 0) }  // branch-free, so it vectorises
        }
    }

    /// dx = dy * [y > 0], in place on `grad`; `output` is the forward result.
    public static func backward(_ grad: FeatureMap, output: FeatureMap, kernels: KernelPath = .best) {
        if let k = kernels.table {
            parallelChunks(grad.count) { range in
                k.relu_backward(grad.data + range.lowerBound, output.data + range.lowerBound, range.count)
            }
            return
        }
        parallelChunks(grad.count) { range in
            let g = grad.data, y = output.data
            for i in range { g[i] = y[i] > 0 ? g[i] : 0 }
        }
    }
}
