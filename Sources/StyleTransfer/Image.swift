/// An RGB image as the engine sees it: planar float [R plane, G plane, B plane],
/// sRGB values in 0...255. Hosts convert to and from their own formats.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(pixels.count == 3 * width * height, "pixel count does not match \(width)x\(height)x3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Resampled with a triangle (bilinear) filter whose support widens when
    /// shrinking, so downscaling averages instead of aliasing.
    public func resized(width newWidth: Int, height newHeight: Int) -> Image {
        if newWidth == width && newHeight == height { return self }
        let xs = Self.filterTaps(from: width, to: newWidth)
        let ys = Self.filterTaps(from: height, to: newHeight)
        var horizontal = [Float](repeating: 0, count: 3 * height * newWidth)
        for c in 0..<3 {
            for y in 0..<height {
                let src = c * width * height + y * width, dst = c * height * newWidth + y * newWidth
                for x in 0..<newWidth {
                    var s: Float = 0
                    for (i, w) in xs[x] { s += w * pixels[src + i] }
                    horizontal[dst + x] = s
                }
            }
        }
        var out = [Float](repeating: 0, count: 3 * newHeight * newWidth)
        for c in 0..<3 {
            for y in 0..<newHeight {
                let dst = c * newHeight * newWidth + y * newWidth
                for (i, w) in ys[y] {
                    let src = c * height * newWidth + i * newWidth
                    for x in 0..<newWidth { out[dst + x] += w * horizontal[src + x] }
                }
            }
        }
        return Image(width: newWidth, height: newHeight, pixels: out)
    }

    /// Size with the longest side equal to `longest` (aspect kept, at least 1 px).
    public func size(longestSide longest: Int) -> (width: Int, height: Int) { imageSize.size(longestSide: longest) }

    /// The values a picture's pixels take: what the optimisers keep x in, and what a result is clamped to.
    public static let levels: ClosedRange<Float> = 0...255

    public func clamped() -> Image {
        var p = pixels
        project(&p, onto: Self.levels)
        return Image(width: width, height: height, pixels: p)
    }

    /// Normalised triangle-filter taps (source index, weight) for each output index.
    static func filterTaps(from n: Int, to m: Int) -> [[(Int, Float)]] {
        let scale = Double(n) / Double(m)
        let support = max(1.0, scale)
        return (0..<m).map { o in
            let center = (Double(o) + 0.5) * scale - 0.5
            let lo = Int((center - support).rounded(.up)), hi = Int((center + support).rounded(.down))
            var taps: [(Int, Float)] = []
            var total = 0.0
            for i in lo...max(lo, hi) {
                let w = max(0, 1 - abs(Double(i) - center) / support)
                if w > 0 { taps.append((min(max(i, 0), n - 1), Float(w))); total += w }
            }
            if taps.isEmpty { return [(min(max(Int(center.rounded()), 0), n - 1), 1)] }
            return taps.map { ($0.0, Float(Double($0.1) / total)) }
        }
    }
}

/// SplitMix64: a small, fast, seedable generator, so noise is identical on
/// every platform for a given seed.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
