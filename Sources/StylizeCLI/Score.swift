import ArgumentParser
import Foundation
import StyleTransfer

/// `stylize score IMAGE CONTENT STYLE...`: the Gatys objective of any image, with
/// a run's options, so results and settings can be compared on one scale:
///   L(x) = alpha L_content(x, content) + beta L_style(x, styles) + gamma L_TV(x)
/// at the size a run would optimise (longest side `--size`; 0 = the image's own),
/// with the content resampled to that size and each style scaled as a run scales
/// it at that size (longest side = size x style scale). One forward and backward
/// pass of the engine's TransferObjective; no loss code of its own.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the content, style and TV losses of an image against a content and style image(s).")

    @Argument(help: "Image to score (e.g. a result).")
    var image: String

    @Argument(help: "Content image.")
    var content: String

    @Argument(help: "Style image(s); several are blended as in a run (--style-blend).")
    var styles: [String]

    @Option(help: "Longest side the image is scored at, in pixels (0 = the image's own size).")
    var size = TransferOptions().size

    @Option(help: "Content loss weight.") var contentWeight = TransferOptions().contentWeight
    @Option(help: "Style loss weight.") var styleWeight = TransferOptions().styleWeight
    @Option(help: "Total variation weight.") var tvWeight = TransferOptions().tvWeight
    @Option(help: "Content layers with optional weights, e.g. relu4_2.") var contentLayers = "relu4_2"
    @Option(help: "Style layers with optional weights.") var styleLayers = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"
    @Option(help: "Style image size relative to the scored size, as in a run.") var styleScale = TransferOptions().styleScale
    @Option(help: "Blend weights of the style images, e.g. 0.7,0.3 (default: equal).") var styleBlend: String?
    @Option(help: "Pooling in the VGG network: max or avg.") var pooling = "max"
    @Option(help: "Model file (safetensors). Default: $STYLIZE_MODEL, then the installed VGG16.") var model: String?
    @Flag(help: "Print one JSON object instead of a line.") var json = false

    mutating func run() throws {
        try reportingErrors {
            guard !styles.isEmpty else { throw CLIError("no style image: give one after the content image") }
            guard size >= 0 else { throw CLIError("--size \(size) must be 0 (the image's own size) or more") }
            guard let poolingMode = PoolingMode(rawValue: pooling) else { throw CLIError("--pooling '\(pooling)' must be max or avg") }
            var o = TransferOptions()
            o.size = size
            (o.contentWeight, o.styleWeight, o.tvWeight, o.styleScale, o.pooling) = (contentWeight, styleWeight, tvWeight, styleScale, poolingMode)
            o.contentLayers = try LayerWeight.parseList(contentLayers, key: .contentLayers)
            o.styleLayers = try LayerWeight.parseList(styleLayers, key: .styleLayers)
            if let styleBlend {
                let values = styleBlend.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard values.count == styles.count else {
                    throw CLIError("--style-blend '\(styleBlend)' must be \(styles.count) comma-separated numbers")
                }
                o.styleBlend = values
            }
            let scored = try ImageFile.load(image).image, contentImage = try ImageFile.load(content).image
            let styleImages = try styles.map { try ImageFile.load($0).image }
            let network = FeatureNetwork(weights: try ModelLocator.load(model).0, pooling: poolingMode)
            try o.validate(network: network, styleCount: styleImages.count)

            let (w, h) = scored.size(longestSide: size == 0 ? max(scored.width, scored.height) : size)
            // As StyleTransfer.run scales the styles at a level of this size.
            let styleSide = max(1, Int((Double(max(w, h)) * styleScale).rounded()))
            let scaledStyles = styleImages.map { s in
                let t = s.size(longestSide: styleSide)
                return s.resized(width: t.width, height: t.height)
            }
            let objective = TransferObjective(network: network, width: w, height: h,
                                              content: contentImage.resized(width: w, height: h),
                                              styles: scaledStyles, options: o)
            let losses = objective.evaluate(scored.resized(width: w, height: h).pixels).0
            if json {
                let object: [String: Any] = ["width": w, "height": h, "content": losses.content, "style": losses.style,
                                             "tv": losses.tv, "total": losses.total]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(String(format: "%dx%d: loss %.6g (content %.6g, style %.6g, tv %.6g)",
                             w, h, losses.total, losses.content, losses.style, losses.tv))
            }
        }
    }
}
