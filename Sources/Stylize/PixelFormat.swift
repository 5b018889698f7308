import StylizeCHeader
import StyleTransfer

/// How a stylize_image's samples are stored: `channels` is 3 or 4, or-ed
/// with STYLIZE_FORMAT_U16 or STYLIZE_FORMAT_F32 (since 1.1; plain 3 or 4 is
/// 8-bit as in 1.0). The engine works in float 0...255, so a sample v of a
/// format with maximum M enters as v * 255 / M and leaves as p * M / 255:
/// 16-bit and float keep what 8-bit would round away (smooth skies band).
struct PixelLayout {
    enum Format { case u8, u16, f32 }
    let channels: Int
    let format: Format

    /// nil when `raw` is not 3 or 4 with a known format.
    init?(_ raw: Int32) {
        let c = Int(raw & Int32(STYLIZE_CHANNELS_MASK)), f = Int(raw) & ~Int(STYLIZE_CHANNELS_MASK)
        guard c == 3 || c == 4 else { return nil }
        switch f {
        case Int(STYLIZE_FORMAT_U8): format = .u8
        case Int(STYLIZE_FORMAT_U16): format = .u16
        case Int(STYLIZE_FORMAT_F32): format = .f32
        default: return nil
        }
        channels = c
    }

    var sampleBytes: Int {
        switch format { case .u8: 1; case .u16: 2; case .f32: 4 }
    }
    var pixelBytes: Int { channels * sampleBytes }

    /// Sample `i` of a row, on the engine's 0...255 scale (float clamped to 0...1 first).
    @inline(__always) func read(_ row: UnsafePointer<UInt8>, _ i: Int) -> Float {
        switch format {
        case .u8: return Float(row[i])
        case .u16: return Float(UnsafeRawPointer(row).loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) * (255 / 65535)
        case .f32:
            let v = UnsafeRawPointer(row).loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
            return min(1, max(0, v)) * 255
        }
    }

    /// Writes an engine value (0...255 scale) as sample `i`: rounded for the integer formats, clamped.
    @inline(__always) func write(_ v: Float, _ row: UnsafeMutablePointer<UInt8>, _ i: Int) {
        let c = v.isNaN ? 0 : min(255, max(0, v))
        switch format {
        case .u8: row[i] = UInt8(c.rounded())
        case .u16: UnsafeMutableRawPointer(row).storeBytes(of: UInt16((c * (65535 / 255)).rounded()),
                                                           toByteOffset: 2 * i, as: UInt16.self)
        case .f32: UnsafeMutableRawPointer(row).storeBytes(of: c / 255, toByteOffset: 4 * i, as: Float.self)
        }
    }

    /// Copies sample `i` unchanged (alpha).
    @inline(__always) func copy(_ from: UnsafePointer<UInt8>, _ to: UnsafeMutablePointer<UInt8>, _ i: Int) {
        (to + i * sampleBytes).update(from: from + i * sampleBytes, count: sampleBytes)
    }
}

extension stylize_image {
    /// The checked layout (Marshal.checkImage has refused any other).
    var layout: PixelLayout { PixelLayout(channels)! }
}

extension Marshal {
    /// Interleaved samples to the engine's planar float RGB, 0...255 (alpha dropped).
    /// A float image's non-finite colour is refused: it has no place on the scale.
    static func planar(_ image: stylize_image, name: String) throws -> Image {
        let layout = image.layout
        let w = Int(image.width), h = Int(image.height), c = layout.channels, plane = w * h
        try Memory.ensure(Float.self, count: 3 * plane)  // a Swift array: checked first, never SIGABRT
        var pixels = [Float](repeating: 0, count: 3 * plane)
        var bad: (Int, Int)?
        pixels.withUnsafeMutableBufferPointer { out in
            for y in 0..<h {
                let row = image.pixels! + y * image.stride
                for x in 0..<w {
                    for k in 0..<3 { out[k * plane + y * w + x] = layout.read(row, x * c + k) }
                    if layout.format == .f32, bad == nil,
                       !(0..<3).allSatisfy({ UnsafeRawPointer(row).loadUnaligned(fromByteOffset: 4 * (x * c + $0), as: Float.self).isFinite }) {
                        bad = (x, y)
                    }
                }
            }
        }
        if let (x, y) = bad { throw ABIError.argument("\(name): pixel (\(x), \(y)) is not a finite number") }
        return Image(width: w, height: h, pixels: pixels)
    }

    /// Planar float RGB back to interleaved samples of the content's format
    /// (rounded, clamped); alpha is copied from the content. The caller has
    /// checked the result's size.
    static func write(_ result: Image, alphaFrom content: stylize_image,
                      to output: UnsafeMutablePointer<UInt8>, stride: Int) {
        let layout = content.layout
        let w = result.width, h = result.height, c = layout.channels, plane = w * h
        result.pixels.withUnsafeBufferPointer { p in
            for y in 0..<h {
                let row = output + y * stride
                let source = content.pixels! + y * content.stride
                for x in 0..<w {
                    for k in 0..<3 { layout.write(p[k * plane + y * w + x], row, x * c + k) }
                    if c == 4 { layout.copy(source, row, x * c + 3) }
                }
            }
        }
    }
}
