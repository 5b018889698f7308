import CVipsShim
import Foundation
import StyleTransfer

/// An input image of the study, already at the study size.
struct StudyInput {
    var name: String
    var path: String
    var image: Image
    /// Hash of the pixels, so the cache follows the data, not the file name.
    var digest: String
}

/// One optimisation the study needs. Runs with the same key are the same run
/// (experiments share them) and are computed once, then served from the cache.
struct RunSpec {
    var label: String
    var content: StudyInput?
    var styles: [StudyInput]
    var options: TransferOptions
    /// Iterations after which the image is also saved (the iteration sweep).
    var snapshots: [Int] = []

    var key: String {
        let o = options
        let layers = { (l: [LayerWeight]) in l.map { "\($0.name):\($0.weight)" }.joined(separator: ",") }
        let initText: String
        switch o.initialization {
        case .content: initText = "content"
        case .noise: initText = "noise"
        case .style: initText = "style"
        case .image(let i): initText = "image-" + Digest.of(i)
        }
        let text = ["study-run v1", "content=\(content?.digest ?? "-")", "styles=\(styles.map(\.digest))",
                    "size=\(o.size)", "it=\(o.iterations)", "cw=\(o.contentWeight)", "sw=\(o.styleWeight)", "tv=\(o.tvWeight)",
                    "cl=\(layers(o.contentLayers))", "sl=\(layers(o.styleLayers))", "init=\(initText)",
                    "opt=\(o.optimizer.rawValue)", "lr=\(o.learningRate)", "hist=\(o.lbfgsHistory)", "pool=\(o.pooling)",
                    "seed=\(o.seed)", "blend=\(o.styleBlend ?? [])", "scale=\(o.styleScale)", "snap=\(snapshots)"]
        return Digest.of(text.joined(separator: "|"))
    }
}

/// What a finished run leaves in the cache (<key>.json beside <key>.png).
struct RunRecord: Codable {
    struct Point: Codable {
        var iteration: Int
        var seconds: Double
        var content: Double
        var style: Double
        var tv: Double
        var total: Double
    }
    var key: String
    var label: String
    var width: Int
    var height: Int
    var seconds: Double
    var curve: [Point]
    var snapshots: [Int]
    var finalLoss: Double { curve.last?.total ?? .nan }
}

/// FNV-1a, twice with different offsets (128 bits): a stable cache key
/// without a crypto library.
enum Digest {
    static func of(_ text: String) -> String { of(bytes: Array(text.utf8)) }
    static func of(_ image: Image) -> String {
        var bytes = Array("\(image.width)x\(image.height)".utf8)
        image.pixels.withUnsafeBytes { bytes.append(contentsOf: $0) }
        return of(bytes: bytes)
    }
    static func of(bytes: [UInt8]) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325, b: UInt64 = 0x84222325cbf29ce4
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x100_0000_01b3
            b = (b ^ UInt64(byte ^ 0x5a)) &* 0x100_0000_01b3
        }
        return String(format: "%016llx%016llx", a, b)
    }
}

/// Runs the study's optimisations through the cache, with progress for the
/// whole study on stderr (experiment k of n, run, iteration, overall ETA).
final class StudyRunner {
    let engine: StyleTransfer
    let cache: URL
    let quiet: Bool
    let isTerminal = isatty(STDERR_FILENO) != 0
    private(set) var runsComputed = 0, runsCached = 0, iterationsComputed = 0
    // Work is counted in forward-pass FLOPs, so the ETA knows a relu5_1 run costs more than a relu1_1 one.
    private var plannedWork = 0.0, doneWork = 0.0
    private var computeSeconds = 0.0, finishedSeconds = 0.0
    private var records: [String: RunRecord] = [:]
    private var lastPrint = Date.distantPast

    init(engine: StyleTransfer, cache: URL, quiet: Bool) {
        self.engine = engine
        self.cache = cache
        self.quiet = quiet
    }

    func imagePath(_ key: String) -> String { cache.appendingPathComponent("\(key).png").path }
    func snapshotPath(_ key: String, _ iteration: Int) -> String { cache.appendingPathComponent("\(key)-it\(iteration).png").path }
    func recordPath(_ key: String) -> String { cache.appendingPathComponent("\(key).json").path }

    func cached(_ key: String) -> RunRecord? {
        if let r = records[key] { return r }
        guard let data = FileManager.default.contents(atPath: recordPath(key)),
              let record = try? JSONDecoder().decode(RunRecord.self, from: data),
              FileManager.default.fileExists(atPath: imagePath(key)),
              record.snapshots.allSatisfy({ FileManager.default.fileExists(atPath: snapshotPath(key, $0)) })
        else { return nil }
        records[key] = record
        return record
    }

    /// Plans the work still to compute, so the ETA covers the whole study.
    func plan(_ specs: [RunSpec]) {
        var seen = Set<String>()
        plannedWork = specs.filter { seen.insert($0.key).inserted && cached($0.key) == nil }
            .map { Double($0.options.iterations) * iterationCost($0) }.reduce(0, +)
    }

    /// FLOPs of one forward pass through the deepest layer the run uses (the
    /// backward pass and line-search evaluations scale with it).
    func iterationCost(_ spec: RunSpec) -> Double {
        let network = engine.network
        let layers = (spec.content == nil ? [] : spec.options.contentLayers) + spec.options.styleLayers
        let deepest = layers.compactMap { network.layerIndex($0.name) }.max() ?? 0
        guard let canvas = spec.content?.image ?? spec.styles.first?.image else { return 1 }
        return max(1, network.forwardFlops(height: canvas.height, width: canvas.width, through: deepest))
    }

    /// `place` is e.g. "experiment 2/6 (texture synthesis), run 3/7".
    func run(_ spec: RunSpec, where place: String) throws -> RunRecord {
        let key = spec.key
        if let record = cached(key) {
            runsCached += 1
            return record
        }
        note("study: \(place) \(spec.label): computing \(spec.options.iterations) iterations")
        var curve: [RunRecord.Point] = []
        var snapshotsTaken: [Int] = []
        let cost = iterationCost(spec)
        let start = Date()
        let result: Image
        do {
            result = try engine.run(content: spec.content?.image, styles: spec.styles.map(\.image), options: spec.options) { p in
                let l = p.losses
                curve.append(.init(iteration: p.iteration, seconds: p.elapsed, content: l.content, style: l.style, tv: l.tv, total: l.total))
                if spec.snapshots.contains(p.iteration) {
                    // The intermediate image is the run of that many iterations (the optimiser is deterministic).
                    try? StudyRunner.save(p.image.clamped(), to: self.snapshotPath(key, p.iteration))
                    snapshotsTaken.append(p.iteration)
                }
                if p.iteration > 0 { self.progress(place: place, spec: spec, cost: cost, p) }
                return true
            }
        } catch let error as TransferError {
            throw CLIError("\(spec.label): \(error)")
        }
        let seconds = Date().timeIntervalSince(start)
        finishedSeconds += seconds
        guard Set(snapshotsTaken) == Set(spec.snapshots) else {
            throw CLIError("\(spec.label): could not save the intermediate images in \(cache.path)")
        }
        try StudyRunner.save(result, to: imagePath(key))
        let record = RunRecord(key: key, label: spec.label, width: result.width, height: result.height,
                               seconds: seconds, curve: curve, snapshots: spec.snapshots.sorted())
        // The JSON goes last: its presence marks a complete run, so an interrupted study resumes here.
        try writeAtomically(try JSONEncoder().encode(record), to: recordPath(key))
        records[key] = record
        runsComputed += 1
        return record
    }

    private func progress(place: String, spec: RunSpec, cost: Double, _ p: TransferProgress) {
        doneWork += cost
        iterationsComputed += 1
        computeSeconds = finishedSeconds + p.elapsed
        guard !quiet else { return }
        let now = Date()
        guard p.iteration == p.total || now.timeIntervalSince(lastPrint) >= (isTerminal ? 0.2 : 5) else { return }
        lastPrint = now
        let share = min(1, doneWork / max(1, plannedWork))
        let eta = computeSeconds / max(1, doneWork) * max(0, plannedWork - doneWork)
        let line = "study: \(place) \(spec.label): iteration \(p.iteration)/\(p.total), loss \(String(format: "%.4g", p.losses.total))"
            + " | overall \(Int(100 * share))%, ETA \(StudyRunner.duration(eta))"
        FileHandle.standardError.write((isTerminal ? "\r" + line + "\u{1B}[K" + (p.iteration == p.total ? "\n" : "") : line + "\n").data(using: .utf8)!)
    }

    func note(_ line: String) {
        guard !quiet else { return }
        FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }

    static func save(_ image: Image, to path: String) throws {
        try ImageFile(image: image, alpha: nil, sixteenBit: false).save(path)
    }

    static func load(_ path: String) throws -> Image { try ImageFile.load(path).image }
}

/// A contact sheet composed by libvips (see sheet_shim.c).
struct ContactSheet {
    struct Cell {
        var path: String?
        var label: String
    }
    var title: String
    var columns: Int
    var cells: [Cell]

    func write(to path: String, cellSize: Int) throws {
        try VipsRuntime.start()
        var paths = cells.map { $0.path.map { strdup($0) } ?? nil }
        var labels = cells.map { strdup($0.label) }
        defer { paths.forEach { free($0) }; labels.forEach { free($0) } }
        let status = paths.withUnsafeMutableBufferPointer { p in
            labels.withUnsafeMutableBufferPointer { l in
                p.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: p.count) { pp in
                    l.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: l.count) { lp in
                        stylize_sheet_compose(path, pp, lp, Int32(cells.count), Int32(columns), Int32(cellSize), title)
                    }
                }
            }
        }
        if status != 0 { throw CLIError("\(path): cannot compose the contact sheet (\(String(cString: stylize_vips_error())))") }
    }
}
