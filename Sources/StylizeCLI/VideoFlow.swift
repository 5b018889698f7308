import CFlow
import Foundation
import StyleTransfer

/// Optical flow between two consecutive frames and what Ruder, Dosovitskiy and
/// Brox (GCPR 2016, section 3.1) derive from it: the previous stylized frame
/// warped into the current one, and the per-pixel weight c that keeps the
/// temporal loss off pixels the flow cannot be trusted at. Flows come from
/// OpenCV's DIS optical flow (Sources/CFlow), on the input frames.
struct FramePair {
    let width: Int
    let height: Int
    /// b: at each pixel p of the current frame t, where it was in frame t-1
    /// (I_t(p) ≈ I_{t-1}(p + b(p))); interleaved (dx, dy).
    let backward: [Float]
    /// c in {0, 1} per pixel of frame t.
    let consistency: [Float]

    /// Flows of frames t-1 (`previous`) and t (`current`), same size.
    init(previous: Image, current: Image) throws {
        precondition(previous.width == current.width && previous.height == current.height)
        let (w, h) = (current.width, current.height)
        var forward = [Float](repeating: 0, count: 2 * w * h), backward = forward
        var error = [CChar](repeating: 0, count: 256)
        let status = cflow_pair(Self.grey(previous), Self.grey(current), Int32(w), Int32(h), &forward, &backward,
                                &error, Int32(error.count))
        guard status == 0 else { throw CLIError("optical flow failed (OpenCV: \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))") }
        width = w
        height = h
        self.backward = backward
        consistency = Self.consistency(forward: forward, backward: backward, width: w, height: h)
    }

    /// Ruder et al.'s rule, c = 0 where either holds, 1 elsewhere, with f̃(p) = f(p + b(p))
    /// the forward flow (t-1 -> t) read where the backward flow points:
    ///   disocclusion:    |f̃ + b|² > 0.01 (|f̃|² + |b|²) + 0.5   (the two flows disagree)
    ///   motion boundary: |∇b_x|² + |∇b_y|² > 0.01 |b|² + 0.002
    static func consistency(forward: [Float], backward: [Float], width w: Int, height h: Int) -> [Float] {
        // Planar (dx plane, dy plane) to warp the forward flow by the backward flow.
        let n = w * h
        var planar = [Float](repeating: 0, count: 2 * n)
        for i in 0..<n { planar[i] = forward[2 * i]; planar[n + i] = forward[2 * i + 1] }
        var fw = [Float](repeating: 0, count: 2 * n)
        _ = cflow_warp(planar, 2, Int32(w), Int32(h), backward, &fw)
        var c = [Float](repeating: 1, count: n)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let (bx, by) = (backward[2 * i], backward[2 * i + 1]), (fx, fy) = (fw[i], fw[n + i])
                let sum = (fx + bx) * (fx + bx) + (fy + by) * (fy + by)
                if sum > 0.01 * (fx * fx + fy * fy + bx * bx + by * by) + 0.5 { c[i] = 0; continue }
                // Forward differences (the last row and column repeat the one before).
                let r = x + 1 < w ? i + 1 : i, d = y + 1 < h ? i + w : i
                let gx = (backward[2 * r] - bx) * (backward[2 * r] - bx) + (backward[2 * d] - bx) * (backward[2 * d] - bx)
                let gy = (backward[2 * r + 1] - by) * (backward[2 * r + 1] - by)
                    + (backward[2 * d + 1] - by) * (backward[2 * d + 1] - by)
                if gx + gy > 0.01 * (bx * bx + by * by) + 0.002 { c[i] = 0 }
            }
        }
        return c
    }

    /// The frame t-1 picture `image` carried into frame t: out(p) = image(p + b(p)), bilinear.
    func warp(_ image: Image) -> Image {
        precondition(image.width == width && image.height == height)
        var out = [Float](repeating: 0, count: image.pixels.count)
        _ = cflow_warp(image.pixels, 3, Int32(width), Int32(height), backward, &out)
        return Image(width: width, height: height, pixels: out)
    }

    /// The temporal error of two consecutive outputs: the mean squared difference
    /// between o_t and o_{t-1} warped into frame t, over the pixels with c = 1 and
    /// their three channels, values scaled to 0...1 (as Ruder et al. report it).
    /// nil when no pixel is trusted.
    func temporalError(previous: Image, current: Image) -> Double? {
        let warped = warp(previous)
        let n = width * height
        var sum = 0.0, count = 0
        for i in 0..<n where consistency[i] > 0 {
            for ch in 0..<3 {
                let d = Double(current.pixels[ch * n + i] - warped.pixels[ch * n + i]) / 255
                sum += d * d
            }
            count += 3
        }
        return count == 0 ? nil : sum / Double(count)
    }

    /// Luma (BT.601) in 8 bits, what DIS reads.
    static func grey(_ image: Image) -> [UInt8] {
        let n = image.width * image.height
        return (0..<n).map { i in
            let y = 0.299 * image.pixels[i] + 0.587 * image.pixels[n + i] + 0.114 * image.pixels[2 * n + i]
            return UInt8(max(0, min(255, y.rounded())))
        }
    }
}
