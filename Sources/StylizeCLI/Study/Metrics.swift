import Foundation
import StyleTransfer

/// Image similarity measures for the study: PSNR over RGB and SSIM on luma.
enum Metrics {
    /// Peak signal-to-noise ratio in dB (0-255 scale); 99 for identical images.
    static func psnr(_ a: Image, _ b: Image) -> Double {
        precondition(a.width == b.width && a.height == b.height, "PSNR of images of different sizes")
        var sum = 0.0
        for i in a.pixels.indices {
            let d = Double(a.pixels[i] - b.pixels[i])
            sum += d * d
        }
        let mse = sum / Double(a.pixels.count)
        return mse == 0 ? 99 : 10 * log10(255 * 255 / mse)
    }

    /// Mean structural similarity (Wang et al. 2004) of the luma planes with an
    /// 11-tap Gaussian window (sigma 1.5), the usual constants for 8-bit data.
    static func ssim(_ a: Image, _ b: Image) -> Double {
        precondition(a.width == b.width && a.height == b.height, "SSIM of images of different sizes")
        let x = luma(a), y = luma(b), w = a.width, h = a.height
        let mx = blur(x, w, h), my = blur(y, w, h)
        let product = { (a: [Double], b: [Double]) in zip(a, b).map { $0 * $1 } }
        let sxx = blur(product(x, x), w, h), syy = blur(product(y, y), w, h), sxy = blur(product(x, y), w, h)
        let c1: Double = (0.01 * 255) * (0.01 * 255), c2: Double = (0.03 * 255) * (0.03 * 255)
        var total = 0.0
        for i in x.indices {
            let vx = sxx[i] - mx[i] * mx[i], vy = syy[i] - my[i] * my[i], cov = sxy[i] - mx[i] * my[i]
            total += (2 * mx[i] * my[i] + c1) * (2 * cov + c2) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2))
        }
        return total / Double(x.count)
    }

    static func luma(_ image: Image) -> [Double] {
        let n = image.width * image.height, p = image.pixels
        return (0..<n).map { 0.299 * Double(p[$0]) + 0.587 * Double(p[n + $0]) + 0.114 * Double(p[2 * n + $0]) }
    }

    /// Separable Gaussian blur with clamped borders.
    static func blur(_ v: [Double], _ w: Int, _ h: Int) -> [Double] {
        let taps = (-5...5).map { exp(-Double($0 * $0) / (2 * 1.5 * 1.5)) }
        let norm = taps.reduce(0, +)
        var rows = [Double](repeating: 0, count: v.count), out = rows
        for y in 0..<h {
            for x in 0..<w {
                var s = 0.0
                for (k, t) in taps.enumerated() { s += t * v[y * w + min(max(x + k - 5, 0), w - 1)] }
                rows[y * w + x] = s / norm
            }
        }
        for y in 0..<h {
            for x in 0..<w {
                var s = 0.0
                for (k, t) in taps.enumerated() { s += t * rows[min(max(y + k - 5, 0), h - 1) * w + x] }
                out[y * w + x] = s / norm
            }
        }
        return out
    }
}
