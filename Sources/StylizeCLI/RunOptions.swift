import ArgumentParser
import Foundation
import StyleTransfer

// Every engine option's flag, aliases, help, range and default come from the
// engine's OptionTable; a flag left out keeps the table's default (nil here).
// Values are checked by the engine's one validator, never here.

extension NameSpecification {
    /// The option's long flag and its aliases (jcjohnson/neural-style's spellings).
    static func table(_ key: OptionKey) -> NameSpecification {
        let spec = OptionTable[key]
        return NameSpecification(([spec.cli] + spec.cliAliases).map { Element.customLong($0) })
    }
}

extension ArgumentHelp {
    static func table(_ key: OptionKey) -> ArgumentHelp { ArgumentHelp(OptionTable[key].fullHelp) }
}

/// Options shared by every command that optimises an image.
struct OptimizationOptions: ParsableArguments {
    // `.unconditional`: "--size -1" is the number -1 (and gets its range message), not a missing value.
    @Option(name: .table(.size), parsing: .unconditional, help: .table(.size)) var size: Int?
    @Option(name: .table(.outputSize), parsing: .unconditional, help: .table(.outputSize)) var outputSize: Int?
    @Option(name: .table(.iterations), parsing: .unconditional, help: .table(.iterations)) var iterations: Int?
    // Text: "3m", "90s", "1.5h" or seconds.
    @Option(name: .table(.timeLimit), parsing: .unconditional, help: .table(.timeLimit)) var timeLimit: String?
    @Option(name: .table(.optimizer), help: .table(.optimizer)) var optimizer: String?
    @Option(name: .table(.learningRate), parsing: .unconditional, help: .table(.learningRate)) var learningRate: Double?
    @Option(name: .table(.pooling), help: .table(.pooling)) var pooling: String?
    // Text, so that -1 or 2^64 get the range message rather than a parse error.
    @Option(name: .table(.seed), parsing: .unconditional, help: .table(.seed)) var seed: String?
    @Option(name: .table(.tvWeight), parsing: .unconditional, help: .table(.tvWeight)) var tvWeight: Double?
    @Option(name: .table(.scales), parsing: .unconditional, help: .table(.scales)) var scales: Int?
    @Option(name: .table(.scaleIterations), help: .table(.scaleIterations)) var scaleIterations: String?
    @Option(name: .table(.maxMemory), help: .table(.maxMemory)) var maxMemory: String?
    @Option(name: .table(.model), help: .table(.model)) var model: String?

    @Option(name: [.customShort("o"), .customLong("output"), .customLong("output-image")],
            help: "Output image; the format follows the extension (vips options such as out.jpg[Q=95] allowed).")
    var output: String

    @Option(name: [.customLong("save-every"), .customLong("save-iter")], parsing: .unconditional,
            help: "Save the image every N iterations as OUTPUT-<iteration>.<ext>.")
    var saveEvery: Int?

    @Option(name: [.customLong("print-every"), .customLong("print-iter")], parsing: .unconditional,
            help: "Print losses every N iterations (when stderr is not a terminal).")
    var printEvery = 10

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @Option(help: "Write per-iteration losses and elapsed seconds as JSON to this file.")
    var log: String?

    func validate() throws {
        if let n = saveEvery, n < 1 { throw ValidationError("--save-every: \(n) is out of range (1 or more)") }
        if printEvery < 1 { throw ValidationError("--print-every: \(printEvery) is out of range (1 or more)") }
    }

    /// The engine options these flags set; content/style specifics are added by each command.
    func transferOptions() throws -> TransferOptions {
        var o = TransferOptions()
        if let size { o.size = size }
        if let outputSize { o.outputSize = outputSize }
        if let iterations { o.iterations = iterations }
        if let timeLimit { o.timeLimit = try OptionTable.seconds(.timeLimit, timeLimit) }
        if let optimizer { o.optimizer = try OptionTable.choice(.optimizer, optimizer, in: OptionTable.optimizers) }
        if let learningRate { o.learningRate = learningRate }
        if let pooling { o.pooling = try OptionTable.choice(.pooling, pooling, in: OptionTable.poolings) }
        if let seed {
            guard let value = UInt64(seed) else {
                guard let number = Double(seed), number == number.rounded() else { throw OptionError(.seed, "'\(seed)' is not a whole number") }
                throw OptionError(.seed, OptionTable[.seed].problem(number) ?? "\(seed) is out of range (\(OptionTable[.seed].rangeText))")
            }
            o.seed = value
        }
        if let tvWeight { o.tvWeight = tvWeight }
        if let scales { o.scales = scales }
        if let scaleIterations {
            let levels = try OptionTable.numbers(.scaleIterations, scaleIterations)
            guard levels.allSatisfy({ $0 == $0.rounded() }) else {
                throw OptionError(.scaleIterations, "'\(scaleIterations)' must be whole numbers")
            }
            o.levelIterations = levels.map { Int($0) }
            o.iterations = o.levelIterations!.reduce(0, +)
        }
        if let maxMemory { o.maxMemory = try OptionTable.bytes(.maxMemory, maxMemory) }
        return o
    }

    /// The files a run writes besides the output: the log and the snapshots.
    func writtenPaths(total: Int) -> [String] {
        var paths = [output] + [log].compactMap { $0 }
        if let n = saveEvery {
            paths += stride(from: n, to: total, by: n).map { snapshotPath(output, iteration: $0) }
        }
        return paths
    }
}

/// OUTPUT-<iteration>.<ext> beside the output (vips save options kept).
func snapshotPath(_ output: String, iteration: Int) -> String {
    let (file, saveOptions) = splitSaveOptions(output)
    let url = URL(fileURLWithPath: file)
    let name = url.deletingPathExtension().lastPathComponent + "-\(iteration)." + url.pathExtension
    let directory = (file as NSString).deletingLastPathComponent
    return (directory.isEmpty ? name : directory + "/" + name) + saveOptions
}

/// "out.jpg[Q=95]" -> ("out.jpg", "[Q=95]"): vips save options after the file name.
func splitSaveOptions(_ path: String) -> (String, String) {
    guard path.hasSuffix("]"), let open = path.lastIndex(of: "["), open != path.startIndex else { return (path, "") }
    return (String(path[..<open]), String(path[open...]))
}

/// Loads the model, admits the run (options, image headers, memory) before
/// decoding anything, runs the engine with progress, writes the result (and
/// snapshots and the JSON log) for any of the optimising commands.
/// `others` are further input images (mask, init image), which `configure`
/// loads into the options, decoded no larger than the content.
func runAndSave(content: String?, styles: [String], others: [String] = [], options: TransferOptions,
                common: OptimizationOptions,
                configure: (inout TransferOptions, _ load: (String) throws -> ImageFile) throws -> Void = { _, _ in }) throws {
    let began = Date()  // a time limit counts the whole command
    let inputs = [content].compactMap { $0 } + styles + others + [common.model].compactMap { $0 }
    try checkWrittenPaths(common.writtenPaths(total: options.iterations), inputs: inputs)
    // The image rule on every header before the model is read or anything decoded.
    let fileSize = try content.map(ImageFile.header)
    let styleSizes = try styles.map(ImageFile.header)
    for (path, size) in zip([content].compactMap { $0 } + styles, [fileSize].compactMap { $0 } + styleSizes) {
        try Admission.check(size, name: path)
    }
    let contentSize = fileSize  // the result has the content's size, as at every door
    for path in others { try Admission.check(try ImageFile.header(path), name: path) }

    let engine = StyleTransfer(weights: try ModelLocator.load(common.model).0)  // the engine keeps its own layouts
    AddressSpace.prepareForLimit()  // before admission measures what is mapped
    let names: (content: String, style: (Int) -> String) = (content ?? "", { styles[$0] })
    // --output-size plans the last level; the result is resampled to the content's size.
    let plan = try engine.admit(content: fileSize, styles: styleSizes, options: options, names: names)
    if !common.quiet { FileHandle.standardError.write("\(plan)\n".data(using: .utf8)!) }

    // Decode: the content whole, styles only as large as the run uses them.
    let contentFile = try content.map { try ImageFile.load($0) }
    let styleFiles = try zip(styles, styleSizes).map { path, size in
        try ImageFile.load(path, maxSide: Admission.styleSide(content: contentSize, style: size, options: options))
    }
    var options = options
    let shrinkTo = contentSize.map { max($0.width, $0.height) }
    try configure(&options) { try ImageFile.load($0, maxSide: shrinkTo) }

    var template = contentFile ?? styleFiles[0]
    if contentFile == nil { template.alpha = nil }
    let reporter = ProgressReporter(quiet: common.quiet, printEvery: common.printEvery, logPath: common.log)
    // From here the first Ctrl-C lets the iteration finish, then the run stops and
    // its current picture is saved as the result (Signals.swift).
    Interrupt.install()
    Interrupt.deferFirst(true)
    defer { Interrupt.deferFirst(false) }
    var last: TransferProgress?
    var out = template
    options.countTimeLimit(from: began)
    do {
        out.image = try engine.run(content: contentFile?.image, styles: styleFiles.map(\.image), options: options) { p in
            reporter.report(p)
            last = p
            if let n = common.saveEvery, p.iteration > 0, p.iteration % n == 0, p.iteration < p.total {
                // Snapshots are best effort: a failed write must not stop the run.
                _ = try? reporter.current(p, template: template).save(snapshotPath(common.output, iteration: p.iteration))
            }
            // The last iteration's picture is the finished run's: let the engine finish it.
            return !Interrupt.requested || p.iteration == p.total
        }
    } catch TransferError.cancelled {
        guard let last, last.iteration > 0 else {
            reporter.finish()
            FileHandle.standardError.write("stylize: interrupted before the first iteration; nothing written\n".data(using: .utf8)!)
            Interrupt.exit()
        }
        out = reporter.current(last, template: template)
    }
    reporter.finish()
    try out.save(common.output)
    try reporter.writeLog()
    if Interrupt.requested, let last {
        FileHandle.standardError.write(("stylize: interrupted at iteration \(last.iteration) of \(last.total); "
            + "wrote the current result to \(common.output)\n").data(using: .utf8)!)
        Interrupt.exit()
    }
}

extension TransferOptions {
    /// A time limit counts the whole command (or batch item) from `start`:
    /// what the engine gets is what is left of it.
    mutating func countTimeLimit(from start: Date) {
        if timeLimit > 0 { timeLimit = max(1, timeLimit - Date().timeIntervalSince(start)) }
    }
}

/// Temporary file beside the target, then rename: readers never see half a
/// file, and a signal or failure leaves no temporary file behind.
func writeAtomically(_ data: Data, to path: String) throws {
    let temp = path + ".tmp-\(getpid())"
    TempFiles.register(temp)
    defer { TempFiles.unregister() }
    // Plain open/write/close, not Foundation's createFile: that writes a second,
    // unregistered temporary file of its own, which a signal would leave behind.
    let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw CLIError("\(path): cannot write (\(String(cString: strerror(errno))))") }
    var failure: Int32 = 0
    data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { failure = n < 0 ? errno : ENOSPC; return }
            offset += n
        }
    }
    if close(fd) != 0 && failure == 0 { failure = errno }  // a full disk may show only here
    guard failure == 0 else {
        unlink(temp)
        throw CLIError("\(path): cannot write (\(String(cString: strerror(failure))))")
    }
    guard rename(temp, path) == 0 else {
        unlink(temp)
        throw CLIError("\(path): cannot move into place")
    }
}

/// Why no file can be made in `folder`, or nil when one can: a file is made
/// and removed there (as root, access() says yes even where nothing can be made, /proc).
func unwritableFolder(_ folder: String) -> String? {
    let probe = folder + "/.stylize-probe-\(getpid())"
    let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else { return String(cString: strerror(errno)) }
    close(fd)
    unlink(probe)
    return nil
}

/// Every file a run writes: not one of its inputs (by the same resolution:
/// symlinks, `./`, `..`), in an existing writable folder, not a folder, and
/// (for images) in a format libvips can write. Checked before any work.
func checkWrittenPaths(_ written: [String], inputs: [String], image: Bool = true) throws {
    let resolved = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
    let inputSet = Dictionary(inputs.map { (resolved($0), $0) }, uniquingKeysWith: { a, _ in a })
    for (index, path) in written.enumerated() {
        let file = index == 0 || path.hasSuffix("]") ? splitSaveOptions(path).0 : path
        let target = resolved(file)
        if let input = inputSet[target] {
            throw CLIError("\(path): would overwrite the input \(input); choose another file")
        }
        if written[..<index].contains(where: { resolved(splitSaveOptions($0).0) == target }) {
            throw CLIError("\(path): written twice by this run; choose different files")
        }
        var isDirectory: ObjCBool = false
        let dir = URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("\(path): folder \(dir) does not exist")
        }
        if let problem = unwritableFolder(dir) { throw CLIError("\(path): cannot write in folder \(dir) (\(problem))") }
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CLIError("\(path): is a folder")
        }
    }
    if image { try ImageFile.checkSavable(written[0]) }  // snapshots share the output's format
}
