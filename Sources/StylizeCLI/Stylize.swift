import ArgumentParser
import Foundation
import StyleTransfer

@main
struct Stylize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Neural style transfer (Gatys, Ecker and Bethge) on the CPU.",
        discussion: "Run `stylize CONTENT STYLE -o OUT.png`; see `stylize help <subcommand>`.",
        version: "1.0.0",
        subcommands: [Transfer.self, Reconstruct.self, Texture.self, ModelCommand.self, Bench.self, Study.self],
        defaultSubcommand: Transfer.self
    )
}

/// Wraps a command body so every failure is one line on stderr and exit code 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as CLIError {
        FileHandle.standardError.write("stylize: \(error.description)\n".data(using: .utf8)!)
        throw ExitCode(1)
    }
}

struct Transfer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stylize a content image after one or more style images (the default command).")

    @Argument(help: "Content image (any format libvips reads).")
    var content: String

    @Argument(help: "Style image(s). More can be given with --style.")
    var styleImages: [String] = []

    @Option(name: .customLong("style"), help: "Another style image (repeatable).")
    var extraStyles: [String] = []

    @Option(help: "Blend weights of the style images, e.g. 0.7,0.3 (default: equal).")
    var styleBlend: String?

    @Option(help: "Style image size relative to the optimisation size (brush-stroke size).")
    var styleScale = 1.0

    @Option(help: "Keep the content's colours: none, luminance (transfer luminance only) or histogram (match the style's colours to the content first).")
    var preserveColors = PreserveColors.none

    @Option(help: "Mask image: white = stylize, black = keep the content, grey blends (resized to the content).")
    var mask: String?

    @Option(help: "Content loss weight.")
    var contentWeight = 1.0

    @Option(help: "Style loss weight.")
    var styleWeight = TransferOptions().styleWeight

    @Option(help: "Content layers with optional weights, e.g. relu4_2 or relu3_2:0.5,relu4_2.")
    var contentLayers = "relu4_2"

    @Option(help: "Style layers with optional weights.")
    var styleLayers = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"

    @Option(name: .customLong("init"), help: "Start from: content, noise or style.")
    var initialization: InitChoice = .content

    @Option(help: "Start from this image instead (resized to the content).")
    var initImage: String?

    @OptionGroup var common: OptimizationOptions

    mutating func run() throws {
        try reportingErrors {
            let stylePaths = styleImages + extraStyles
            guard !stylePaths.isEmpty else { throw CLIError("no style image: give one after the content image or with --style") }
            let contentFile = try ImageFile.load(content)
            let styles = try stylePaths.map(ImageFile.load)
            var o = common.transferOptions()
            o.contentWeight = contentWeight
            o.styleWeight = styleWeight
            o.styleScale = styleScale
            o.preserveColors = preserveColors
            if let mask { o.mask = Mask(image: try ImageFile.load(mask).image) }
            o.contentLayers = try parseLayers(contentLayers, option: "--content-layers")
            o.styleLayers = try parseLayers(styleLayers, option: "--style-layers")
            switch initialization {
            case .content: o.initialization = .content
            case .noise: o.initialization = .noise
            case .style: o.initialization = .style
            }
            if let initImage { o.initialization = .image(try ImageFile.load(initImage).image) }
            if let styleBlend {
                let values = styleBlend.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard values.allSatisfy({ $0 != nil }) else { throw CLIError("--style-blend '\(styleBlend)' is not a comma list of numbers") }
                o.styleBlend = values.map { $0! }
            }
            try runAndSave(content: contentFile, styles: styles, inputPaths: [content] + stylePaths + [mask].compactMap { $0 }, options: o,
                           common: common, outputTemplate: contentFile)
        }
    }
}

struct Reconstruct: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reconstruct an image from one layer's features, starting from noise (content loss only).")

    @Argument(help: "Image whose features are matched.")
    var content: String

    @Option(help: "Layer(s) whose features are matched, e.g. relu4_2.")
    var layer = "relu4_2"

    @OptionGroup var common: OptimizationOptions

    mutating func run() throws {
        try reportingErrors {
            let file = try ImageFile.load(content)
            var o = common.transferOptions()
            o.contentLayers = try parseLayers(layer, option: "--layer")
            o.styleLayers = []
            o.styleWeight = 0
            o.initialization = .noise
            try runAndSave(content: file, styles: [], inputPaths: [content], options: o, common: common, outputTemplate: file)
        }
    }
}

struct Texture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Synthesise a texture from a style image's Gram matrices, starting from noise (style loss only).")

    @Argument(help: "Style (texture) image.")
    var style: String

    @Option(help: "Style layers with optional weights.")
    var layers = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"

    @Option(help: "Style loss weight.")
    var styleWeight = TransferOptions().styleWeight

    @OptionGroup var common: OptimizationOptions

    mutating func run() throws {
        try reportingErrors {
            let file = try ImageFile.load(style)
            var o = common.transferOptions()
            o.styleLayers = try parseLayers(layers, option: "--layers")
            o.contentLayers = []
            o.styleWeight = styleWeight
            o.initialization = .noise
            var template = file
            template.alpha = nil
            try runAndSave(content: nil, styles: [file], inputPaths: [style], options: o, common: common, outputTemplate: template)
        }
    }
}
