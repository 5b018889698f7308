/// What a frame of a video should stay close to (Ruder, Dosovitskiy and Brox,
/// "Artistic style transfer for videos", GCPR 2016): the previous stylized frame
/// warped into this frame by the optical flow (`target`, w), and a per-pixel
/// weight c in 0...1 (`weight`: 0 where the flow is not trusted, disocclusions and
/// motion boundaries; 1 elsewhere). The engine knows no flow: a host computes
/// both and passes them in. Any size; resampled to each level like the mask.
public struct TemporalTarget: Sendable, Equatable {
    public var target: Image
    public var weight: Mask

    public init(target: Image, weight: Mask) {
        self.target = target
        self.weight = weight
    }

    /// Both at `w` x `h` (the optimised picture's size at one level).
    public func resized(width w: Int, height h: Int) -> TemporalTarget {
        TemporalTarget(target: target.resized(width: w, height: h), weight: weight.resized(width: w, height: h))
    }

    /// The part at (x, y) of size `w` x `h` (a tile's picture region).
    func cropped(x: Int, y: Int, width w: Int, height h: Int) -> TemporalTarget {
        TemporalTarget(target: Image(width: w, height: h, pixels: Tiling.crop(target.pixels, width: target.width,
                                                                              height: target.height, x: x, y: y, w: w, h: h)),
                       weight: weight.cropped(x: x, y: y, width: w, height: h))
    }

    /// The target a level's picture is compared with, or nil when the run has no
    /// temporal loss: resized to the level, and grey when the run optimises the
    /// luminance only (`--preserve-colors luminance`), as the picture is then.
    static func level(_ options: TransferOptions, width w: Int, height h: Int) -> TemporalTarget? {
        guard let t = options.temporal, options.temporalWeight > 0 else { return nil }
        var r = t.resized(width: w, height: h)
        if options.preserveColors == .luminance { r.target = ColorPreservation.luminanceImage(r.target) }
        return r
    }
}

/// The temporal loss of Ruder et al. (eq. 5), as a mean so that its weight does
/// not depend on the image size (like `ContentLoss` and `TotalVariation`):
///   L_t = λ_t / D * Σ_i c_i (x_i − w_i)²,   ∂L_t/∂x_i = 2 λ_t / D * c_i (x_i − w_i)
/// x the picture (planar RGB 0-255), w the warped previous frame, c the per-pixel
/// weight (the same for a pixel's three channels), D = 3 W H.
public enum TemporalLoss {
    /// Value; adds ∂L_t/∂x into `gradient` when given.
    public static func evaluate(_ x: [Float], _ t: TemporalTarget, weight: Double,
                                gradient: UnsafeMutablePointer<Float>?) -> Double {
        let n = t.weight.width * t.weight.height
        precondition(x.count == 3 * n && t.target.pixels.count == 3 * n, "temporal target has another size")
        let scale = Float(2 * weight / Double(3 * n))
        var sum = 0.0
        t.target.pixels.withUnsafeBufferPointer { w in
            t.weight.values.withUnsafeBufferPointer { c in
                for ch in 0..<3 {
                    for i in 0..<n {
                        let d = x[ch * n + i] - w[ch * n + i]
                        sum += Double(c[i] * d * d)
                        if let g = gradient { g[ch * n + i] += scale * c[i] * d }
                    }
                }
            }
        }
        return weight * sum / Double(3 * n)
    }
}
