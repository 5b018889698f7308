/// Where to stylize: one value per pixel in 0...1 (1 = stylize, 0 = keep the
/// content, between = blend). Any size; it is resampled to the image.
public struct Mask: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(values.count == width * height, "mask value count does not match \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// From an image's luminance (white = 1).
    public init(image: Image) {
        let n = image.width * image.height
        let y = YIQ.from(image)
        self.init(width: image.width, height: image.height, values: (0..<n).map { min(1, max(0, y[$0] / 255)) })
    }

    public func resized(width w: Int, height h: Int) -> Mask {
        let v = Image(width: width, height: height, pixels: values + values + values).resized(width: w, height: h)
        return Mask(width: w, height: h, values: Array(v.pixels[0..<(w * h)]).map { min(1, max(0, $0)) })
    }

    func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Mask {
        var out = [Float](repeating: 0, count: w * h)
        for r in 0..<h { for c in 0..<w { out[r * w + c] = values[(y + r) * width + x + c] } }
        return Mask(width: w, height: h, values: out)
    }

    /// Half size by 2x2 means, rounding down like `Pool2x2`.
    func pooled() -> Mask {
        let w = max(1, width / 2), h = max(1, height / 2)
        var out = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                let x1 = min(2 * x + 1, width - 1), y1 = min(2 * y + 1, height - 1)
                out[y * w + x] = 0.25 * (values[2 * y * width + 2 * x] + values[2 * y * width + x1]
                    + values[y1 * width + 2 * x] + values[y1 * width + x1])
            }
        }
        return Mask(width: w, height: h, values: out)
    }

    /// `stylized` where the mask is 1, `content` where it is 0 (both this size).
    func blend(_ stylized: Image, _ content: Image) -> Image {
        let n = width * height
        var out = stylized.pixels
        for c in 0..<3 {
            for i in 0..<n {
                let m = values[i]
                out[c * n + i] = m * stylized.pixels[c * n + i] + (1 - m) * content.pixels[c * n + i]
            }
        }
        return Image(width: width, height: height, pixels: out)
    }
}

/// Style loss with a guided Gram matrix (Gatys et al. 2017, section 4): the
/// features are weighted by the mask before the Gram is taken,
///   G = (F∘m)(F∘m)ᵀ / Σm²,   L = w / C² Σ (G - A)²,
///   dL/dF = 4 w / (C² Σm²) ((G - A)(F∘m))∘m,
/// so only the region to stylize is pushed towards the style's statistics and
/// the rest is left to the content loss.
final class MaskedStyleLoss {
    let layer: Int
    let weight: Double
    let target: [Float]
    /// The mask at this layer's resolution, as a one-channel padded map.
    let mask: FeatureMap
    let massSquared: Double

    init(layer: Int, weight: Double, target: [Float], mask: Mask) {
        self.layer = layer
        self.weight = weight
        self.target = target
        self.mask = FeatureMap(channels: 1, height: mask.height, width: mask.width)
        self.mask.setInterior(mask.values)
        massSquared = mask.values.reduce(0.0) { $0 + Double($1 * $1) }
    }

    func evaluate(_ f: FeatureMap, gradient: FeatureMap?) -> Double {
        let c = f.channels, ps = f.planeStride
        precondition(target.count == c * c && f.height == mask.height && f.width == mask.width, "masked style loss shape")
        guard massSquared > 1e-6 else { return 0 }  // nothing to stylize at this layer
        let fm = FeatureMap(channels: c, height: f.height, width: f.width)
        parallelChunks(c, minimumChunk: 1) { range in
            for ch in range { for i in 0..<ps { fm.data[ch * ps + i] = f.data[ch * ps + i] * mask.data[i] } }
        }
        var diff = [Float](repeating: 0, count: c * c)
        diff.withUnsafeMutableBufferPointer {
            gram(fm.data, rows: c, columns: ps, stride: ps, scale: Float(1 / massSquared), into: $0.baseAddress!)
        }
        var sum = 0.0
        for i in diff.indices {
            diff[i] -= target[i]
            sum += Double(diff[i] * diff[i])
        }
        if let g = gradient {
            let scale = Float(4 * weight / Double(c * c) / massSquared)
            let t = FeatureMap(channels: c, height: f.height, width: f.width)
            diff.withUnsafeBufferPointer { d in
                multiply(c, ps, c, alpha: scale, d.baseAddress!, lda: c, fm.data, ldb: ps, beta: 0, t.data, ldc: ps)
            }
            parallelChunks(c, minimumChunk: 1) { range in
                for ch in range { for i in 0..<ps { g.data[ch * ps + i] += t.data[ch * ps + i] * mask.data[i] } }
            }
        }
        return weight * sum / Double(c * c)
    }
}
