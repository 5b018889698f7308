/// A reflected margin around the canvas. VGG's convolutions pad with zeros (the
/// ImageNet mean colour after normalisation), so features at the canvas edge see a
/// grey frame that no style image has there, and the optimiser paints a 1-3 px band
/// (a "pinkish rim") to fight it. Optimising a canvas extended
/// by a mirrored margin puts that edge M px outside the picture; the margin is
/// cropped at the end. The objective at a fixed canvas is unchanged.
enum Margin {
    /// M: 8 px moves the edge past the reach of conv1_x and conv2_x padding (the
    /// 1-3 px band); measured in BorderTests, it costs (1 + 16/side)^2 - 1 more work
    /// per level (6 % at 512 px).
    static let width = 8

    /// Index `i` (may be outside 0..<n) mirrored into 0..<n without repeating the
    /// edge pixel (… 2 1 | 0 1 2 … n-1 | n-2 …), periodic for margins wider than n.
    static func mirror(_ i: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        let period = 2 * (n - 1)
        var k = i % period
        if k < 0 { k += period }
        return k < n ? k : period - k
    }

    /// Planar channels (c x h x w) extended by `m` px on every side, mirrored.
    static func padded(_ p: [Float], channels: Int, width w: Int, height h: Int, margin m: Int) -> [Float] {
        if m == 0 { return p }
        let W = w + 2 * m, H = h + 2 * m
        var out = [Float](repeating: 0, count: channels * W * H)
        let xs = (0..<W).map { mirror($0 - m, w) }
        for c in 0..<channels {
            for Y in 0..<H {
                let src = c * w * h + mirror(Y - m, h) * w, dst = c * W * H + Y * W
                for X in 0..<W { out[dst + X] = p[src + xs[X]] }
            }
        }
        return out
    }

    /// The inner w x h of a padded canvas.
    static func cropped(_ p: [Float], channels: Int, width w: Int, height h: Int, margin m: Int) -> [Float] {
        if m == 0 { return p }
        let W = w + 2 * m, H = h + 2 * m
        var out = [Float](repeating: 0, count: channels * w * h)
        for c in 0..<channels {
            for y in 0..<h {
                let src = c * W * H + (y + m) * W + m, dst = c * w * h + y * w
                for x in 0..<w { out[dst + x] = p[src + x] }
            }
        }
        return out
    }
}

extension Image {
    func reflectPadded(_ m: Int) -> Image {
        Image(width: width + 2 * m, height: height + 2 * m,
              pixels: Margin.padded(pixels, channels: 3, width: width, height: height, margin: m))
    }
}

extension Mask {
    func reflectPadded(_ m: Int) -> Mask {
        Mask(width: width + 2 * m, height: height + 2 * m,
             values: Margin.padded(values, channels: 1, width: width, height: height, margin: m))
    }
}
