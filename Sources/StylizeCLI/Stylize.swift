import ArgumentParser
import Foundation
import StyleTransfer

@main
struct Stylize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Neural style transfer (Gatys, Ecker and Bethge) on the CPU.",
        discussion: "Run `stylize CONTENT STYLE -o OUT.png`; see `stylize help <subcommand>`.",
        version: stylizeVersion.description,
        subcommands: [Transfer.self, Reconstruct.self, Texture.self, Score.self, OptionsCommand.self, ModelCommand.self, Bench.self, Study.self, Batch.self, Video.self],
        defaultSubcommand: Transfer.self
    )
}

extension Stylize {
    /// Parses and runs with the error contract of README.md: a usage error is
    /// one line with a pointer to `stylize help <command>` and exit code 2; a
    /// run failure is one line `stylize: <what>: <why>` and exit code 1.
    static func main() {
        // OpenBLAS's Prescott fallback on a CPU it does not know: start again with the core that fits.
        BLASCore.restartProcess(arguments: CommandLine.unsafeArgv)
        let arguments = Array(CommandLine.arguments.dropFirst())
        let command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }  // --help, --version
            usageError(message(for: error), arguments: arguments)
        }
        do {
            var command = command
            try command.run()
        } catch let error as OptionError {
            usageError(error.description, arguments: arguments)
        } catch {
            exit(withError: error)
        }
    }

    static let usageExitCode: Int32 = 2

    static func usageError(_ message: String, arguments: [String]) -> Never {
        let line = message.split(separator: "\n").first.map(String.init) ?? "invalid arguments"
        let names = configuration.subcommands.map { $0._commandName }
        let command = arguments.first(where: names.contains) ?? "transfer"
        let text = line.replacingOccurrences(of: "Error: ", with: "")
        FileHandle.standardError.write("stylize: \(text) (see 'stylize help \(command)')\n".data(using: .utf8)!)
        Foundation.exit(usageExitCode)
    }
}

/// Wraps a command body so every failure is one line on stderr and exit code 1
/// (a bad option value, found late, is a usage error: `Stylize.main` prints it).
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as OptionError {
        throw error
    } catch let error as TransferError {
        FileHandle.standardError.write("stylize: \(error.description)\n".data(using: .utf8)!)
        throw ExitCode(1)
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

    @Option(name: [.customLong("style"), .customLong("style-image")], help: "Another style image (repeatable; a comma list is split).")
    var extraStyles: [String] = []

    @OptionGroup var loss: LossOptions
    @Option(name: .table(.preserveColors), help: .table(.preserveColors)) var preserveColors: String?
    @Option(name: .customLong("original-colors"), help: "jcjohnson/neural-style's spelling: 1 = --preserve-colors luminance, 0 = none.")
    var originalColors: Int?
    @Option(name: .table(.mask), help: .table(.mask)) var mask: String?
    @Option(name: .table(.initialization), help: ArgumentHelp(OptionTable[.initialization].fullHelp + "; 'random' = noise, 'image' = --init-image"))
    var initialization: String?
    @Option(name: .table(.initImage), help: .table(.initImage)) var initImage: String?
    // The engine's video-frame input with a caller's own flow (`stylize video` computes its own).
    @Option(name: .table(.temporalWeight), parsing: .unconditional, help: .table(.temporalWeight)) var temporalWeight: Double?
    @Option(help: "Temporal target: the previous stylized frame warped into this one (with --temporal-weight; Ruder et al.).")
    var temporalTarget: String?
    @Option(help: "Where the temporal target is trusted: white = weight 1, black = 0 (default: everywhere).")
    var temporalMask: String?

    @OptionGroup var common: OptimizationOptions

    var stylePaths: [String] {
        (styleImages + extraStyles.flatMap { $0.split(separator: ",").map(String.init) })
    }

    /// Every engine option of this command, checked by the engine (all but the
    /// layer names, which need the model).
    func transferOptions() throws -> TransferOptions {
        var o = try common.transferOptions()
        try loss.apply(to: &o)
        if let originalColors {
            guard originalColors == 0 || originalColors == 1 else {
                throw OptionError(.preserveColors, "--original-colors takes 0 or 1, not \(originalColors)")
            }
            o.preserveColors = originalColors == 1 ? .luminance : .none
        }
        if let preserveColors {
            o.preserveColors = try OptionTable.choice(.preserveColors, preserveColors, in: OptionTable.colorModes)
        }
        switch initialization?.lowercased() {
        case nil: break
        case "random": o.initialization = .noise
        case "image":
            guard initImage != nil else { throw OptionError(.initialization, "'image' needs --init-image FILE") }
        case let name?: o.initialization = try OptionTable.choice(.initialization, name, in: OptionTable.initializations)
        }
        if let temporalWeight { o.temporalWeight = temporalWeight }
        if temporalMask != nil && temporalTarget == nil { throw OptionError(.temporalWeight, "--temporal-mask needs --temporal-target FILE") }
        try o.validate(styleCount: stylePaths.count)
        return o
    }

    func validate() throws {
        guard !stylePaths.isEmpty else { throw ValidationError("no style image: give one after the content image or with --style") }
        do { _ = try transferOptions() } catch let error as OptionError { throw ValidationError(error.description) }
    }

    mutating func run() throws {
        noteSeveralStyles()
        try reportingErrors {
            try runAndSave(content: content, styles: stylePaths,
                           others: [mask, initImage, temporalTarget, temporalMask].compactMap { $0 },
                           options: try transferOptions(), common: common) { o, load in
                if let mask { o.mask = Mask(image: try load(mask).image) }
                if let initImage { o.initialization = .image(try load(initImage).image) }
                if let temporalTarget {
                    let target = try load(temporalTarget).image
                    let weight = try temporalMask.map { Mask(image: try load($0).image).resized(width: target.width, height: target.height) }
                    o.temporal = TemporalTarget(target: target, weight: weight
                        ?? Mask(width: target.width, height: target.height, values: [Float](repeating: 1, count: target.width * target.height)))
                }
            }
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

    func transferOptions() throws -> TransferOptions {
        var o = try common.transferOptions()
        o.contentLayers = try LayerWeight.parseList(layer, key: .contentLayers)
        o.styleLayers = []
        o.styleWeight = 0
        o.initialization = .noise
        try o.validate(styleCount: 0)
        return o
    }

    func validate() throws {
        do { _ = try transferOptions() } catch let error as OptionError { throw ValidationError(error.description) }
    }

    mutating func run() throws {
        try reportingErrors {
            try runAndSave(content: content, styles: [], options: try transferOptions(), common: common)
        }
    }
}

struct Texture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Synthesise a texture from a style image's Gram matrices, starting from noise (style loss only).")

    @Argument(help: "Style (texture) image.")
    var style: String

    @Option(help: "Style layers with optional weights.")
    var layers = OptionTable[.styleLayers].defaultText

    @Option(name: .table(.styleWeight), parsing: .unconditional, help: .table(.styleWeight)) var styleWeight: Double?

    @OptionGroup var common: OptimizationOptions

    func transferOptions() throws -> TransferOptions {
        var o = try common.transferOptions()
        o.styleLayers = try LayerWeight.parseList(layers, key: .styleLayers)
        o.contentLayers = []
        if let styleWeight { o.styleWeight = styleWeight }
        o.initialization = .noise
        try o.validate(styleCount: 1)
        return o
    }

    func validate() throws {
        do { _ = try transferOptions() } catch let error as OptionError { throw ValidationError(error.description) }
    }

    mutating func run() throws {
        try reportingErrors {
            try runAndSave(content: nil, styles: [style], options: try transferOptions(), common: common)
        }
    }
}
