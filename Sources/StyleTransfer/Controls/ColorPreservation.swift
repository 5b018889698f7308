/// Colour preservation (Gatys, Bethge, Hertzmann and Shechtman 2017,
/// "Controlling Perceptual Factors in Neural Style Transfer", section 5).
public enum PreserveColors: String, Sendable, CaseIterable {
    /// Colours follow the style.
    case none
    /// Transfer on luminance only, then put the content's chroma back (YIQ).
    case luminance
    /// Match the style's colour mean and covariance to the content's before the transfer.
    case histogram
}

/// YIQ (NTSC) conversions on planar RGB 0...255. Y is luminance; I and Q are chroma.
public enum YIQ {
    /// Planar [Y, I, Q] of an image.
    public static func from(_ image: Image) -> [Float] {
        let n = image.width * image.height
        var out = [Float](repeating: 0, count: 3 * n)
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let r = p[i], g = p[n + i], b = p[2 * n + i]
                out[i] = 0.299 * r + 0.587 * g + 0.114 * b
                out[n + i] = 0.596 * r - 0.274 * g - 0.322 * b
                out[2 * n + i] = 0.211 * r - 0.523 * g + 0.312 * b
            }
        }
        return out
    }

    /// RGB image from planar [Y, I, Q].
    public static func toImage(_ yiq: [Float], width: Int, height: Int) -> Image {
        let n = width * height
        var out = [Float](repeating: 0, count: 3 * n)
        for i in 0..<n {
            let y = yiq[i], ci = yiq[n + i], q = yiq[2 * n + i]
            out[i] = y + 0.956 * ci + 0.621 * q
            out[n + i] = y - 0.272 * ci - 0.647 * q
            out[2 * n + i] = y - 1.106 * ci + 1.703 * q
        }
        return Image(width: width, height: height, pixels: out)
    }
}

enum ColorPreservation {
    /// The image's luminance in all three channels, so VGG sees a grey image.
    static func luminanceImage(_ image: Image) -> Image {
        let n = image.width * image.height
        let y = Array(YIQ.from(image)[0..<n])
        return Image(width: image.width, height: image.height, pixels: y + y + y)
    }

    /// The style's luminance with its mean and standard deviation matched to
    /// the content's (the paper's luminance matching), replicated to RGB.
    static func matchedLuminance(_ style: Image, to content: Image) -> Image {
        let ns = style.width * style.height, nc = content.width * content.height
        let ys = Array(YIQ.from(style)[0..<ns]), yc = Array(YIQ.from(content)[0..<nc])
        let (ms, ss) = meanStd(ys), (mc, sc) = meanStd(yc)
        let gain = ss > 1e-3 ? sc / ss : 1
        let y = ys.map { Float(Double($0 - Float(ms)) * gain + mc) }
        return Image(width: style.width, height: style.height, pixels: y + y + y)
    }

    /// `luminance` (any RGB image; its luminance is used) with the chroma of
    /// `chroma` (same size).
    static func recombine(luminance: Image, chroma: Image) -> Image {
        let n = chroma.width * chroma.height
        var yiq = YIQ.from(chroma)
        let y = YIQ.from(luminance)
        for i in 0..<n { yiq[i] = y[i] }
        return YIQ.toImage(yiq, width: chroma.width, height: chroma.height).clamped()
    }

    /// The style's colours moved so their mean and covariance equal the
    /// content's: x' = Lc Ls⁻¹ (x - μs) + μc with L the Cholesky factors of
    /// the two colour covariances (the paper's colour histogram matching).
    static func matchedHistogram(_ style: Image, to content: Image) -> Image {
        let (ms, cs) = colorStatistics(style), (mc, cc) = colorStatistics(content)
        let ls = cholesky(cs), lc = cholesky(cc)
        let a = multiply(lc, invertLower(ls))
        let n = style.width * style.height
        var out = [Float](repeating: 0, count: 3 * n)
        for i in 0..<n {
            let d = (0..<3).map { Double(style.pixels[$0 * n + i]) - ms[$0] }
            for r in 0..<3 {
                out[r * n + i] = Float(a[r * 3] * d[0] + a[r * 3 + 1] * d[1] + a[r * 3 + 2] * d[2] + mc[r])
            }
        }
        return Image(width: style.width, height: style.height, pixels: out).clamped()
    }

    static func meanStd(_ v: [Float]) -> (Double, Double) {
        let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)
        return (mean, variance.squareRoot())
    }

    /// Mean RGB and 3x3 covariance (row-major), regularised so grey images stay invertible.
    static func colorStatistics(_ image: Image) -> ([Double], [Double]) {
        let n = image.width * image.height
        var mean = [0.0, 0.0, 0.0]
        for c in 0..<3 { for i in 0..<n { mean[c] += Double(image.pixels[c * n + i]) } }
        mean = mean.map { $0 / Double(n) }
        var cov = [Double](repeating: 0, count: 9)
        for i in 0..<n {
            let d = (0..<3).map { Double(image.pixels[$0 * n + i]) - mean[$0] }
            for r in 0..<3 { for c in 0..<3 { cov[r * 3 + c] += d[r] * d[c] } }
        }
        cov = cov.map { $0 / Double(n) }
        for c in 0..<3 { cov[c * 4] += 1 }  // one level² of variance: no zero pivots
        return (mean, cov)
    }

    static func cholesky(_ a: [Double]) -> [Double] {
        var l = [Double](repeating: 0, count: 9)
        for i in 0..<3 {
            for j in 0...i {
                var s = a[i * 3 + j]
                for k in 0..<j { s -= l[i * 3 + k] * l[j * 3 + k] }
                l[i * 3 + j] = i == j ? max(s, 1e-9).squareRoot() : s / l[j * 3 + j]
            }
        }
        return l
    }

    static func invertLower(_ l: [Double]) -> [Double] {
        var inv = [Double](repeating: 0, count: 9)
        for i in 0..<3 {
            inv[i * 3 + i] = 1 / l[i * 3 + i]
            for j in 0..<i {
                var s = 0.0
                for k in j..<i { s -= l[i * 3 + k] * inv[k * 3 + j] }
                inv[i * 3 + j] = s / l[i * 3 + i]
            }
        }
        return inv
    }

    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: 9)
        for r in 0..<3 { for c in 0..<3 { for k in 0..<3 { out[r * 3 + c] += a[r * 3 + k] * b[k * 3 + c] } } }
        return out
    }
}
