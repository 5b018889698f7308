/// A named layer with its loss weight, written `relu1_1` or `relu1_1:0.5`.
public struct LayerWeight: Sendable, Equatable {
    public var name: String
    public var weight: Double

    public init(_ name: String, _ weight: Double = 1) {
        self.name = name
        self.weight = weight
    }

    /// Parses a comma list such as "relu1_1:0.5,relu2_1" given for `key`.
    /// An empty text is no layers; an empty item or a bad weight is an error.
    public static func parseList(_ text: String, key: OptionKey) throws -> [LayerWeight] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return [] }
        return try trimmed.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let parts = item.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, !name.isEmpty else {
                throw OptionError(key, "'\(text)' has an empty layer name")
            }
            var weight = 1.0
            if parts.count == 2 {
                guard let w = Double(parts[1]) else { throw OptionError(key, "weight '\(parts[1])' of \(name) is not a number") }
                if let problem = OptionTable[key].problem(w) { throw OptionError(key, "weight of \(name): \(problem)") }
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

/// Everything that shapes one style transfer run. The defaults are the option
/// table's (`OptionTable`), which the CLI, the C ABI and the plug-ins show.
public struct TransferOptions: Sendable {
    private static func number(_ key: OptionKey) -> Double { OptionTable[key].defaultValue }
    private static func choice<T>(_ key: OptionKey, _ values: [T]) -> T {
        values[OptionTable[key].choices.firstIndex(of: OptionTable[key].defaultText)!]
    }

    /// Longest side the picture is composed at: the coarse-to-fine levels end
    /// here (and the style's brush strokes are sized for it); 0 = `finalSide`.
    public var size = Int(number(.size))
    /// Longest side the optimisation ends at; 0 = the content's own. Above
    /// `size`, refinement levels continue up to it (`TransferPlan`).
    public var outputSize = Int(number(.outputSize))
    public var iterations = Int(number(.iterations))
    /// Seconds the optimisation may take; the levels' iterations are planned to
    /// end within it (`TimeBudget`) instead of from `iterations`. 0 = no limit.
    public var timeLimit = number(.timeLimit)
    public var contentWeight = number(.contentWeight)
    public var styleWeight = number(.styleWeight)
    public var tvWeight = number(.tvWeight)
    public var contentLayers = try! LayerWeight.parseList(OptionTable[.contentLayers].defaultText, key: .contentLayers)
    public var styleLayers = try! LayerWeight.parseList(OptionTable[.styleLayers].defaultText, key: .styleLayers)
    public var initialization = choice(.initialization, OptionTable.initializations)
    public var optimizer = choice(.optimizer, OptionTable.optimizers)
    /// Adam's step in pixel levels (0-255 scale); L-BFGS does not use it.
    public var learningRate = number(.learningRate)
    public var lbfgsHistory = 10
    public var pooling = choice(.pooling, OptionTable.poolings)
    public var seed = UInt64(number(.seed))
    /// One weight per style image (nil = equal). Their Gram targets are mixed by weight.
    public var styleBlend: [Double]?
    /// Style image size relative to the optimisation size.
    public var styleScale = number(.styleScale)
    /// Keep the content's colours (Gatys et al. 2017): luminance-only transfer or colour matching of the styles.
    public var preserveColors = choice(.preserveColors, OptionTable.colorModes)
    /// Coarse-to-fine levels, each twice the size of the one before, ending at
    /// `size`; 1 = a single level. Levels whose longest side would be under
    /// `minimumLevelSide` are dropped.
    public var scales = Int(number(.scales))
    /// Iterations per level, coarsest first; nil = `iterations` split equally
    /// (the remainder to the finest level). When set, its count is the number of
    /// levels and its sum the total.
    public var levelIterations: [Int]?
    /// Where to stylize (1) and where to keep the content (0); nil = everywhere.
    public var mask: Mask?
    /// Memory budget in bytes; levels that would not fit are optimised in tiles. nil = no limit.
    public var maxMemory: Int?
    /// λ_t of the temporal loss (TemporalLoss.swift); it applies only with `temporal` set. 0 = none.
    public var temporalWeight = number(.temporalWeight)
    /// The warped previous frame and its per-pixel weight (a video host's flow); nil = no temporal loss.
    public var temporal: TemporalTarget?

    public static let minimumLevelSide = 64

    /// The longest side of the last level on a `canvas` (the content, or the
    /// first style for texture synthesis).
    public func finalSide(canvas: ImageSize) -> Int {
        outputSize == 0 ? max(canvas.width, canvas.height) : outputSize
    }

    /// The longest side of the composition, the top of the coarse-to-fine levels:
    /// `size`, but not above an `outputSize` given. (Above the content's own size
    /// with no `outputSize`, the picture is composed larger and resampled down.)
    public func composeSide(canvas: ImageSize) -> Int {
        size == 0 ? finalSide(canvas: canvas) : outputSize == 0 ? size : min(size, outputSize)
    }

    /// A style's size at a level whose longest side is `levelSide`: longest side
    /// `levelSide` x `styleScale` up to the composition size (the style scale
    /// sets the brush strokes there); at refinement levels above it, never more
    /// than the larger of that and the style's own size. An enlarged painting has
    /// no strokes at the new scale, so the finer levels take its Gram targets at
    /// its own resolution and the strokes they paint keep the painting's pixel
    /// size (as crowsonkb's style-transfer-pytorch never scales a style up).
    public func styleSize(_ style: ImageSize, levelSide: Int, canvas: ImageSize) -> (width: Int, height: Int) {
        func scaled(_ side: Int) -> Int { max(1, Int((Double(side) * styleScale).rounded())) }
        let ceiling = max(max(style.width, style.height), scaled(composeSide(canvas: canvas)))
        return style.size(longestSide: min(scaled(levelSide), ceiling))
    }

    public init() {}

    public static let defaultStyleLayers = TransferOptions().styleLayers
    public static let defaultContentLayers = TransferOptions().contentLayers

    /// The one validator of every front door: rejects options that cannot give
    /// a finite result, naming the option (`OptionError.key`) and the value.
    /// Ranges come from `OptionTable`; layer names are checked against the network.
    public func validate(network: FeatureNetwork, styleCount: Int) throws {
        try validate(styleCount: styleCount)
        for (key, layers) in [(OptionKey.contentLayers, contentLayers), (.styleLayers, styleLayers)] {
            for layer in layers where network.layerIndex(layer.name) == nil {
                throw OptionError(key, "unknown layer '\(layer.name)' (the \(network.topology.rawValue) model has "
                    + network.layerNames.joined(separator: ", ") + ")")
            }
        }
    }

    /// Everything but the layer names, which need the model: what a front door
    /// can check while parsing its arguments.
    public func validate(styleCount: Int) throws {
        func number(_ key: OptionKey, _ value: Double) throws {
            if let problem = OptionTable[key].problem(value) { throw OptionError(key, problem) }
        }
        try number(.size, Double(size))
        try number(.outputSize, Double(outputSize))
        try number(.iterations, Double(iterations))
        try number(.timeLimit, timeLimit)
        if timeLimit > 0 && levelIterations != nil {
            throw OptionError(.timeLimit, "a time limit plans the iterations itself: give it or --scale-iterations, not both")
        }
        try number(.contentWeight, contentWeight)
        try number(.styleWeight, styleWeight)
        try number(.tvWeight, tvWeight)
        try number(.learningRate, learningRate)
        try number(.styleScale, styleScale)
        try number(.scales, Double(scales))
        guard (1...1000).contains(lbfgsHistory) else { throw OptionError(.optimizer, "L-BFGS history \(lbfgsHistory) is not 1 to 1000") }
        // A layer's loss is scaled by its weight times the loss weight: that product keeps the
        // loss weight's range (layer weights alone may be large, as in the study's Gram experiment).
        for (key, layers, weightKey, weight) in [(OptionKey.contentLayers, contentLayers, OptionKey.contentWeight, contentWeight),
                                                 (.styleLayers, styleLayers, .styleWeight, styleWeight)] {
            for layer in layers {
                if let problem = OptionTable[key].problem(layer.weight) { throw OptionError(key, "weight of \(layer.name): \(problem)") }
                let product = layer.weight * weight, limit = OptionTable[weightKey].maximum
                guard product <= limit else {
                    throw OptionError(key, "weight of \(layer.name) times --\(OptionTable[weightKey].cli) is \(format(product)), above \(format(limit))")
                }
            }
        }
        if contentLayers.isEmpty && styleLayers.isEmpty { throw OptionError(.styleLayers, "no content or style layers are given") }
        if let blend = styleBlend {
            guard blend.count == styleCount else {
                throw OptionError(.styleBlend, "\(blend.count) weights for \(styleCount) style image\(styleCount == 1 ? "" : "s")")
            }
            for w in blend where !OptionTable[.styleBlend].admits(w) {
                throw OptionError(.styleBlend, "weights \(blend.map(format).joined(separator: ", ")): \(OptionTable[.styleBlend].problem(w)!)")
            }
            guard blend.reduce(0, +) > 0 else { throw OptionError(.styleBlend, "the weights add up to 0") }
        }
        if initialization == .style && styleCount == 0 { throw OptionError(.initialization, "'style' needs a style image") }
        if let levels = levelIterations {
            guard !levels.isEmpty, levels.count <= 8 else { throw OptionError(.scaleIterations, "give 1 to 8 counts, not \(levels.count)") }
            for n in levels { try number(.scaleIterations, Double(n)) }
        }
        if let maxMemory, !OptionTable[.maxMemory].admits(Double(maxMemory)) {
            let spec = OptionTable[.maxMemory]
            throw OptionError(.maxMemory, "\(formatBytes(maxMemory)) is out of range (\(formatBytes(Int(spec.minimum))) or more)")
        }
        if let mask, !(mask.width >= 1 && mask.height >= 1 && mask.values.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 })) {
            throw OptionError(.mask, "values must be in 0...1")
        }
        try number(.temporalWeight, temporalWeight)
        if let t = temporal, !(t.target.width == t.weight.width && t.target.height == t.weight.height && t.weight.width >= 1
                               && t.weight.height >= 1 && t.weight.values.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 })
                               && t.target.pixels.allSatisfy(\.isFinite)) {
            throw OptionError(.temporalWeight, "the temporal target must be finite and its weights in 0...1, both of one size")
        }
    }
}

public enum TransferError: Error, CustomStringConvertible, Equatable {
    case invalidImage(String)
    /// The loss or its gradient stopped being finite: no result is returned.
    case diverged(String)
    /// The plan needs more memory than the machine can give this process.
    case outOfMemory(needed: Int, available: Int)
    /// Admitted, but a large buffer of `bytes` could not be had when the run came to it
    /// (the host's memory, or a limit, ran out since admission).
    case allocationFailed(bytes: Int)
    case cancelled

    public var description: String {
        switch self {
        case .invalidImage(let m): return m
        case .diverged(let m): return m
        case .outOfMemory, .allocationFailed: return memoryMessage(size: "--size", maxMemory: "--max-memory")
        case .cancelled: return "cancelled"
        }
    }

    /// The out-of-memory advice with a front door's spelling of the two options that help.
    public func memoryMessage(size: String, maxMemory: String) -> String {
        if case .allocationFailed(let bytes) = self {
            return "out of memory: could not allocate \(formatBytes(bytes)) for this run: "
                + "lower \(size) or set \(maxMemory) to work in tiles"
        }
        guard case .outOfMemory(let needed, let available) = self else { return description }
        return "this run needs about \(formatBytes(needed)) of memory, but only \(formatBytes(available)) can be had: "
            + "lower \(size) or set \(maxMemory) to work in tiles"
    }
}

/// Loss terms after weighting; `total` is what the optimiser minimises.
public struct LossTerms: Sendable, Equatable {
    public var content = 0.0
    public var style = 0.0
    public var tv = 0.0
    public var temporal = 0.0
    public var total: Double { content + style + tv + temporal }
    public init() {}

    /// The terms of an objective whose content weight was multiplied by `emphasis`, at the
    /// options' own weights (what a refinement level reports: TransferPlan.Level.contentEmphasis).
    func contentDivided(by emphasis: Double) -> LossTerms {
        var t = self
        t.content /= emphasis
        return t
    }
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
