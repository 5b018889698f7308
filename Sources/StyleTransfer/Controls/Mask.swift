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
