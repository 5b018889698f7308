import Foundation

/// How a run will proceed: the coarse-to-fine levels, their iteration counts,
/// which are processed in tiles, and the memory this is estimated to need.
public struct TransferPlan: Sendable, CustomStringConvertible {
    public struct Level: Sendable {
        public var width: Int
        public var height: Int
        public var iterations: Int
        /// Side of the square tiles, or nil when the level is optimised whole.
        public var tile: Int?
        /// Side of the crops the style Gram targets are summed over, or nil for whole images.
        public var styleCrop: Int?
        public var estimatedBytes: Int
    }

    public var levels: [Level]
    public var estimatedPeakBytes: Int { levels.map(\.estimatedBytes).max() ?? 0 }

    public var description: String {
        let steps = levels.map { l in
            "\(l.width)x\(l.height) x\(l.iterations)" + (l.tile.map { " in \($0) px tiles" } ?? "")
        }
        return "estimated peak memory \(formatBytes(estimatedPeakBytes)); levels: " + steps.joined(separator: ", ")
    }
}

public func formatBytes(_ bytes: Int) -> String {
    let b = Double(bytes)
    if b >= 1_073_741_824 { return String(format: "%.2f GiB", b / 1_073_741_824) }
    return String(format: "%.0f MiB", b / 1_048_576)
}

/// Parses "2G", "512M", "1.5GiB", "800000000" (bytes).
public func parseByteCount(_ text: String) -> Int? {
    let t = text.trimmingCharacters(in: .whitespaces).uppercased()
    let g = 1_073_741_824.0, m = 1_048_576.0, k = 1024.0
    let units: [(String, Double)] = [("GIB", g), ("MIB", m), ("KIB", k), ("GB", g), ("MB", m), ("KB", k),
                                     ("G", g), ("M", m), ("K", k), ("B", 1)]
    for (suffix, scale) in units where t.hasSuffix(suffix) {
        guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v > 0, v.isFinite else { return nil }
        return Int(v * scale)
    }
    guard let v = Double(t), v > 0, v.isFinite else { return nil }
    return Int(v)
}

/// Memory estimates from the network's layer shapes (4-byte floats, padded planes).
enum MemoryModel {
    static let float = 4
    /// Per-call scratch of the layers (Winograd bands, im2col) and the process itself.
    static let fixedBytes = 96 << 20

    /// A pass's maps at h x w through layer `depth - 1`, as `makePass` allocates them,
    /// plus what one evaluation allocates on top (backward's gradients, content
    /// targets, masked-loss scratch).
    static func passBytes(_ network: FeatureNetwork, height: Int, width: Int, depth: Int, convs: Set<Int>,
                          forwardOnly: Bool, contentLayers: [Int], styleLayers: [Int], masked: Bool) -> Int {
        var h = height, w = width, c = 3
        var total = 0
        func map(_ ch: Int) -> Int { ch * (h + 2) * (w + 2) }
        total += map(3)
        var biggestStyleMap = 0
        for i in 0..<depth {
            switch network.layers[i].kind {
            case .conv(let conv):
                if !forwardOnly { total += map(c) }
                c = conv.outChannels
                total += map(c) * (convs.contains(i) ? 2 : 1)
            case .relu: break
            case .pool:
                if !forwardOnly { total += map(c) }
                (h, w) = Pool2x2.outputSize(height: h, width: w)
                total += map(c)
            }
            if contentLayers.contains(i) { total += map(c) }
            if styleLayers.contains(i) { biggestStyleMap = max(biggestStyleMap, map(c)) }
        }
        if !forwardOnly {
            total += map(c) + 2 * 3 * height * width  // backward's first map, the returned gradient
            if masked { total += 2 * biggestStyleMap }
        }
        return total * float
    }

    static func optimizerBytes(_ options: TransferOptions, pixels: Int) -> Int {
        let vectors = options.optimizer == .lbfgs ? 2 * options.lbfgsHistory + 8 : 5
        return vectors * 3 * pixels * float
    }

    /// The network's weights once layers 0..<depth have run (deeper ones keep what they hold now).
    static func modelBytes(_ network: FeatureNetwork, depth: Int) -> Int {
        network.layers.enumerated().reduce(0) { total, item in
            guard case .conv(let c) = item.element.kind else { return total }
            return total + (item.offset < depth ? max(c.floatsWhenUsed, c.storedFloats) : c.storedFloats) * float
        }
    }
}
