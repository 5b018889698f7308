/// Every option of a run, declared once: its type, range, default, one line of
/// help, and how each front door spells it. The CLI's flags and help, the C
/// ABI's error messages, the vips argument table and the GIMP parameters and
/// dialog ranges are all read from here; `TransferOptions.validate` is the only
/// place that checks values. A front door translates names, it never re-decides.
public enum OptionKey: String, CaseIterable, Sendable {
    case size, outputSize, iterations, timeLimit, contentWeight, styleWeight, tvWeight, contentLayers, styleLayers
    case initialization, initImage, optimizer, learningRate, pooling, seed
    case styleBlend, styleScale, preserveColors, scales, scaleIterations, maxMemory, mask, model
    case temporalWeight
}

public struct OptionSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        case integer, real
        /// One of `choices`; the C ABI's enum value is the index.
        case choice
        /// Comma list of layer names with optional weights: "relu1_1:0.5,relu2_1".
        case layers
        /// Comma list of numbers (blend weights, per-level iterations).
        case list
        /// A byte count written "2G", "512M", "800K" or plain bytes.
        case bytes
        case image, path
    }

    public let key: OptionKey
    public let kind: Kind
    /// Inclusive range of a number (each element of a list); `lowerExclusive` makes the minimum open.
    public let minimum: Double
    public let maximum: Double
    public let lowerExclusive: Bool
    /// The default as a user writes it ("" = none).
    public let defaultText: String
    public let choices: [String]
    public let unit: String
    public let help: String
    /// Spellings: the CLI's long flag (and aliases, e.g. jcjohnson/neural-style's),
    /// the `stylize_options` field, the vips argument, the GIMP PDB parameter
    /// and dialog label. nil: not offered at that door.
    public let cli: String
    public let cliAliases: [String]
    public let c: String?
    public let vips: String?
    public let gimp: String?
    public let label: String?

    /// The numeric default (0 when the option is not a number).
    public var defaultValue: Double { Double(defaultText) ?? 0 }

    /// "0 to 16384 px", "> 0 and at most 255": the range as the help shows it.
    public var rangeText: String {
        let lo = lowerExclusive ? "> \(format(minimum)) and at most" : "\(format(minimum)) to"
        return "\(lo) \(format(maximum))" + (unit.isEmpty ? "" : " \(unit)")
    }

    /// The help line with range and default, as `stylize help`, vips and GIMP show it.
    public var fullHelp: String {
        let range: String?
        switch kind {
        case .integer, .real, .list: range = rangeText
        case .choice: range = choices.joined(separator: ", ")
        case .bytes: range = "\(formatBytes(Int(minimum))) or more, e.g. 2G or 512M"
        default: range = nil
        }
        // Every option shows a default, "none" included (vips prints no default for strings).
        let byDefault = defaultText.isEmpty ? "default: none" : "default \(defaultText)"
        return "\(help) (\([range, byDefault].compactMap { $0 }.joined(separator: "; ")))"
    }

    /// Whether `value` is in range (and finite).
    public func admits(_ value: Double) -> Bool {
        value.isFinite && value <= maximum && (lowerExclusive ? value > minimum : value >= minimum)
    }

    /// The problem with `value`, in words, or nil when it is in range.
    public func problem(_ value: Double) -> String? {
        if admits(value) { return nil }
        if !value.isFinite { return "\(format(value)) is not a finite number (\(rangeText))" }
        return "\(format(value)) is out of range (\(rangeText))"
    }
}

func format(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value == Double(UInt64.max) { return String(UInt64.max) }  // the seed's maximum, exactly
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
}

public enum OptionTable {
    public static subscript(_ key: OptionKey) -> OptionSpec { byKey[key]! }

    /// Looks an option up by any of its spellings (CLI flag or alias, C field, vips or GIMP name).
    public static func find(_ name: String) -> OptionSpec? {
        all.first { [$0.cli, $0.c, $0.vips, $0.gimp, $0.key.rawValue].contains(name) || $0.cliAliases.contains(name) }
    }

    /// Images: each side `minimumSide` to `maximumSide` px, at most `maximumPixels`
    /// pixels, the longer side at most `maximumAspect` times the shorter. The same
    /// rule at every front door, checked on the header before any pixel is decoded.
    public static let minimumSide = 16
    public static let maximumSide = 32768
    public static let maximumPixels = 100_000_000
    public static let maximumAspect = 32

    private static let byKey = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })

    // Ranges keep every accepted run finite: weights up to 1e6 (the defaults are
    // 1, 1e-4 and 1e-2; a layer's weight times its loss weight too), an Adam step
    // of at most the whole 0-255 range.
    public static let all: [OptionSpec] = [
        spec(.size, .integer, 0, 16384, "512", unit: "px",
             help: "Longest side the picture is composed at: the coarse-to-fine levels end here and set the brush-stroke size; 0 = the final size",
             cli: "size", aliases: ["image-size"], c: "size", vips: "size", gimp: "size", label: "Detail size"),
        spec(.outputSize, .integer, 0, 32768, "0", unit: "px",
             help: "Longest side the optimization ends at; 0 = the content's own size. Above --size, refinement levels "
                + "(each at most twice the last) paint detail up to it; the result keeps the content's size",
             cli: "output-size", c: "output_size", vips: "output-size", gimp: "output-size", label: "Final size"),
        spec(.iterations, .integer, 1, 1_000_000, "300", unit: "steps",
             help: "Optimiser steps over the composition's levels (refinement levels above --size add theirs: see the plan)",
             cli: "iterations", aliases: ["num-iterations"], c: "iterations", vips: "iterations", gimp: "iterations",
             label: "Iterations"),
        spec(.timeLimit, .real, 0, 604_800, "0", unit: "s",
             help: "Plan the levels' iterations to end within this time (e.g. 90s, 3m; replaces --iterations); 0 = no limit",
             cli: "time-limit", c: "time_limit", vips: "time-limit", gimp: "time-limit", label: "Time limit"),
        spec(.contentWeight, .real, 0, 1e6, "1", help: "Weight of the content loss (refinement levels above --size weigh it \(Int(TransferPlan.refinementContentEmphasis)) times)",
             cli: "content-weight", c: "content_weight", vips: "content-weight", gimp: "content-weight",
             label: "Content weight"),
        spec(.styleWeight, .real, 0, 1e6, "0.0001", help: "Weight of the style loss",
             cli: "style-weight", c: "style_weight", vips: "style-weight", gimp: "style-weight", label: "Style strength"),
        spec(.tvWeight, .real, 0, 1e6, "0.01", help: "Weight of the total-variation (smoothness) loss",
             cli: "tv-weight", c: "tv_weight", vips: "tv-weight"),
        spec(.contentLayers, .layers, 0, 1e12, "relu4_2",
             help: "Content layers with optional weights, e.g. relu4_2 or relu3_2:0.5,relu4_2",
             cli: "content-layers", c: "content_layers", vips: "content-layers"),
        spec(.styleLayers, .layers, 0, 1e12, "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1",
             help: "Style layers with optional weights, e.g. relu1_1:0.5,relu2_1",
             cli: "style-layers", c: "style_layers", vips: "style-layers"),
        spec(.initialization, .choice, 0, 2, "content", choices: ["content", "noise", "style"],
             help: "Where the optimization starts", cli: "init", c: "init", vips: "init"),
        spec(.initImage, .image, 0, 0, "", help: "Start from this image instead (resized to the content)",
             cli: "init-image"),
        spec(.optimizer, .choice, 0, 1, "lbfgs", choices: OptionTable.optimizers.map(\.rawValue),
             help: "Optimiser: L-BFGS with a line search, or Adam", cli: "optimizer", c: "optimizer", vips: "optimizer"),
        spec(.learningRate, .real, 0, 255, "2", lowerExclusive: true, unit: "levels",
             help: "Adam's step in pixel levels of 0-255 (L-BFGS ignores it)",
             cli: "learning-rate", c: "learning_rate", vips: "learning-rate"),
        spec(.pooling, .choice, 0, 1, "max", choices: OptionTable.poolings.map(\.rawValue),
             help: "Pooling in the VGG network", cli: "pooling", c: "pooling", vips: "pooling"),
        spec(.seed, .integer, 0, Double(UInt64.max), "0",
             help: "Seed of the noise; equal inputs and seed give identical output",
             cli: "seed", c: "seed", vips: "seed", gimp: "seed", label: "Random seed"),
        spec(.styleBlend, .list, 0, 1e6, "equal",
             help: "Blend weights of the style images, e.g. 0.7,0.3",
             cli: "style-blend", aliases: ["style-blend-weights"], c: "style_blend", vips: "style-blend",
             gimp: "style-blend", label: "First style's share"),
        spec(.styleScale, .real, 0, 8, "1", lowerExclusive: true,
             help: "Style image size relative to the composition size (brush-stroke size); refinement levels never enlarge it further",
             cli: "style-scale", c: "style_scale", vips: "style-scale", gimp: "style-scale", label: "Style scale"),
        spec(.preserveColors, .choice, 0, 2, "none", choices: OptionTable.colorModes.map(\.rawValue),
             help: "Keep the content's colors: transfer luminance only, or match the style's colors to the content first",
             cli: "preserve-colors", c: "preserve_colors", vips: "preserve-colors", gimp: "preserve-colors",
             label: "Preserve colors"),
        spec(.scales, .integer, 1, 8, "3",
             help: "Coarse-to-fine levels, each twice the size of the one before; levels under 64 px are skipped",
             cli: "scales", c: "scales", vips: "scales", gimp: "scales", label: "Coarse-to-fine levels"),
        spec(.scaleIterations, .list, 1, 1_000_000, "",
             help: "Iterations per level, coarsest first, refinement levels included, e.g. 100,100,100 (sets the levels and the total)",
             cli: "scale-iterations"),
        spec(.maxMemory, .bytes, 64 * 1_048_576, 1_125_899_906_842_624, "",
             help: "Working-memory budget; levels that would not fit are optimized in overlapping tiles",
             cli: "max-memory", c: "max_memory", vips: "max-memory", gimp: "max-memory", label: "Memory budget"),
        spec(.mask, .image, 0, 1, "", help: "Where to stylize: white stylizes, black keeps the content, grey blends",
             cli: "mask", c: "mask", vips: "mask"),
        spec(.model, .path, 0, 0, "$STYLIZE_MODEL, then the installed VGG16", help: "Model file (safetensors)",
             cli: "model", c: "model_path", vips: "model"),
        // Ruder et al.'s temporal loss (TemporalLoss.swift): a video frame stays near the previous
        // stylized frame warped by the flow; weighed against content 1 and style 1e-4 on the same 0-255 scale.
        spec(.temporalWeight, .real, 0, 1e6, "300",
             help: "Weight of the temporal loss that keeps a video frame close to the previous stylized frame warped by the optical flow; 0 = independent frames",
             cli: "temporal-weight", c: "temporal_weight"),
    ]

    private static func spec(_ key: OptionKey, _ kind: OptionSpec.Kind, _ minimum: Double, _ maximum: Double,
                             _ defaultText: String, lowerExclusive: Bool = false, choices: [String] = [],
                             unit: String = "", help: String, cli: String, aliases: [String] = [],
                             c: String? = nil, vips: String? = nil, gimp: String? = nil, label: String? = nil) -> OptionSpec {
        OptionSpec(key: key, kind: kind, minimum: minimum, maximum: maximum, lowerExclusive: lowerExclusive,
                   defaultText: defaultText, choices: choices, unit: unit, help: help, cli: cli, cliAliases: aliases,
                   c: c, vips: vips, gimp: gimp, label: label)
    }
}

extension OptionTable {
    /// The engine's value for each name of a choice option, in the order of its
    /// `choices` (the C enum's): every front door maps names and enum values
    /// through these, so they cannot drift apart.
    public static let initializations: [Initialization] = [.content, .noise, .style]
    public static let optimizers = OptimizerKind.allCases
    public static let poolings = PoolingMode.allCases
    public static let colorModes = PreserveColors.allCases

    /// `text`, one of a choice option's names, as its engine value from `values`.
    public static func choice<T>(_ key: OptionKey, _ text: String, in values: [T]) throws -> T {
        values[try choiceIndex(key, text)]
    }

    /// The index of `text` among a choice option's names (the C enum value).
    public static func choiceIndex(_ key: OptionKey, _ text: String) throws -> Int {
        guard let i = self[key].choices.firstIndex(of: text.lowercased()) else {
            throw OptionError(key, "'\(text)' is not one of \(self[key].choices.joined(separator: ", "))")
        }
        return i
    }

    /// A comma list of numbers for `key` ("0.7,0.3"), each checked against its range.
    public static func numbers(_ key: OptionKey, _ text: String) throws -> [Double] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let t = item.trimmingCharacters(in: .whitespaces)
            guard let v = Double(t) else { throw OptionError(key, "'\(text)' is not a comma list of numbers") }
            if let problem = self[key].problem(v) { throw OptionError(key, problem) }
            return v
        }
    }

    /// A duration for `key` in seconds: "90", "90s", "3m", "1.5h".
    public static func seconds(_ key: OptionKey, _ text: String) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("h", 3600), ("m", 60), ("s", 1)]
        let (number, scale) = units.first { t.hasSuffix($0.0) }.map { (String(t.dropLast()), $0.1) } ?? (t, 1)
        guard let v = Double(number.trimmingCharacters(in: .whitespaces)) else {
            throw OptionError(key, "'\(text)' is not a duration such as 90s, 3m or 1.5h")
        }
        if let problem = self[key].problem(v * scale) { throw OptionError(key, problem) }
        return v * scale
    }

    /// A byte count for `key`: "2G", "512M", "1.5GiB", "800K" or plain bytes, in range.
    public static func bytes(_ key: OptionKey, _ text: String) throws -> Int {
        guard let v = parseByteCount(text) else {
            throw OptionError(key, "'\(text)' is not a size such as 2G, 512M or a byte count")
        }
        let spec = self[key]
        guard spec.admits(Double(v)) else {
            throw OptionError(key, "\(text) is out of range (\(formatBytes(Int(spec.minimum))) to \(formatBytes(Int(spec.maximum))))")
        }
        return v
    }
}

/// A bad option value: which option, and what is wrong with it (without the
/// option's name, which each front door spells its own way).
public struct OptionError: Error, Equatable, CustomStringConvertible {
    public let key: OptionKey
    public let problem: String

    public init(_ key: OptionKey, _ problem: String) {
        self.key = key
        self.problem = problem
    }

    /// "--style-weight: 1e+308 is out of range (0 to 1000000)" with the CLI's spelling.
    public var description: String { "--\(OptionTable[key].cli): \(problem)" }

    /// The message with another door's spelling of the option.
    public func message(naming name: String) -> String { "\(name): \(problem)" }
}
