import Foundation

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
        var x: [Float] = []  // the level's picture, w x h; the margin is always its mirror (Margin.swift)
        var last = LossTerms()
        var iteration = 0, evaluations = 0
        var (w, h) = (0, 0)
        let m = Margin.width
        func report(_ losses: LossTerms, evaluationsNow: Int) throws {
            last = losses
            // The backstop behind the option ranges: a non-finite loss means the image is garbage.
            guard losses.total.isFinite else {
                throw TransferError.diverged("the loss became \(losses.total) at iteration \(iteration): "
                    + "lower the style, content or TV weight or the learning rate")
            }
            let p = TransferProgress(iteration: iteration, total: total, losses: losses,
                                     elapsed: Date().timeIntervalSince(start), evaluations: evaluationsNow,
                                     image: Image(width: w, height: h, pixels: x))
            if let progress, !progress(p) { throw TransferError.cancelled }
        }
        for (k, level) in plan.levels.enumerated() {
            let levelContent = seenContent?.resized(width: level.width, height: level.height)
            x = k == 0
                ? initialPixels(initialization, width: level.width, height: level.height, content: levelContent,
                                styles: seenStyles, seed: options.seed)
                : Image(width: w, height: h, pixels: x).resized(width: level.width, height: level.height).pixels
            (w, h) = (level.width, level.height)
            let scaledStyles = seenStyles.map { style -> Image in
                let s = style.size(longestSide: max(1, Int((Double(max(w, h)) * options.styleScale).rounded())))
                return style.resized(width: s.width, height: s.height)
            }
            let targets = try Self.styleTargets(network: network, styles: scaledStyles, options: options, layers: layers,
                                            crop: level.styleCrop)
            let mask = options.mask?.resized(width: w, height: h)
            if let tile = level.tile {
                if k == 0 { try report(LossTerms(), evaluationsNow: 0) }
                let levelStart = iteration
                try optimiseTiled(&x, width: w, height: h, margin: m, content: levelContent, targets: targets, mask: mask,
                                  options: options, layers: layers, network: network, tile: tile,
                                  iterations: level.iterations) { losses, steps, evals in
                    evaluations += evals
                    while iteration < levelStart + steps { iteration += 1; try report(losses, evaluationsNow: evaluations) }
                }
            } else {
                // f(x) = L(P x): the picture seen with its mirrored margin, ∇f = Pᵀ ∇L (Margin.swift).
                let objective = try MirroredObjective(network: network, width: w, height: h, content: levelContent,
                                                  styleTargets: targets, mask: mask, options: options, layers: layers,
                                                  margin: m)
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

    /// Gram targets per style layer: each style's Gram matrices (over crops of
    /// `crop` px when given), mixed by the blend weights.
    static func styleTargets(network: FeatureNetwork, styles: [Image], options: TransferOptions, layers: LayerSelection,
                             crop: Int?) throws -> [[Float]] {
        var targets = [[Float]](repeating: [], count: layers.style.count)
        let blend = options.styleBlend ?? [Double](repeating: 1, count: styles.count)
        let blendSum = blend.reduce(0, +)
        for (style, b) in zip(styles, blend) where b > 0 && !layers.style.isEmpty {
            let grams: [[Float]]
            if let crop, max(style.width, style.height) > crop {
                grams = try Tiling.gramMatrices(network: network, image: style, layers: layers.styleIndices,
                                            depth: layers.depth, convs: layers.convs, crop: crop)
            } else {
                let pass = try network.makePass(height: style.height, width: style.width, through: layers.depth - 1,
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
