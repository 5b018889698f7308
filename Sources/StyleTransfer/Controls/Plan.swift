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
        /// A refinement level: above the composition size, where a time limit gives
        /// it only a few steps (TimeBudget).
        public var refines: Bool
        public var estimatedBytes: Int

        /// What the level multiplies the content weight by: `refinementContentEmphasis` on a
        /// refinement level, 1 on a composition level.
        public var contentEmphasis: Double { refines ? TransferPlan.refinementContentEmphasis : 1 }
    }

    /// A refinement level draws strokes at its finer size; it does not recompose the picture,
    /// so it weighs the content loss 5 times as much as the options say. At the options' weights
    /// it starts with a style loss 30-40 times its content loss (the enlarged picture lacks the
    /// painting's fine texture), and its few steps bought that texture with the photo's lines.
    /// Evening Glow x Great Wave up to 1497 px, 6 steps at 876 and 6 at 1497 px, the losses at
    /// 1497 px at the options' weights (content / style): x1 3.12e4 / 5.91e4, x2 2.74e4 / 6.13e4,
    /// x3 2.45e4 / 6.32e4, x5 1.99e4 / 6.07e4, x10 1.62e4 / 8.20e4. Up to 5 the style loss moves
    /// by at most 7 %; at 10 it gives way.
    public static let refinementContentEmphasis = 5.0

    public var levels: [Level]
    public var estimatedPeakBytes: Int { levels.map(\.estimatedBytes).max() ?? 0 }
    /// Seconds the levels' steps are expected to take, when a time limit planned them.
    public var estimatedSeconds: Double?
    /// The time limit's planner, which replans each level as it starts.
    public var budget: TimeBudget?

    public var description: String {
        let steps = levels.map { l in
            "\(l.width)x\(l.height) x\(l.iterations)" + (l.tile.map { " in \($0) px tiles" } ?? "")
        }
        let time = estimatedSeconds.map { "; estimated time \(formatSeconds($0))" } ?? ""
        return "estimated peak memory \(formatBytes(estimatedPeakBytes))\(time); levels: " + steps.joined(separator: ", ")
    }
}

/// "45 s", "2 min 50 s".
public func formatSeconds(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s < 60 ? "\(s) s" : "\(s / 60) min" + (s % 60 == 0 ? "" : " \(s % 60) s")
}

public func formatBytes(_ bytes: Int) -> String {
    let b = Double(bytes)
    if b >= 1_073_741_824 { return String(format: "%.2f GiB", b / 1_073_741_824) }
    if b < 1_048_576 { return "\(bytes) bytes" }
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
        return clampedInt(v * scale)
    }
    guard let v = Double(t), v > 0, v.isFinite else { return nil }
    return clampedInt(v)
}

/// Int(v) for v > 0, Int.max beyond it ("1e32", "9e15G"), so the range check
/// names the value instead of the conversion trapping (found by Tests/fuzz).
private func clampedInt(_ v: Double) -> Int { v < 0x1p63 ? Int(v) : Int.max }

/// Memory estimates from the network's layer shapes (4-byte floats, padded planes).
enum MemoryModel {
    static let float = 4
    /// Per-call scratch of the layers (Winograd bands, im2col) and the process itself
    /// (the README example, 512x341: estimated 691 MiB, peak RSS 674 MiB).
    static let fixedBytes = 112 << 20

    /// A pass's maps at h x w through layer `depth - 1`, as `makePass` allocates them,
    /// plus what one evaluation allocates on top (backward's gradients, content
    /// targets, masked-loss scratch).
    static func passBytes(_ network: FeatureNetwork, height: Int, width: Int, depth: Int, convs: Set<Int>,
                          forwardOnly: Bool, contentLayers: [Int], styleLayers: [Int], masked: Bool) -> Int {
        var h = height, w = width, c = 3
        var total = 0
        func map(_ ch: Int) -> Int { ch * (h + 2) * (w + 2) }
        total += map(3)
        var biggestStyleMap = 0, biggestGradient = 0
        for i in 0..<depth {
            switch network.layers[i].kind {
            case .conv(let conv):
                biggestGradient = max(biggestGradient, map(c))
                c = conv.outChannels
                total += map(c) * (convs.contains(i) ? 2 : 1)
            case .relu: break
            case .pool:
                biggestGradient = max(biggestGradient, map(c))
                (h, w) = Pool2x2.outputSize(height: h, width: w)
                total += map(c)
            }
            if contentLayers.contains(i) { total += map(c) }
            if styleLayers.contains(i) { biggestStyleMap = max(biggestStyleMap, map(c)) }
        }
        if !forwardOnly {
            // backward's two gradient buffers (makePass), the returned gradient
            total += 2 * max(biggestGradient, map(c)) + 2 * 3 * height * width
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

extension StyleTransfer {
    /// Levels, tiles and the memory estimate of a run, without running it.
    public func plan(content: Image?, styles: [Image], options: TransferOptions) throws -> TransferPlan {
        for (i, image) in ([content].compactMap { $0 } + styles).enumerated() {
            guard image.width >= 1, image.height >= 1, image.pixels.allSatisfy({ $0.isFinite }) else {
                throw TransferError.invalidImage("image \(i + 1) is empty or has non-finite pixels")
            }
        }
        return try plan(content: content?.imageSize, styles: styles.map(\.imageSize), options: options)
    }

    /// The plan from image sizes alone, so that a run is admitted or refused
    /// before any pixel is decoded. Counts the decoded content and the result
    /// at the content's size besides the optimisation itself.
    public func plan(content: ImageSize?, styles: [ImageSize], options: TransferOptions) throws -> TransferPlan {
        try options.validate(network: network, styleCount: styles.count)
        guard let canvas = content ?? styles.first else { throw TransferError.invalidImage("no content or style image") }
        if content == nil && (options.preserveColors != .none || options.mask != nil) {
            throw OptionError(options.mask != nil ? .mask : .preserveColors, "needs a content image")
        }
        let (sides, iterations) = try Self.levelSchedule(canvas: canvas, options: options)

        let layers = LayerSelection(network: network, options: options, hasContent: content != nil, hasStyle: !styles.isEmpty)
        let f = MemoryModel.float
        let inputs = ([content].compactMap { $0 } + styles).reduce(0) { $0 + 3 * $1.pixels * f }
            + (options.mask?.values.count ?? 0) * f
            // The result at the content's size: resampled, interleaved for writing, and its 8-bit copy.
            // (The decoded content is the planar copy counted above; the decoder's buffer is gone by then.)
            + (content?.pixels ?? 0) * 7 * f
        let fixed = inputs + MemoryModel.modelBytes(network, depth: layers.depth) + MemoryModel.fixedBytes
        func pass(_ w: Int, _ h: Int, forwardOnly: Bool) -> Int {
            MemoryModel.passBytes(network, height: h, width: w, depth: layers.depth, convs: layers.convs,
                                  forwardOnly: forwardOnly, contentLayers: layers.contentIndices,
                                  styleLayers: layers.styleIndices, masked: options.mask != nil)
        }
        let budget = options.maxMemory ?? Int.max
        var levels: [TransferPlan.Level] = []
        var shortfall = 0  // the least budget the levels that do not fit would need
        for (side, n) in zip(sides, iterations) {
            let picture = canvas.size(longestSide: side)
            // What is optimised: the picture and its reflected margin (Margin.swift).
            let (w, h) = Margin.canvas(picture.width, picture.height)
            let pixels = w * h
            let styleSizes = styles.map { options.styleSize($0, levelSide: side, canvas: canvas) }
            // Whole-size images a level keeps: scaled content, x, the previous x, mask, scaled styles.
            var base = fixed + (9 + (options.mask == nil ? 0 : 1)) * pixels * f
                + styleSizes.reduce(0) { $0 + 3 * $1.width * $1.height * f }
            // Style targets: whole style images, or crops when those do not fit.
            var styleCrop: Int?
            var stylePhase = styleSizes.map { pass($0.width, $0.height, forwardOnly: true) }.max() ?? 0
            if base + stylePhase > budget, let largest = styleSizes.map({ max($0.width, $0.height) }).max() {
                let m = 2 * Tiling.gramMargin
                let crops = stride(from: largest / 16 * 16, through: 64, by: -16)
                guard let crop = crops.first(where: { base + pass($0 + m, $0 + m, forwardOnly: true) <= budget }) else {
                    shortfall = max(shortfall, base + min(stylePhase, pass(64 + m, 64 + m, forwardOnly: true)))
                    continue
                }
                styleCrop = crop
                stylePhase = pass(crop + m, crop + m, forwardOnly: true)
            }
            let styleBase = base  // the style targets are computed before the tile accumulators exist
            // P x and Pᵀ g (Margin.swift) beside the pass at each evaluation.
            let mirrored = { (p: Int) in 2 * 3 * p * f }
            var optimisation = pass(w, h, forwardOnly: false) + mirrored(pixels) + MemoryModel.optimizerBytes(options, pixels: pixels)
            var tile: Int?
            if base + optimisation > budget {
                base += 4 * pixels * f  // the blend accumulators
                func tileBytes(_ t: Int) -> Int {
                    let tw = min(t, w), th = min(t, h)
                    return pass(tw, th, forwardOnly: false) + mirrored(tw * th) + MemoryModel.optimizerBytes(options, pixels: tw * th)
                        + 9 * tw * th * f  // tile crops of x, content, mask
                }
                guard let t = stride(from: max(w, h) / 16 * 16, through: 64, by: -16).first(where: {
                    base + tileBytes($0) <= budget
                }) else {
                    shortfall = max(shortfall, base + tileBytes(64), styleBase + stylePhase)
                    continue
                }
                // As few tiles as the largest fitting size needs, each made as small as that count allows
                // (two 960 px tiles over 1024 px would nearly double the work; two of 576 do not).
                let side = max(w, h), overlap = max(16, t / 8)
                let count = (side - overlap + t - overlap - 1) / (t - overlap)
                let t2 = ((side + (count - 1) * overlap + count - 1) / count + 15) / 16 * 16
                tile = min(t, t2)
                optimisation = tileBytes(tile!)
            }
            levels.append(.init(width: picture.width, height: picture.height, iterations: n, tile: tile, styleCrop: styleCrop,
                                refines: side > options.composeSide(canvas: canvas), estimatedBytes: max(styleBase + stylePhase, base + optimisation)))
        }
        if shortfall > 0 { throw tooLittle(budget, shortfall) }
        var plan = TransferPlan(levels: levels)
        if options.timeLimit > 0 {
            // The time the speed takes to measure is the run's too.
            let start = Date()
            let speed = try speed(layers: layers, options: options)
            plan = TimeBudget(plan: plan, limit: options.timeLimit - Date().timeIntervalSince(start), speed: speed).planned
        }
        return plan
    }

    /// The longest side and iteration count of each level, coarsest first.
    /// Composition: `scales` levels, each twice the one before, ending at
    /// `size` (levels under `minimumLevelSide` dropped), sharing `iterations`.
    /// Refinement, when the final size is larger: levels at most twice the one
    /// before up to it, each with `refinementIterations`.
    static func levelSchedule(canvas: ImageSize, options: TransferOptions) throws -> (sides: [Int], iterations: [Int]) {
        let compose = options.composeSide(canvas: canvas), final = options.finalSide(canvas: canvas)
        let refineCount = final > compose ? Int(ceil(log2(Double(final) / Double(compose)) - 1e-9)) : 0
        let refine = (0..<refineCount).map { k in
            k == refineCount - 1 ? final
                : Int((Double(compose) * pow(Double(final) / Double(compose), Double(k + 1) / Double(refineCount))).rounded())
        }
        let requested = options.levelIterations.map { $0.count - refine.count } ?? options.scales
        if let given = options.levelIterations, requested < 1 {
            throw OptionError(.scaleIterations, "\(given.count) counts, but there are \(refine.count) refinement levels above "
                + "--size \(compose) up to \(final): give at least \(refine.count + 1)")
        }
        var sides: [Int] = []
        for k in 0..<requested {
            let side = Int((Double(compose) / Double(1 << (requested - 1 - k))).rounded())
            if side >= TransferOptions.minimumLevelSide || k == requested - 1 { sides.append(side) }
        }
        if let given = options.levelIterations {
            guard given.count == sides.count + refine.count else {
                let reason = refine.isEmpty ? "" : " (\(refine.count) refinement level\(refine.count == 1 ? "" : "s") above --size \(compose) up to \(final))"
                throw OptionError(.scaleIterations, "\(given.count) counts, but size \(compose) allows \(sides.count) levels of at least "
                    + "\(TransferOptions.minimumLevelSide) px\(reason): give \(sides.count + refine.count)")
            }
            return (sides + refine, given)
        }
        var iterations = [Int](repeating: options.iterations / sides.count, count: sides.count)
        iterations[sides.count - 1] += options.iterations % sides.count
        if iterations.contains(0) {  // fewer iterations than levels: only the finest levels
            let keep = min(sides.count, options.iterations)
            sides = Array(sides.suffix(keep))
            iterations = [Int](repeating: 1, count: keep)
        }
        let top = iterations[iterations.count - 1]
        return (sides + refine, iterations + refine.map { refinementIterations(top: top, compose: compose, side: $0) })
    }

    /// Steps at a refinement level of longest side `side`: the composition's top
    /// level's count scaled by (compose / side)², so each refinement level costs
    /// about what the top composition level did (a step's cost grows with the
    /// pixels), and at least `minimumRefinementSteps`.
    static func refinementIterations(top: Int, compose: Int, side: Int) -> Int {
        let ratio = Double(compose) / Double(side)
        return max(minimumRefinementSteps, Int((Double(top) * ratio * ratio).rounded()))
    }
    /// A refinement level starts far from its optimum: its style targets are finer
    /// and the content's detail is back (`StyleTransfer.refine`). What counts is the
    /// result at the final size against the resampled one. Measured (path photo at
    /// 1024 px composed at 256, Starry Night, `stylize score --size 256 --output-size 0`,
    /// n steps at 512 and at 1024), content / style loss: resampled from 256
    /// 2.87e4 / 1.10e6; n = 2: 3.09e4 / 7.26e4; 3: 2.61e4 / 3.91e4; 5: 2.50e4 / 1.73e4;
    /// 10: 2.21e4 / 1.03e4; 20: 1.71e4 / 6.7e3. From 3 steps both losses are below the
    /// resampled result's (L-BFGS's Wolfe search makes the first steps count; with
    /// the backtracking search 5 steps gave 2.87e4 style).
    static let minimumRefinementSteps = 5

    private func tooLittle(_ budget: Int, _ needed: Int) -> OptionError {
        OptionError(.maxMemory, "\(formatBytes(budget)) is too small for this run: it needs at least \(formatBytes(needed)) even with 64 px tiles")
    }
}
