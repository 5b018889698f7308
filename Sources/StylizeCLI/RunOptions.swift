import ArgumentParser
import Foundation
import StyleTransfer

extension PoolingMode: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension PreserveColors: ExpressibleByArgument {}

enum InitChoice: String, ExpressibleByArgument, CaseIterable {
    case content, noise, style
}

/// Options shared by every command that optimises an image.
struct OptimizationOptions: ParsableArguments {
    @Option(help: "Longest side the optimisation runs at, in pixels (0 = the input's size). The result is resampled to the content's size.")
    var size = 512

    @Option(help: "Optimiser steps.")
    var iterations = 300

    @Option(help: "Optimiser: lbfgs (with a line search) or adam.")
    var optimizer = OptimizerKind.lbfgs

    @Option(help: "Adam step size in pixel levels (0-255).")
    var learningRate = 2.0

    @Option(help: "Pooling in the VGG network: max or avg.")
    var pooling = PoolingMode.max

    @Option(help: "Seed for noise initialisation; same inputs and seed give identical output.")
    var seed: UInt64 = 0

    @Option(help: "Total variation weight (smoothness).")
    var tvWeight = TransferOptions().tvWeight

    @Option(help: "Coarse-to-fine levels, each twice the size of the one before (1 = optimise at full size only). Levels under 64 px are skipped.")
    var scales = TransferOptions().scales

    @Option(help: "Iterations per level, coarsest first, e.g. 100,100,100 (sets --scales; default: --iterations split equally).")
    var scaleIterations: String?

    @Option(help: "Memory budget, e.g. 2G or 800M; levels that would not fit are optimised in overlapping tiles.")
    var maxMemory: String?

    @Option(help: "Model file (safetensors). Default: $STYLIZE_MODEL, then the installed VGG16.")
    var model: String?

    @Option(name: .shortAndLong, help: "Output image; the format follows the extension.")
    var output: String

    @Option(help: "Save the image every N iterations as OUTPUT-<iteration>.<ext>.")
    var saveEvery: Int?

    @Option(help: "Print losses every N iterations (when stderr is not a terminal).")
    var printEvery = 10

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @Option(help: "Write per-iteration losses and elapsed seconds as JSON to this file.")
    var log: String?

    func validate() throws {
        if let n = saveEvery, n < 1 { throw ValidationError("--save-every \(n) must be at least 1") }
        if printEvery < 1 { throw ValidationError("--print-every \(printEvery) must be at least 1") }
        if iterations < 1 { throw ValidationError("--iterations \(iterations) must be at least 1") }
        if scales < 1 || scales > 8 { throw ValidationError("--scales \(scales) must be 1...8") }
        _ = try levelIterations()
        if let maxMemory, parseByteCount(maxMemory) == nil {
            throw ValidationError("--max-memory '\(maxMemory)' is not a size such as 2G, 512M or a byte count")
        }
    }

    func levelIterations() throws -> [Int]? {
        guard let scaleIterations else { return nil }
        let values = scaleIterations.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.count <= 8, values.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--scale-iterations '\(scaleIterations)' must be 1 to 8 comma-separated counts >= 1")
        }
        return values.map { $0! }
    }

    /// The engine options these flags set; content/style specifics are added by each command.
    func transferOptions() -> TransferOptions {
        var o = TransferOptions()
        o.size = size
        o.iterations = iterations
        o.optimizer = optimizer
        o.learningRate = learningRate
        o.pooling = pooling
        o.seed = seed
        o.tvWeight = tvWeight
        o.scales = scales
        if let levels = try? levelIterations() {
            o.levelIterations = levels
            o.iterations = levels.reduce(0, +)
        }
        o.maxMemory = maxMemory.flatMap(parseByteCount)
        return o
    }
}

func parseLayers(_ text: String, option: String) throws -> [LayerWeight] {
    do { return try LayerWeight.parseList(text) } catch { throw CLIError("\(option): \(error)") }
}

/// Loads the model, runs the engine with progress, writes the result (and
/// intermediate images and the JSON log) for any of the optimising commands.
func runAndSave(content: ImageFile?, styles: [ImageFile], inputPaths: [String], options: TransferOptions,
                common: OptimizationOptions, outputTemplate: ImageFile) throws {
    try checkOutputPath(common.output, inputs: inputPaths)
    let engine = StyleTransfer(weights: try ModelLocator.load(common.model).0)  // the engine keeps its own layouts
    let reporter = ProgressReporter(quiet: common.quiet, printEvery: common.printEvery, logPath: common.log)
    do {
        let plan = try engine.plan(content: content?.image, styles: styles.map(\.image), options: options)
        if !common.quiet { FileHandle.standardError.write("\(plan)\n".data(using: .utf8)!) }
    } catch let error as TransferError {
        throw CLIError(error.description)
    }
    var result: Image
    do {
        result = try engine.run(content: content?.image, styles: styles.map(\.image), options: options) { p in
            reporter.report(p)
            if let n = common.saveEvery, p.iteration > 0, p.iteration % n == 0, p.iteration < p.total {
                // Intermediate images are best effort: a failed write must not stop the run.
                _ = try? reporter.saveIntermediate(p, template: outputTemplate, path: common.output)
            }
            return true
        }
    } catch let error as TransferError {
        throw CLIError(error.description)
    }
    reporter.finish()
    var out = outputTemplate
    out.image = result
    try out.save(common.output)
    try reporter.writeLog()
}

/// Temporary file beside the target, then rename: readers never see half a file.
func writeAtomically(_ data: Data, to path: String) throws {
    let temp = path + ".tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: temp, contents: data) else { throw CLIError("\(path): cannot write") }
    guard rename(temp, path) == 0 else {
        unlink(temp)
        throw CLIError("\(path): cannot move into place")
    }
}

/// Refuses to write over an input file or into a missing directory.
func checkOutputPath(_ output: String, inputs: [String]) throws {
    let url = URL(fileURLWithPath: output).standardizedFileURL
    for input in inputs where URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath()
        == url.resolvingSymlinksInPath() {
        throw CLIError("\(output): output would overwrite the input image; choose another -o")
    }
    var isDirectory: ObjCBool = false
    let dir = url.deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw CLIError("\(output): directory \(dir) does not exist")
    }
    guard FileManager.default.isWritableFile(atPath: dir) else {
        throw CLIError("\(output): directory \(dir) is not writable")
    }
    if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), isDirectory.boolValue {
        throw CLIError("\(output): is a directory")
    }
    guard url.pathExtension.count > 0 else {
        throw CLIError("\(output): no file extension to choose the format (use .png, .jpg, .tif, ...)")
    }
}
