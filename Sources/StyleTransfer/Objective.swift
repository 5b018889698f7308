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
    let tvWeight: Double
    public private(set) var evaluations = 0
    /// Each loss layer's weighted term at the last evaluation, in the order of the
    /// options: what `evaluate` sums into `LossTerms.content` and `.style` (`stylize score` prints them).
    public private(set) var layerTerms: (content: [LayerTerm], style: [LayerTerm]) = ([], [])

    /// `content` must already be `width` x `height` (nil: no content loss);
    /// `styles` are used at their own sizes.
    public convenience init(network: FeatureNetwork, width: Int, height: Int, content: Image?, styles: [Image],
                            options: TransferOptions) throws {
        let layers = LayerSelection(network: network, options: options, hasContent: content != nil, hasStyle: !styles.isEmpty)
        let targets = try StyleTransfer.styleTargets(network: network, styles: styles, options: options, layers: layers, crop: nil)
        try self.init(network: network, width: width, height: height, content: content, styleTargets: targets,
                      mask: nil, options: options, layers: layers)
    }

    /// With Gram targets already computed (one per style layer) and an optional
    /// mask of this size, which makes the style losses guided (masked) Grams.
    init(network: FeatureNetwork, width: Int, height: Int, content: Image?, styleTargets: [[Float]], mask: Mask?,
         options: TransferOptions, layers: LayerSelection) throws {
        self.network = network
        self.width = width
        self.height = height
        let pass = try network.makePass(height: height, width: width, through: layers.depth - 1, keepPreActivation: layers.convs)
        self.pass = pass

        var contentLosses: [ContentLoss] = []
        if let content, !layers.content.isEmpty {
            network.forward(pass, pixels: content.pixels)
            contentLosses = try zip(layers.content, layers.contentIndices).map {
                try ContentLoss(layer: $0.1, weight: options.contentWeight * $0.0.weight, target: pass.activation($0.1))
            }
        }
        self.contentLosses = contentLosses

        let styles = zip(layers.style, layers.styleIndices).enumerated().filter { !styleTargets[$0.offset].isEmpty }
        styleLosses = styles.map { k, layer in
            // The mask at the layer's resolution: 2x2 means at every pooling before it.
            let pools = network.layers[0..<layer.1].filter { if case .pool = $0.kind { return true } else { return false } }.count
            var m = mask
            for _ in 0..<pools { m = m?.pooled() }
            return StyleLoss(layer: layer.1, weight: options.styleWeight * layer.0.weight, target: styleTargets[k], mask: m)
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
        if contentLosses.isEmpty && styleLosses.isEmpty {
            gradient = [Float](repeating: 0, count: pixels.count)
        } else {
            var content = [Double](repeating: 0, count: contentLosses.count)
            var style = [Double](repeating: 0, count: styleLosses.count)
            network.forward(pass, pixels: pixels)
            gradient = network.backward(pass) { i, g in
                for (k, loss) in contentLosses.enumerated() where loss.layer == i {
                    content[k] = loss.evaluate(pass.activation(i), gradient: g)
                    terms.content += content[k]
                }
                for (k, loss) in styleLosses.enumerated() where loss.layer == i {
                    style[k] = loss.evaluate(pass.activation(i), gradient: g)
                    terms.style += style[k]
                }
            }
            let name = { (i: Int) in self.network.layers[i].name }
            layerTerms = (zip(contentLosses, content).map { LayerTerm(layer: name($0.layer), value: $1) },
                          zip(styleLosses, style).map { LayerTerm(layer: name($0.layer), value: $1) })
        }
        if tvWeight > 0 {
            terms.tv = gradient.withUnsafeMutableBufferPointer {
                TotalVariation.evaluate(pixels, height: height, width: width, weight: tvWeight, gradient: $0.baseAddress)
            }
        }
        return (terms, gradient)
    }
}

/// One loss layer's weighted term (content or style) at an evaluation.
public struct LayerTerm: Sendable, Equatable {
    public var layer: String
    public var value: Double
}
