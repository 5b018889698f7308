/// A named layer with its loss weight, written `relu1_1` or `relu1_1:0.5`.
public struct LayerWeight: Sendable, Equatable {
    public var name: String
    public var weight: Double

    public init(_ name: String, _ weight: Double = 1) {
        self.name = name
        self.weight = weight
    }

    /// Parses a comma list such as "relu1_1:0.5,relu2_1".
    public static func parseList(_ text: String) throws -> [LayerWeight] {
        try text.split(separator: ",").map { item in
            let parts = item.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, !name.isEmpty else { throw TransferError.invalidOption("empty layer name in '\(text)'") }
            var weight = 1.0
            if parts.count == 2 {
                guard let w = Double(parts[1]), w.isFinite, w >= 0 else {
                    throw TransferError.invalidOption("layer weight '\(parts[1])' of \(name) is not a number >= 0")
                }
                weight = w
            }
            return LayerWeight(name, weight)
        }
    }
}

public enum Initialization: Sendable, Equatable {
    case content
    case noise
    case style
    case image(Image)
}

public enum OptimizerKind: String, Sendable, CaseIterable {
    case lbfgs, adam
}

/// Everything that shapes one style transfer run. Defaults are the ones the
/// CLI, the C ABI and the plug-ins show.
public struct TransferOptions: Sendable {
    /// Longest side of the optimised image in pixels; 0 = the content's size.
    public var size = 512
    public var iterations = 300
    public var contentWeight = 1.0
    public var styleWeight = 1e-4
    public var tvWeight = 1e-2
    public var contentLayers = [LayerWeight("relu4_2")]
    public var styleLayers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"].map { LayerWeight($0) }
    public var initialization = Initialization.content
    public var optimizer = OptimizerKind.lbfgs
    /// Adam's step in pixel levels (0-255 scale); L-BFGS does not use it.
    public var learningRate = 2.0
    public var lbfgsHistory = 10
    public var pooling = PoolingMode.max
    public var seed: UInt64 = 0
    /// One weight per style image (nil = equal). Their Gram targets are mixed by weight.
    public var styleBlend: [Double]?
    /// Style image size relative to the optimisation size.
    public var styleScale = 1.0
    /// Keep the content's colours (Gatys et al. 2017): luminance-only transfer or colour matching of the styles.
    public var preserveColors = PreserveColors.none
    /// Coarse-to-fine levels, each twice the size of the one before, ending at
    /// `size`; 1 = a single level. Levels whose longest side would be under
    /// `minimumLevelSide` are dropped.
    public var scales = 3
    /// Iterations per level, coarsest first; nil = `iterations` split equally
    /// (the remainder to the finest level). When set, its count is the number of
    /// levels and its sum the total.
    public var levelIterations: [Int]?
    /// Where to stylize (1) and where to keep the content (0); nil = everywhere.
    public var mask: Mask?
    /// Memory budget in bytes; levels that would not fit are optimised in tiles. nil = no limit.
    public var maxMemory: Int?

    public static let minimumLevelSide = 64

    public init() {}

    public static let defaultStyleLayers = TransferOptions().styleLayers
    public static let defaultContentLayers = TransferOptions().contentLayers

    /// Rejects options that cannot give a result; names the option and value.
    public func validate(network: FeatureNetwork, styleCount: Int) throws {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw TransferError.invalidOption(message()) }
        }
        try check(size >= 0 && size <= 16384, "size \(size) is not between 0 and 16384")
        try check(iterations >= 1 && iterations <= 1_000_000, "iterations \(iterations) must be at least 1")
        for (name, value) in [("content weight", contentWeight), ("style weight", styleWeight), ("tv weight", tvWeight)] {
            try check(value.isFinite && value >= 0, "\(name) \(value) must be a finite number >= 0")
        }
        try check(learningRate.isFinite && learningRate > 0, "learning rate \(learningRate) must be > 0")
        try check(lbfgsHistory >= 1 && lbfgsHistory <= 1000, "L-BFGS history \(lbfgsHistory) must be 1...1000")
        try check(styleScale.isFinite && styleScale > 0 && styleScale <= 8, "style scale \(styleScale) must be in (0, 8]")
        for layer in contentLayers + styleLayers {
            try check(network.layerIndex(layer.name) != nil,
                      "unknown layer '\(layer.name)' (\(network.topology.rawValue) has \(network.layerNames.joined(separator: ", ")))")
            try check(layer.weight.isFinite && layer.weight >= 0, "layer weight \(layer.weight) of \(layer.name) must be >= 0")
        }
        try check(!contentLayers.isEmpty || !styleLayers.isEmpty, "no content or style layers")
        if let blend = styleBlend {
            try check(blend.count == styleCount, "style blend has \(blend.count) weights for \(styleCount) style images")
            try check(blend.allSatisfy { $0.isFinite && $0 >= 0 } && blend.reduce(0, +) > 0,
                      "style blend weights \(blend) must be >= 0 with a positive sum")
        }
        if initialization == .style { try check(styleCount > 0, "init 'style' needs a style image") }
        try check(scales >= 1 && scales <= 8, "scales \(scales) must be 1...8")
        if let levels = levelIterations {
            try check(!levels.isEmpty && levels.count <= 8 && levels.allSatisfy { $0 >= 1 },
                      "level iterations \(levels) must be 1 to 8 counts, each >= 1")
        }
        if let maxMemory { try check(maxMemory > 0, "max memory \(maxMemory) must be > 0 bytes") }
        if let mask {
            try check(mask.width >= 1 && mask.height >= 1 && mask.values.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 },
                      "mask values must be in 0...1")
        }
    }
}

public enum TransferError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case invalidImage(String)
    case cancelled

    public var description: String {
        switch self {
        case .invalidOption(let m): return "invalid option: \(m)"
        case .invalidImage(let m): return "invalid image: \(m)"
        case .cancelled: return "cancelled"
        }
    }
}

/// Loss terms after weighting; `total` is what the optimiser minimises.
public struct LossTerms: Sendable, Equatable {
    public var content = 0.0
    public var style = 0.0
    public var tv = 0.0
    public var total: Double { content + style + tv }
    public init() {}
}

public struct TransferProgress: Sendable {
    public var iteration: Int
    public var total: Int
    public var losses: LossTerms
    /// Seconds since the run started.
    public var elapsed: Double
    /// Objective evaluations so far (L-BFGS line searches may take several per step).
    public var evaluations: Int
    /// The image being optimised, at the optimisation size (not yet clamped).
    public var image: Image
}

import Foundation
