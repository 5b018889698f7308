import ArgumentParser
import Foundation
import ModelStore
import StyleTransfer

/// `stylize batch`: every content after every style (or the items of a
/// manifest) into one folder. Each item is read by transfer's own parser, so
/// every option of `stylize transfer` applies, with its checks; the model is
/// loaded once; items run side by side as far as cores and the memory plan
/// allow; an item whose output and record match is skipped (resume); a failed
/// item is reported and the rest go on; `--shard K/N` takes every N-th item.
struct Batch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stylize many contents after one or more styles into a folder (resumable, shardable).",
        discussion: """
            Items: every CONTENT (file, folder of images, or glob) after every --style, then the lines of each \
            --manifest ("CONTENT STYLE [options of stylize transfer]", paths relative to the manifest). Any \
            option of `stylize transfer` (see `stylize help transfer`) applies to every item; a manifest line's \
            options override it for that item. Each output gets a record OUTPUT.stylize.json; an item whose \
            output and record match its inputs and options is skipped, so rerunning a stopped batch continues it.
            """)

    @Option(name: [.customLong("style"), .customLong("style-image")], help: "Style image, folder or glob (repeatable): every content is stylized after each.")
    var styles: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output folder (made if missing).")
    var output: String

    @Option(help: "Output file name: {content}, {style} (names without extension), {index} (place in the batch); the extension chooses the format, vips options allowed.")
    var name = "{content}_{style}.png"

    @Option(help: "File of items, one a line: CONTENT STYLE [options] (repeatable).")
    var manifest: [String] = []

    @Option(help: "Take part K of N (K from 0 to N-1; items whose place in the batch modulo N is K), e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT.")
    var shard: String?

    @Option(help: "Items run at a time (default: all cores for outputs up to \(BatchRunner.parallelSide) px, else 1; fewer when the memory plan says so).")
    var jobs: Int?

    @Option(help: "Engine threads per item (default: all cores, at most 8). Results are identical for equal thread counts.")
    var threads: Int?

    @Flag(help: "Make every item again, even those whose record matches.")
    var redo = false

    @Flag(help: "List each item as 'make' or 'skip' with its output and inputs; run nothing.")
    var dryRun = false

    @Flag(help: "Print nothing but failures and the summary.")
    var quiet = false

    @Argument(parsing: .allUnrecognized, help: "Content images, folders or globs, and options of `stylize transfer`.")
    var words: [String] = []

    func validate() throws {
        _ = try shardParts()
        if let jobs, jobs < 1 { throw ValidationError("--jobs: \(jobs) is out of range (1 or more)") }
        if let threads, threads < 1 { throw ValidationError("--threads: \(threads) is out of range (1 or more)") }
        do { _ = try NamePattern(name) } catch let error as CLIError { throw ValidationError(error.description) }
    }

    /// (K, N) of `--shard K/N`; (0, 1) without it.
    func shardParts() throws -> (Int, Int) {
        guard let shard else { return (0, 1) }
        let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 0, k < n else {
            throw ValidationError("--shard: '\(shard)' is not K/N with 0 <= K < N (e.g. 0/4 ... 3/4; sbatch --array=0-3)")
        }
        return (k, n)
    }

    mutating func run() throws {
        if let threads { setEngineThreads(threads) }
        let items = buildItems()
        let (k, n) = try shardParts()
        let mine = items.filter { $0.index % n == k }
        try reportingErrors {
            try prepareOutputs(items)
            let runner = BatchRunner(items: mine, total: items.count, shard: n > 1 ? (k, n) : nil,
                                     jobs: jobs, redo: redo, quiet: quiet)
            let failed = dryRun ? try runner.list() : try runner.run()
            if failed > 0 { throw ExitCode(1) }
        }
    }

    /// A usage error (exit 2) before any work: one line naming where.
    func usage(_ message: String) -> Never {
        Stylize.usageError(message, arguments: Array(CommandLine.arguments.dropFirst()))
    }

    /// Every item of the whole batch (all shards), each parsed and checked by
    /// transfer's parser. Any bad option, manifest line or name clash stops the
    /// batch before work, naming where it is.
    func buildItems() -> [BatchItem] {
        let table = TransferWords.transfer
        struct Spec { var content: String; var styles: [String]; var words: [String]; var origin: String }
        var specs: [Spec] = []
        let global: [TransferWords.Option]
        do {
            let (options, contentSpecs) = try table.split(words)
            global = options
            for option in options where ["log", "save-every", "output"].contains(option.entry.primary) {
                usage("\(option.words[0]): not in batch (outputs are named by --name and -o is their folder; each gets a record)")
            }
            let contents = try contentSpecs.flatMap { try BatchInputs.expand($0) }
            let styleList = try styles.flatMap { try BatchInputs.expand($0) }
            if !contents.isEmpty && styleList.isEmpty { usage("no style image: give --style FILE, FOLDER or GLOB") }
            if contents.isEmpty && manifest.isEmpty {
                usage("no content image: give files, folders or globs\(styles.isEmpty ? "" : " before --style"), or --manifest FILE")
            }
            if !styleList.isEmpty && contents.isEmpty { usage("--style is given but no content image") }
            for c in contents {
                for s in styleList { specs.append(Spec(content: c, styles: [s], words: [], origin: "\(c) x \(s)")) }
            }
            for file in manifest {
                let base = (file as NSString).deletingLastPathComponent
                for line in try BatchInputs.manifest(file) {
                    let place = "\(file):\(line.number)"
                    guard line.words.count >= 2 else { usage("\(place): give a content and a style image, then options") }
                    let split: (options: [TransferWords.Option], files: [String])
                    do { split = try table.split(Array(line.words.dropFirst(2))) } catch { usage("\(place): \(error)") }
                    let (options, files) = split
                    for option in options where ["log", "save-every", "output"].contains(option.entry.primary) {
                        usage("\(place): \(option.words[0]) is not an item option (outputs are named by --name)")
                    }
                    // File-valued options and further styles are relative to the manifest, like its images.
                    let rebased = options.flatMap { o -> [String] in
                        guard TransferWords.fileValued.contains(o.entry.primary), let value = o.value else { return o.words }
                        return ["--\(o.entry.primary)=\(value.hasPrefix("/") || base.isEmpty ? value : base + "/" + value)"]
                    }
                    let extra = files.map { $0.hasPrefix("/") || base.isEmpty ? $0 : base + "/" + $0 }
                    for c in try BatchInputs.expand(line.words[0], base: base) {
                        for s in try BatchInputs.expand(line.words[1], base: base) {
                            specs.append(Spec(content: c, styles: [s] + extra, words: rebased, origin: place))
                        }
                    }
                }
            }
        } catch let error as CLIError {
            usage(error.description)
        } catch {
            usage("\(error)")
        }

        let pattern = try! NamePattern(name)
        var made: [String: String] = [:]  // output file -> the item that makes it
        var parsed: [Int: Transfer] = [:]  // transfer for items without options of their own, by style count
        return specs.enumerated().map { index, spec in
            let itemOptions = (try? table.split(spec.words).options) ?? []
            var transfer: Transfer
            if spec.words.isEmpty, let base = parsed[spec.styles.count] {
                transfer = base
                transfer.content = spec.content
                transfer.styleImages = spec.styles
            } else {
                let argv = global.flatMap(\.words) + spec.words + ["-o", "item.png", "--", spec.content] + spec.styles
                do {
                    transfer = try Transfer.parse(argv)
                } catch {
                    let line = Transfer.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                    usage("\(spec.origin): \(line.replacingOccurrences(of: "Error: ", with: ""))")
                }
                if spec.words.isEmpty { parsed[spec.styles.count] = transfer }
            }
            // Named after parsing: a line's --style options count among its styles.
            let out = (output as NSString).appendingPathComponent(
                pattern.name(content: transfer.content, styles: transfer.stylePaths, index: index, count: specs.count))
            let file = URL(fileURLWithPath: splitSaveOptions(out).0).standardizedFileURL.path
            if let other = made[file] {
                usage("\(out) would be made by both \(other) and \(spec.origin): add {index} to --name, or rename")
            }
            made[file] = spec.origin
            transfer.common.output = out
            let options: TransferOptions
            do { options = try transfer.transferOptions() } catch { usage("\(spec.origin): \(error)") }  // checked by parse already
            return BatchItem(index: index, transfer: transfer, options: options,
                             canonical: TransferWords.canonical(global + itemOptions), origin: spec.origin)
        }
    }

    /// The output folder (and any subfolders the name pattern makes) exist and
    /// take files, the format is one libvips writes, and no output is an input.
    /// Checked once per folder and format, not per item: a batch may be huge.
    func prepareOutputs(_ items: [BatchItem]) throws {
        let resolved = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        var folders = Set<String>(), formats = Set<String>()
        for item in items {
            let file = splitSaveOptions(item.output).0
            let folder = (file as NSString).deletingLastPathComponent
            if folders.insert(folder).inserted {
                do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                    throw CLIError("\(folder): cannot make the output folder (\((error as NSError).localizedDescription))")
                }
                if let problem = unwritableFolder(folder) { throw CLIError("\(folder): cannot write in the output folder (\(problem))") }
            }
            if formats.insert((file as NSString).pathExtension.lowercased()).inserted { try ImageFile.checkSavable(item.output) }
        }
        var inputs: [String: String] = [:]
        for item in items { for path in item.inputPaths { inputs[resolved(path)] = path } }
        for item in items {
            if let input = inputs[resolved(splitSaveOptions(item.output).0)] {
                throw CLIError("\(item.output): would overwrite the input \(input); choose another output folder or --name")
            }
        }
    }
}

/// One item of a batch: a transfer run as `stylize transfer` would read it.
struct BatchItem {
    /// Place in the whole batch (all shards), from 0.
    let index: Int
    let transfer: Transfer
    let options: TransferOptions
    /// The options that shape the result, as recorded (`TransferWords.canonical`).
    let canonical: String
    /// How the item was given: "a.jpg x s.jpg" or "list.txt:3".
    let origin: String

    var output: String { transfer.common.output }
    var content: String { transfer.content }
    var styles: [String] { transfer.stylePaths }
    var others: [String] { [transfer.mask, transfer.initImage].compactMap { $0 } }
    var inputPaths: [String] { [content] + styles + others }

    /// The model file this item uses (--model, $STYLIZE_MODEL, then the installed one).
    func modelPath() throws -> String {
        do { return try ModelStore.locate(transfer.common.model, explicitName: "--model", installed: ModelLocator.installedCandidates).path }
        catch let failure as ModelStore.Failure { throw CLIError(failure.description) }
    }

    /// The identity of every input now (content, styles, mask, init image, model), or the first missing one.
    func inputFiles(model: String) throws -> [BatchRecord.File] {
        let roles = [("content", content)] + styles.map { ("style", $0) }
            + [transfer.mask.map { ("mask", $0) }, transfer.initImage.map { ("init-image", $0) }].compactMap { $0 }
            + [("model", model)]
        return try roles.map { role, path in
            guard let file = BatchRecord.File(role: role, path: path) else { throw CLIError("\(path): no such file") }
            return file
        }
    }
}
