import ArgumentParser
import Foundation
import StyleTransfer

/// `stylize score IMAGE CONTENT STYLE...`: the Gatys objective of any image, with
/// a run's options, so results and settings can be compared on one scale:
///   L(x) = alpha L_content(P x, P c) + beta L_style(P x, styles) + gamma L_TV(P x)
/// at the size a run would optimise (longest side `--size`; 0 = the image's own),
/// or where a run ends (`--output-size`), with the content c resampled to that
/// size, each style scaled as a run scales it at that level
/// (`TransferOptions.styleSize`), and P the reflected
/// margin a run sees around its picture (Controls/Margin.swift). This is the
/// engine's MirroredObjective, the function a run's last level minimises, so the
/// score of a result equals the run's logged loss (up to the 8-bit rounding of
/// the written file). One forward and backward pass, admitted by the memory plan.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the content, style and TV losses of an image against a content and style image(s).",
        discussion: "Give the options the image was made with (--size, weights, layers, --style-scale, --style-blend, "
            + "--pooling) to get the loss the run logged; --size 0 scores at the image's own size; --size N "
            + "--output-size 0 scores at the image's own size as a run composed at N and refined to it scales its styles.")

    @Argument(help: "Image to score (e.g. a result).")
    var image: String

    @Argument(help: "Content image.")
    var content: String

    @Argument(help: "Style image(s); several are blended as in a run (--style-blend).")
    var styles: [String]

    // The options of a run that change the objective, spelled and checked as there.
    @Option(name: .table(.size), parsing: .unconditional, help: .table(.size)) var size: Int?
    @Option(name: .table(.outputSize), parsing: .unconditional,
            help: ArgumentHelp("Score where a run with this --output-size ends (0 = the image's own size), each style "
                + "scaled as that run's last level scales it (up to the composition at --size, never enlarged past "
                + "its own size above it); default: at --size", valueName: "output-size"))
    var outputSize: Int?
    @Option(name: .table(.tvWeight), parsing: .unconditional, help: .table(.tvWeight)) var tvWeight: Double?
    @Option(name: .table(.pooling), help: .table(.pooling)) var pooling: String?
    @Option(name: .table(.maxMemory), help: .table(.maxMemory)) var maxMemory: String?
    @Option(name: .table(.model), help: .table(.model)) var model: String?
    @OptionGroup var loss: LossOptions

    @Flag(help: "Print one JSON object instead of a line.") var json = false

    /// The engine options of this score: a one-level, one-evaluation "run" at the
    /// scored size (Adam: the plan counts no L-BFGS history, which score never keeps).
    func transferOptions() throws -> TransferOptions {
        var o = TransferOptions()
        if let size { o.size = size }
        if let tvWeight { o.tvWeight = tvWeight }
        if let pooling { o.pooling = try OptionTable.choice(.pooling, pooling, in: OptionTable.poolings) }
        if let maxMemory { o.maxMemory = try OptionTable.bytes(.maxMemory, maxMemory) }
        try loss.apply(to: &o)
        (o.scales, o.iterations, o.levelIterations, o.optimizer) = (1, 1, nil, .adam)
        // One level at --size (0: the image's own), or a run's last level at --output-size.
        o.outputSize = outputSize ?? o.size
        try o.validate(styleCount: styles.count)
        return o
    }

    func validate() throws {
        guard !styles.isEmpty else { throw ValidationError("no style image: give one after the content image") }
        do { _ = try transferOptions() } catch let error as OptionError { throw ValidationError(error.description) }
    }

    mutating func run() throws {
        try reportingErrors {
            let o = try transferOptions(), styles = styles, image = image
            // Admission before decoding: the image rule on every header, then the memory
            // plan of one evaluation at the scored image's size (it is the canvas here).
            let scoredSize = try ImageFile.header(image), contentSize = try ImageFile.header(content)
            let styleSizes = try styles.map(ImageFile.header)
            try Admission.check(contentSize, name: content)
            let network = FeatureNetwork(weights: try ModelLocator.load(model).0, pooling: o.pooling)
            let plan: TransferPlan
            do {
                plan = try StyleTransfer(network: network).admit(content: scoredSize, styles: styleSizes, options: o,
                                                                 names: (image, { styles[$0] }))
            } catch TransferError.outOfMemory(let needed, let available) {
                // A run's advice (tiles) does not apply: a score is one whole evaluation.
                throw CLIError("\(image): scoring at --size \(o.size == 0 ? "0 (its own size)" : String(o.size)) needs about "
                    + "\(formatBytes(needed)) of memory, but only \(formatBytes(available)) can be had: lower --size")
            }
            let level = plan.levels[plan.levels.count - 1]
            // A score is the whole objective; tiles would be another function.
            if level.tile != nil {
                throw CLIError("\(image): scoring at \(level.width)x\(level.height) needs more than --max-memory "
                    + "\(maxMemory ?? ""), and a score cannot work in tiles: raise it or lower --size")
            }
            let (w, h) = (level.width, level.height)

            let scored = try ImageFile.load(image).image, contentImage = try ImageFile.load(content).image
            // As StyleTransfer.run decodes and scales the styles at a level of this size.
            let styleImages = try zip(styles, styleSizes).map { path, s in
                try ImageFile.load(path, maxSide: Admission.styleSide(content: scoredSize, style: s, options: o)).image
            }
            let scaledStyles = styleImages.map { s in
                let t = o.styleSize(s.imageSize, levelSide: max(w, h), canvas: scoredSize)
                return s.resized(width: t.width, height: t.height)
            }
            let objective = try MirroredObjective(network: network, width: w, height: h,
                                              content: contentImage.resized(width: w, height: h),
                                              styles: scaledStyles, options: o, styleCrop: level.styleCrop)
            let losses = objective.evaluate(scored.resized(width: w, height: h).pixels).0
            let (content, style) = objective.layerTerms
            if json {
                let layers = { (terms: [LayerTerm]) in terms.map { ["layer": $0.layer, "loss": $0.value] as [String: Any] } }
                let object: [String: Any] = ["width": w, "height": h, "content": losses.content, "style": losses.style,
                                             "tv": losses.tv, "total": losses.total,
                                             "content_layers": layers(content), "style_layers": layers(style)]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(String(format: "%dx%d: loss %.6g (content %.6g, style %.6g, tv %.6g)",
                             w, h, losses.total, losses.content, losses.style, losses.tv))
                // Which layers' statistics a picture misses: the terms summed above, one per layer.
                let line = { (terms: [LayerTerm]) in terms.map { "\($0.layer) " + String(format: "%.4g", $0.value) }.joined(separator: ", ") }
                if !content.isEmpty { print("  content by layer: " + line(content)) }
                if !style.isEmpty { print("  style by layer: " + line(style)) }
            }
        }
    }
}
