import COpenBLAS
import Foundation

/// Activations of one layer: `channels` planes of `height` x `width` floats, each
/// stored with a one-pixel zero border, i.e. planes of (height+2) x (width+2).
///
/// The border is what lets a 3x3 convolution run as nine GEMMs over shifted
/// views of the same memory (see `Conv3x3`), with no im2col copy. Every layer
/// keeps the border at zero, so sums over a whole plane (Gram matrices,
/// squared errors) equal sums over the interior.
public final class FeatureMap: @unchecked Sendable {
    public let channels: Int
    public let height: Int
    public let width: Int
    /// Row length of a padded plane.
    public var rowStride: Int { width + 2 }
    /// Floats in one padded plane.
    public var planeStride: Int { (height + 2) * (width + 2) }
    public var count: Int { channels * planeStride }
    public let data: UnsafeMutablePointer<Float>
    /// The map whose memory a view uses (nil: this map owns `data`).
    private let storage: FeatureMap?

    /// A zeroed map whose memory may be refused: running out throws
    /// `TransferError.allocationFailed` instead of ending the process (Memory.swift).
    /// A run's maps are made this way.
    public init(allocating channels: Int, height: Int, width: Int) throws {
        precondition(channels > 0 && height > 0 && width > 0, "empty feature map")
        let n = channels * (height + 2) * (width + 2)
        data = try Memory.allocate(Float.self, count: n)
        self.channels = channels
        self.height = height
        self.width = width
        storage = nil
    }

    /// A zeroed map; running out of memory traps (small scratch maps, tests).
    public convenience init(channels: Int, height: Int, width: Int) {
        try! self.init(allocating: channels, height: height, width: width)
    }

    /// A map of this shape over the start of `storage`'s memory, not zeroed: maps
    /// that are never needed at the same time share one allocation (backward's gradients).
    init(viewing storage: FeatureMap, channels: Int, height: Int, width: Int) {
        precondition(channels * (height + 2) * (width + 2) <= storage.count, "view larger than its storage")
        data = storage.data
        self.channels = channels
        self.height = height
        self.width = width
        self.storage = storage
    }

    deinit { if storage == nil { Memory.release(data, count: count) } }

    /// Index of interior pixel (c, y, x) in `data`.
    @inline(__always) public func index(_ c: Int, _ y: Int, _ x: Int) -> Int {
        c * planeStride + (y + 1) * rowStride + (x + 1)
    }

    public subscript(c: Int, y: Int, x: Int) -> Float {
        get { data[index(c, y, x)] }
        set { data[index(c, y, x)] = newValue }
    }

    public func zero() { data.update(repeating: 0, count: count) }

    public func copy(from other: FeatureMap) {
        precondition(other.count == count, "shape mismatch")
        data.update(from: other.data, count: count)
    }

    public func clone() throws -> FeatureMap {
        let m = try FeatureMap(allocating: channels, height: height, width: width)
        m.copy(from: self)
        return m
    }

    /// Sets the one-pixel border of every plane back to zero.
    public func zeroBorder() {
        let rs = rowStride, ps = planeStride
        for c in 0..<channels {
            let p = data + c * ps
            p.update(repeating: 0, count: rs)
            (p + (height + 1) * rs).update(repeating: 0, count: rs)
            for y in 1...height {
                p[y * rs] = 0
                p[y * rs + width + 1] = 0
            }
        }
    }

    /// Interior values, planar [c][y][x], without the border.
    public func interior() -> [Float] {
        var out = [Float](repeating: 0, count: channels * height * width)
        out.withUnsafeMutableBufferPointer { o in
            var i = 0
            for c in 0..<channels {
                for y in 0..<height {
                    let row = data + index(c, y, 0)
                    for x in 0..<width { o[i] = row[x]; i += 1 }
                }
            }
        }
        return out
    }

    /// Fills the interior from planar [c][y][x] values; the border becomes zero.
    public func setInterior(_ values: [Float]) {
        precondition(values.count == channels * height * width, "shape mismatch")
        zero()
        values.withUnsafeBufferPointer { v in
            var i = 0
            for c in 0..<channels {
                for y in 0..<height {
                    let row = data + index(c, y, 0)
                    for x in 0..<width { row[x] = v[i]; i += 1 }
                }
            }
        }
    }
}
