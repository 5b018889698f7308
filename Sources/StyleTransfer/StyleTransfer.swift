import Foundation

/// Which layers a run uses, their indices, and how deep the network must run.
struct LayerSelection {
    let content: [LayerWeight]
    let style: [LayerWeight]
    let contentIndices: [Int]
    let styleIndices: [Int]
    /// Layers 0..<depth are evaluated.
    let depth: Int
    /// Conv layers a loss reads (they keep their output before ReLU).
    let convs: Set<Int>

    init(network: FeatureNetwork, options: TransferOptions, hasContent: Bool, hasStyle: Bool) {
        let index = { (l: LayerWeight) in network.layerIndex(l.name)! }
        content = hasContent ? options.contentLayers.filter { $0.weight > 0 && options.contentWeight > 0 } : []
        style = hasStyle ? options.styleLayers.filter { $0.weight > 0 && options.styleWeight > 0 } : []
        contentIndices = content.map(index)
        styleIndices = style.map(index)
        let used = contentIndices + styleIndices
        convs = Set(used.filter { if case .conv = network.layers[$0].kind { return true } else { return false } })
        depth = (used.max() ?? 0) + 1
    }
}

/// The Gatys objective at one image size: content losses against the content
/// image's features, style losses against (blended) style Gram matrices, and
/// total variation. Evaluating it is one forward and one backward pass.
public final class TransferObjective {
    public let network: FeatureNetwork
    public let width: Int
    public let height: Int
    let pass: FeatureNetwork.Pass
    let contentLosses: [ContentLoss]
    let styleLosses: [StyleLoss]
    let maskedStyleLosses: [MaskedStyleLoss]
    let tvWeight: Double
    public private(set) var evaluations = 0

    /// `content` must already be `width` x `height` (nil: no content loss);
    /// `styles` are used at their own sizes.
    public convenience init(network: FeatureNetwork, width: Int, height: Int, content: Image?, styles: [Image],
                            options: TransferOptions) {
        let layers = LayerSelection(network: network, options: options, hasContent: content != nil, hasStyle: !styles.isEmpty)
        let targets = StyleTransfer.styleTargets(network: network, styles: styles, options: options, layers: layers, crop: nil)
        self.init(network: network, width: width, height: height, content: content, styleTargets: targets,
                  mask: nil, options: options, layers: layers)
    }

    /// With Gram targets already computed (one per style layer) and an optional
    /// mask of this size, which makes the style losses guided (masked) Grams.
    init(network: FeatureNetwork, width: Int, height: Int, content: Image?, styleTargets: [[Float]], mask: Mask?,
         options: TransferOptions, layers: LayerSelection) {
        self.network = network
        self.width = width
        self.height = height
        let pass = network.makePass(height: height, width: width, through: layers.depth - 1, keepPreActivation: layers.convs)
        self.pass = pass

        var contentLosses: [ContentLoss] = []
        if let content, !layers.content.isEmpty {
            network.forward(pass, pixels: content.pixels)
            contentLosses = zip(layers.content, layers.contentIndices).map {
                ContentLoss(layer: $0.1, weight: options.contentWeight * $0.0.weight, target: pass.activation($0.1))
            }
        }
        self.contentLosses = contentLosses

        let styles = zip(layers.style, layers.styleIndices).enumerated().filter { !styleTargets[$0.offset].isEmpty }
        if let mask {
            maskedStyleLosses = styles.map { k, layer in
                // The mask at the layer's resolution: 2x2 means at every pooling before it.
                let pools = network.layers[0..<layer.1].filter { if case .pool = $0.kind { return true } else { return false } }.count
                var m = mask
                for _ in 0..<pools { m = m.pooled() }
                return MaskedStyleLoss(layer: layer.1, weight: options.styleWeight * layer.0.weight, target: styleTargets[k], mask: m)
            }
            styleLosses = []
        } else {
            styleLosses = styles.map { k, layer in
                StyleLoss(layer: layer.1, weight: options.styleWeight * layer.0.weight, target: styleTargets[k])
            }
            maskedStyleLosses = []
        }
        tvWeight = options.tvWeight
    }

    /// From now on, every evaluation adds its per-layer seconds into the result.
    public func startProfiling() -> FeatureNetwork.LayerProfile { network.startProfiling(pass) }

    /// Loss terms and dLoss/dpixels at `pixels` (planar RGB 0-255).
    public func evaluate(_ pixels: [Float]) -> (LossTerms, [Float]) {
        evaluations += 1
        var terms = LossTerms()
        var gradient: [Float]
        if contentLosses.isEmpty && styleLosses.isEmpty && maskedStyleLosses.isEmpty {
            gradient = [Float](repeating: 0, count: pixels.count)
        } else {
            network.forward(pass, pixels: pixels)
            gradient = network.backward(pass) { i, g in
                for loss in contentLosses where loss.layer == i {
                    terms.content += loss.evaluate(pass.activation(i), gradient: g)
                }
                for loss in styleLosses where loss.layer == i {
                    terms.style += loss.evaluate(pass.activation(i), gradient: g)
                }
                for loss in maskedStyleLosses where loss.layer == i {
                    terms.style += loss.evaluate(pass.activation(i), gradient: g)
                }
            }
        }
        if tvWeight > 0 {
            terms.tv = gradient.withUnsafeMutableBufferPointer {
                TotalVariation.evaluate(pixels, height: height, width: width, weight: tvWeight, gradient: $0.baseAddress)
            }
        }
        return (terms, gradient)
    }
}

/// Runs Gatys style transfer with one network. Stateless between runs, so one
/// instance (and its network) may serve several threads at once.
public final class StyleTransfer: @unchecked Sendable {
    public let network: FeatureNetwork

    public init(network: FeatureNetwork) { self.network = network }

    public convenience init(weights: ModelWeights) { self.init(network: FeatureNetwork(weights: weights)) }

    /// Stylizes `content` after `styles`. With `content` nil (texture
    /// synthesis) the canvas is the first style's size. The optimisation runs
    /// coarse to fine (`options.scales` levels) ending with the longest side at
    /// `options.size`, in tiles where `options.maxMemory` requires it; the
    /// result is resampled to the content's size. `progress` is called at
    /// iteration 0 and after each step (counted over all levels); returning
    /// false cancels (throws `TransferError.cancelled`).
    public func run(content: Image?, styles: [Image], options: TransferOptions,
                    progress: ((TransferProgress) -> Bool)? = nil) throws -> Image {
        let plan = try self.plan(content: content, styles: styles, options: options)
        let network = options.pooling == self.network.pooling ? self.network
            : FeatureNetwork(sharing: self.network, pooling: options.pooling)
        let layers = LayerSelection(network: network, options: options, hasContent: content != nil, hasStyle: !styles.isEmpty)

        // What the network sees: with colour preservation, grey or recoloured inputs.
        var seenContent = content, seenStyles = styles, initialization = options.initialization
        if let content {
            switch options.preserveColors {
            case .luminance:
                seenContent = ColorPreservation.luminanceImage(content)
                seenStyles = styles.map { ColorPreservation.matchedLuminance($0, to: content) }
                if case .image(let i) = initialization { initialization = .image(ColorPreservation.luminanceImage(i)) }
            case .histogram:
                seenStyles = styles.map { ColorPreservation.matchedHistogram($0, to: content) }
            case .none: break
            }
        }

        let total = plan.levels.reduce(0) { $0 + $1.iterations }
        let start = Date()
        var x: [Float] = []
        var last = LossTerms()
        var iteration = 0, evaluations = 0
        var (w, h) = (0, 0)
        func report(_ losses: LossTerms, evaluationsNow: Int) throws {
            last = losses
            let p = TransferProgress(iteration: iteration, total: total, losses: losses,
                                     elapsed: Date().timeIntervalSince(start), evaluations: evaluationsNow,
                                     image: Image(width: w, height: h, pixels: x))
            if let progress, !progress(p) { throw TransferError.cancelled }
        }
        for (k, level) in plan.levels.enumerated() {
            let previous = (w, h)
            (w, h) = (level.width, level.height)
            let levelContent = seenContent?.resized(width: w, height: h)
            if k == 0 {
                x = initialPixels(initialization, width: w, height: h, content: levelContent, styles: seenStyles, seed: options.seed)
            } else {  // continue from the coarser level's result
                x = Image(width: previous.0, height: previous.1, pixels: x).resized(width: w, height: h).pixels
            }
            let scaledStyles = seenStyles.map { style -> Image in
                let s = style.size(longestSide: max(1, Int((Double(max(w, h)) * options.styleScale).rounded())))
                return style.resized(width: s.width, height: s.height)
            }
            let targets = Self.styleTargets(network: network, styles: scaledStyles, options: options, layers: layers,
                                            crop: level.styleCrop)
            let mask = options.mask?.resized(width: w, height: h)
            if let tile = level.tile {
                if k == 0 { try report(LossTerms(), evaluationsNow: 0) }
                let levelStart = iteration
                try optimiseTiled(&x, width: w, height: h, content: levelContent, targets: targets, mask: mask,
                                  options: options, layers: layers, network: network, tile: tile,
                                  iterations: level.iterations) { losses, steps, evals in
                    evaluations += evals
                    while iteration < levelStart + steps { iteration += 1; try report(losses, evaluationsNow: evaluations) }
                }
            } else {
                let objective = TransferObjective(network: network, width: w, height: h, content: levelContent,
                                                  styleTargets: targets, mask: mask, options: options, layers: layers)
                let f: Objective = { px in
                    let (terms, g) = objective.evaluate(px)
                    last = terms
                    return (terms.total, g)
                }
                if k == 0 { try report(objective.evaluate(x).0, evaluationsNow: objective.evaluations) }
                var optimizer: any Optimizer = options.optimizer == .lbfgs
                    ? LBFGS(history: options.lbfgsHistory) : Adam(learningRate: options.learningRate)
                for _ in 0..<level.iterations {
                    _ = optimizer.step(&x, f)  // Adam reports the loss where its step began
                    iteration += 1
                    try report(last, evaluationsNow: evaluations + objective.evaluations)
                }
                evaluations += objective.evaluations
            }
        }
        let outW = content?.width ?? w, outH = content?.height ?? h
        var result = Image(width: w, height: h, pixels: x).clamped().resized(width: outW, height: outH).clamped()
        if let content, options.preserveColors == .luminance {
            result = ColorPreservation.recombine(luminance: result, chroma: content)
        }
        if let content, let mask = options.mask {
            result = mask.resized(width: outW, height: outH).blend(result, content).clamped()
        }
        return result
    }

    /// Levels, tiles and the memory estimate of a run, without running it.
    public func plan(content: Image?, styles: [Image], options: TransferOptions) throws -> TransferPlan {
        try options.validate(network: network, styleCount: styles.count)
        for (i, image) in ([content].compactMap { $0 } + styles).enumerated() {
            guard image.width >= 1, image.height >= 1, image.pixels.allSatisfy({ $0.isFinite }) else {
                throw TransferError.invalidImage("image \(i + 1) is empty or has non-finite pixels")
            }
        }
        guard let canvas = content ?? styles.first else { throw TransferError.invalidImage("no content or style image") }
        if content == nil && (options.preserveColors != .none || options.mask != nil) {
            throw TransferError.invalidOption("preserve colors and mask need a content image")
        }
        let longest = options.size == 0 ? max(canvas.width, canvas.height) : options.size

        // Level sizes: halving from the full size, dropping levels that would be too small.
        let requested = options.levelIterations?.count ?? options.scales
        var sides: [Int] = []
        for k in 0..<requested {
            let side = Int((Double(longest) / Double(1 << (requested - 1 - k))).rounded())
            if side >= TransferOptions.minimumLevelSide || k == requested - 1 { sides.append(side) }
        }
        var iterations: [Int]
        if let given = options.levelIterations {
            guard given.count == sides.count else {
                throw TransferError.invalidOption("\(given.count) level iteration counts, but size \(longest) allows only \(sides.count) levels of at least \(TransferOptions.minimumLevelSide) px")
            }
            iterations = given
        } else {
            iterations = [Int](repeating: options.iterations / sides.count, count: sides.count)
            iterations[sides.count - 1] += options.iterations % sides.count
            if iterations.contains(0) {  // fewer iterations than levels: only the finest levels
                let keep = min(sides.count, options.iterations)
                sides = Array(sides.suffix(keep))
                iterations = [Int](repeating: 1, count: keep)
            }
        }

        let layers = LayerSelection(network: network, options: options, hasContent: content != nil, hasStyle: !styles.isEmpty)
        let f = MemoryModel.float
        let inputs = ([content].compactMap { $0 } + styles).reduce(0) { $0 + $1.pixels.count * f }
            + (options.mask?.values.count ?? 0) * f
        let fixed = inputs + MemoryModel.modelBytes(network, depth: layers.depth) + MemoryModel.fixedBytes
        func pass(_ w: Int, _ h: Int, forwardOnly: Bool) -> Int {
            MemoryModel.passBytes(network, height: h, width: w, depth: layers.depth, convs: layers.convs,
                                  forwardOnly: forwardOnly, contentLayers: layers.contentIndices,
                                  styleLayers: layers.styleIndices, masked: options.mask != nil)
        }
        let budget = options.maxMemory ?? Int.max
        var levels: [TransferPlan.Level] = []
        for (side, n) in zip(sides, iterations) {
            let (w, h) = canvas.size(longestSide: side)
            let pixels = w * h
            let styleSizes = styles.map { $0.size(longestSide: max(1, Int((Double(side) * options.styleScale).rounded()))) }
            // Whole-size images a level keeps: scaled content, x, the previous x, mask, scaled styles.
            var base = fixed + (9 + (options.mask == nil ? 0 : 1)) * pixels * f
                + styleSizes.reduce(0) { $0 + 3 * $1.width * $1.height * f }
            // Style targets: whole style images, or crops when those do not fit.
            var styleCrop: Int?
            var stylePhase = styleSizes.map { pass($0.width, $0.height, forwardOnly: true) }.max() ?? 0
            if base + stylePhase > budget, let largest = styleSizes.map({ max($0.width, $0.height) }).max() {
                let m = 2 * Tiling.gramMargin
                guard let crop = stride(from: largest / 16 * 16, through: 64, by: -16).first(where: {
                    base + pass($0 + m, $0 + m, forwardOnly: true) <= budget
                }) else { throw tooLittle(budget, base + pass(64 + m, 64 + m, forwardOnly: true)) }
                styleCrop = crop
                stylePhase = pass(crop + m, crop + m, forwardOnly: true)
            }
            let styleBase = base  // the style targets are computed before the tile accumulators exist
            var optimisation = pass(w, h, forwardOnly: false) + MemoryModel.optimizerBytes(options, pixels: pixels)
            var tile: Int?
            if base + optimisation > budget {
                base += 4 * pixels * f  // the blend accumulators
                func tileBytes(_ t: Int) -> Int {
                    let tw = min(t, w), th = min(t, h)
                    return pass(tw, th, forwardOnly: false) + MemoryModel.optimizerBytes(options, pixels: tw * th)
                        + 9 * tw * th * f  // tile crops of x, content, mask
                }
                guard let t = stride(from: max(w, h) / 16 * 16, through: 64, by: -16).first(where: {
                    base + tileBytes($0) <= budget
                }) else { throw tooLittle(budget, base + tileBytes(64)) }
                // As few tiles as the largest fitting size needs, each made as small as that count allows
                // (two 960 px tiles over 1024 px would nearly double the work; two of 576 do not).
                let side = max(w, h), overlap = max(16, t / 8)
                let count = (side - overlap + t - overlap - 1) / (t - overlap)
                let t2 = ((side + (count - 1) * overlap + count - 1) / count + 15) / 16 * 16
                tile = min(t, t2)
                optimisation = tileBytes(tile!)
            }
            levels.append(.init(width: w, height: h, iterations: n, tile: tile, styleCrop: styleCrop,
                                estimatedBytes: max(styleBase + stylePhase, base + optimisation)))
        }
        return TransferPlan(levels: levels)
    }

    private func tooLittle(_ budget: Int, _ needed: Int) -> TransferError {
        .invalidOption("max memory \(formatBytes(budget)) is too small for this run: it needs at least \(formatBytes(needed)) even with 64 px tiles")
    }

    /// Gram targets per style layer: each style's Gram matrices (over crops of
    /// `crop` px when given), mixed by the blend weights.
    static func styleTargets(network: FeatureNetwork, styles: [Image], options: TransferOptions, layers: LayerSelection,
                             crop: Int?) -> [[Float]] {
        var targets = [[Float]](repeating: [], count: layers.style.count)
        let blend = options.styleBlend ?? [Double](repeating: 1, count: styles.count)
        let blendSum = blend.reduce(0, +)
        for (style, b) in zip(styles, blend) where b > 0 && !layers.style.isEmpty {
            let grams: [[Float]]
            if let crop, max(style.width, style.height) > crop {
                grams = Tiling.gramMatrices(network: network, image: style, layers: layers.styleIndices,
                                            depth: layers.depth, convs: layers.convs, crop: crop)
            } else {
                let pass = network.makePass(height: style.height, width: style.width, through: layers.depth - 1,
                                            keepPreActivation: layers.convs, forwardOnly: true)
                network.forward(pass, pixels: style.pixels)
                grams = layers.styleIndices.map { gramMatrix(pass.activation($0)) }
            }
            let w = Float(b / blendSum)
            for k in grams.indices {
                if targets[k].isEmpty { targets[k] = [Float](repeating: 0, count: grams[k].count) }
                for i in grams[k].indices { targets[k][i] += w * grams[k][i] }
            }
        }
        return targets
    }

    /// Optimises `x` (width x height) in overlapping square tiles of side
    /// `tile`. Every tile matches the same whole-image Gram targets; its
    /// content target is its own crop. A level's iterations are split into
    /// passes over all tiles; each pass shifts the tile grid so seams move,
    /// and tiles are blended with feathered (linear ramp) overlaps.
    /// `advance(losses, steps, evaluations)` reports steps done in this level.
    func optimiseTiled(_ x: inout [Float], width w: Int, height h: Int, content: Image?, targets: [[Float]],
                       mask: Mask?, options: TransferOptions, layers: LayerSelection, network: FeatureNetwork,
                       tile: Int, iterations n: Int,
                       advance: (LossTerms, Int, Int) throws -> Void) throws {
        let overlap = max(16, tile / 8)  // ramps of tile/8: enough to hide seams, little repeated work
        let passes = n >= 2 ? max(2, min(4, n / 4)) : 1
        var stepsBefore = 0
        for p in 0..<passes {
            let steps = n / passes + (p < n % passes ? 1 : 0)
            let shift = (tile - overlap) * p / passes
            let xs = Tiling.spans(length: w, tile: tile, overlap: overlap, shift: shift)
            let ys = Tiling.spans(length: h, tile: tile, overlap: overlap, shift: shift)
            let tw = min(tile, w), th = min(tile, h)
            var acc = [Float](repeating: 0, count: 3 * w * h)
            var weights = [Float](repeating: 0, count: w * h)
            var losses = LossTerms()
            var done = 0
            for y0 in ys {
                for x0 in xs {
                    var t = Tiling.crop(x, width: w, height: h, x: x0, y: y0, w: tw, h: th)
                    let tileContent = content.map {
                        Image(width: tw, height: th, pixels: Tiling.crop($0.pixels, width: w, height: h, x: x0, y: y0, w: tw, h: th))
                    }
                    let objective = TransferObjective(network: network, width: tw, height: th, content: tileContent,
                                                      styleTargets: targets, mask: mask?.cropped(x: x0, y: y0, width: tw, height: th),
                                                      options: options, layers: layers)
                    var tileLoss = LossTerms()
                    let f: Objective = { px in
                        let (terms, g) = objective.evaluate(px)
                        tileLoss = terms
                        return (terms.total, g)
                    }
                    var optimizer: any Optimizer = options.optimizer == .lbfgs
                        ? LBFGS(history: options.lbfgsHistory) : Adam(learningRate: options.learningRate)
                    for _ in 0..<steps { _ = optimizer.step(&t, f) }
                    let share = 1 / Double(xs.count * ys.count)
                    losses.content += share * tileLoss.content
                    losses.style += share * tileLoss.style
                    losses.tv += share * tileLoss.tv
                    let fx = Tiling.feather(start: x0, length: tw, total: w, overlap: overlap)
                    let fy = Tiling.feather(start: y0, length: th, total: h, overlap: overlap)
                    for r in 0..<th {
                        for i in 0..<tw {
                            let wgt = fx[i] * fy[r], dst = (y0 + r) * w + x0 + i
                            weights[dst] += wgt
                            for c in 0..<3 { acc[c * w * h + dst] += wgt * t[c * tw * th + r * tw + i] }
                        }
                    }
                    done += 1
                    let stepsNow = stepsBefore + steps * done / (xs.count * ys.count)
                    let seen = Double(xs.count * ys.count) / Double(done)  // mean over the tiles done so far
                    var mean = LossTerms()
                    (mean.content, mean.style, mean.tv) = (losses.content * seen, losses.style * seen, losses.tv * seen)
                    try advance(mean, stepsNow, objective.evaluations)
                }
            }
            for c in 0..<3 { for i in 0..<(w * h) { acc[c * w * h + i] /= weights[i] } }
            x = acc
            stepsBefore += steps
        }
    }

    func initialPixels(_ initialization: Initialization, width: Int, height: Int, content: Image?,
                       styles: [Image], seed: UInt64) -> [Float] {
        switch initialization {
        case .content where content != nil:
            return content!.pixels
        case .style:
            return styles[0].resized(width: width, height: height).pixels
        case .image(let image):
            return image.resized(width: width, height: height).pixels
        default:  // noise (or content init without a content image)
            var rng = SplitMix64(seed: seed)
            return (0..<(3 * width * height)).map { _ in Float.random(in: 0..<255, using: &rng) }
        }
    }
}
