import Foundation

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
    let tvWeight: Double
    public private(set) var evaluations = 0

    /// `content` must already be `width` x `height` (nil: no content loss);
    /// `styles` are used at their own sizes.
    public init(network: FeatureNetwork, width: Int, height: Int, content: Image?, styles: [Image],
                options: TransferOptions) {
        self.network = network
        self.width = width
        self.height = height
        let index = { (l: LayerWeight) in network.layerIndex(l.name)! }
        let contentLayers = content == nil ? [] : options.contentLayers.filter { $0.weight > 0 && options.contentWeight > 0 }
        let styleLayers = styles.isEmpty ? [] : options.styleLayers.filter { $0.weight > 0 && options.styleWeight > 0 }
        let used = (contentLayers + styleLayers).map(index)
        let convs = Set(used.filter { if case .conv = network.layers[$0].kind { return true } else { return false } })
        let depth = used.max() ?? 0
        let pass = network.makePass(height: height, width: width, through: depth, keepPreActivation: convs)
        self.pass = pass

        var contentLosses: [ContentLoss] = []
        if let content, !contentLayers.isEmpty {
            network.forward(pass, pixels: content.pixels)
            contentLosses = contentLayers.map {
                ContentLoss(layer: index($0), weight: options.contentWeight * $0.weight, target: pass.activation(index($0)))
            }
        }
        self.contentLosses = contentLosses

        // Gram targets: a weighted mean of each style image's Gram matrices.
        var targets = [[Float]](repeating: [], count: styleLayers.count)
        let blend = options.styleBlend ?? [Double](repeating: 1, count: styles.count)
        let blendSum = blend.reduce(0, +)
        for (style, b) in zip(styles, blend) where b > 0 {
            let stylePass = network.makePass(height: style.height, width: style.width, through: depth, keepPreActivation: convs)
            network.forward(stylePass, pixels: style.pixels)
            for (k, layer) in styleLayers.enumerated() {
                let gram = gramMatrix(stylePass.activation(index(layer)))
                let w = Float(b / blendSum)
                if targets[k].isEmpty { targets[k] = [Float](repeating: 0, count: gram.count) }
                for i in gram.indices { targets[k][i] += w * gram[i] }
            }
        }
        styleLosses = zip(styleLayers, targets).map {
            StyleLoss(layer: index($0.0), weight: options.styleWeight * $0.0.weight, target: $0.1)
        }
        tvWeight = options.tvWeight
    }

    /// Loss terms and dLoss/dpixels at `pixels` (planar RGB 0-255).
    public func evaluate(_ pixels: [Float]) -> (LossTerms, [Float]) {
        evaluations += 1
        var terms = LossTerms()
        var gradient: [Float]
        if contentLosses.isEmpty && styleLosses.isEmpty {
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
    /// with the longest side at `options.size`; the result is resampled to the
    /// content's size. `progress` is called at iteration 0 and after each
    /// step; returning false cancels (throws `TransferError.cancelled`).
    public func run(content: Image?, styles: [Image], options: TransferOptions,
                    progress: ((TransferProgress) -> Bool)? = nil) throws -> Image {
        try options.validate(network: network, styleCount: styles.count)
        for (i, image) in ([content].compactMap { $0 } + styles).enumerated() {
            guard image.width >= 1, image.height >= 1, image.pixels.allSatisfy({ $0.isFinite }) else {
                throw TransferError.invalidImage("image \(i + 1) is empty or has non-finite pixels")
            }
        }
        guard let canvas = content ?? styles.first else { throw TransferError.invalidImage("no content or style image") }
        let longest = options.size == 0 ? max(canvas.width, canvas.height) : options.size
        let (w, h) = canvas.size(longestSide: longest)
        let network = options.pooling == self.network.pooling ? self.network
            : FeatureNetwork(sharing: self.network, pooling: options.pooling)

        let scaledContent = content?.resized(width: w, height: h)
        let scaledStyles = styles.map { style -> Image in
            let s = style.size(longestSide: max(1, Int((Double(longest) * options.styleScale).rounded())))
            return style.resized(width: s.width, height: s.height)
        }
        let objective = TransferObjective(network: network, width: w, height: h, content: scaledContent,
                                          styles: scaledStyles, options: options)
        var x = initialPixels(options.initialization, width: w, height: h, content: scaledContent,
                              styles: styles, seed: options.seed)
        var last = LossTerms()
        let f: Objective = { px in
            let (terms, g) = objective.evaluate(px)
            last = terms
            return (terms.total, g)
        }
        let start = Date()
        func report(_ i: Int) throws {
            let p = TransferProgress(iteration: i, total: options.iterations, losses: last,
                                     elapsed: Date().timeIntervalSince(start), evaluations: objective.evaluations,
                                     image: Image(width: w, height: h, pixels: x))
            if let progress, !progress(p) { throw TransferError.cancelled }
        }
        last = objective.evaluate(x).0
        try report(0)
        var optimizer: any Optimizer = options.optimizer == .lbfgs
            ? LBFGS(history: options.lbfgsHistory) : Adam(learningRate: options.learningRate)
        for i in 1...options.iterations {
            _ = optimizer.step(&x, f)  // Adam reports the loss where its step began
            try report(i)
        }
        let result = Image(width: w, height: h, pixels: x).clamped()
        let outW = content?.width ?? w, outH = content?.height ?? h
        return result.resized(width: outW, height: outH).clamped()
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
