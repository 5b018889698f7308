import ArgumentParser
import Foundation
import StyleTransfer

struct Study: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rerun the style-transfer experiments as a report: contact sheets, plots, index.html and study.json.",
        discussion: """
        Experiments: 1 content reconstruction per layer, 2 texture synthesis with growing layer sets, \
        3 sweeps of iterations / content weight / style weight, 4 every content x every style, \
        5 noise vs content initialisation, 6 Gram normalisation. Finished runs are cached in OUT/cache, \
        so running again with the same settings recomputes nothing and an interrupted study resumes.
        """)

    @Option(name: .customLong("content"), help: "Content image(s), comma separated or repeated; the first is used for experiments 1, 3, 5, 6.")
    var contentList: [String] = []

    @Option(name: .customLong("style"), help: "Style image(s), comma separated or repeated; the first is used for experiments 2, 3, 5, 6.")
    var styleList: [String] = []

    @Option(name: .shortAndLong, help: "Output folder (created if missing).")
    var output: String

    @Flag(help: "Small and fast: 64 px, 20 iterations, shorter sweeps.")
    var quick = false

    @Option(help: "Longest side of every image in the study (default 256, --quick 64).")
    var size: Int?

    @Option(help: "Iterations of each run (default 100, --quick 20).")
    var iterations: Int?

    @Option(help: "Snapshots of the iteration sweep, e.g. 5,15,50,100,200 (the largest is the run length).")
    var sweepIterations: String?

    @Option(help: "Content weights of the sweep (default 0.01,0.1,1,10).")
    var contentWeights: String?

    @Option(help: "Style weights of the sweep (default 1e-6,1e-5,1e-4,1e-3).")
    var styleWeights: String?

    @Option(help: "Layers of the reconstruction experiment.")
    var layers = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"

    @Option(help: "Layer whose reconstruction is run with two seeds.")
    var seedLayer = "relu4_1"

    @Option(help: "Texture layers, added one at a time from the first.")
    var textureLayers = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"

    @Option(help: "The two noise seeds.")
    var seeds = "0,1"

    @Option(help: "Model file (safetensors). Default: $STYLIZE_MODEL, then the installed VGG16.")
    var model: String?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    mutating func run() throws {
        try reportingErrors {
            let started = Date()
            let settings = try makeSettings()
            let contentPaths = split(contentList), stylePaths = split(styleList)
            guard !contentPaths.isEmpty else { throw CLIError("--content: give at least one content image") }
            guard !stylePaths.isEmpty else { throw CLIError("--style: give at least one style image") }
            let folder = URL(fileURLWithPath: output)
            let cache = folder.appendingPathComponent("cache")
            for dir in [folder, cache, folder.appendingPathComponent("sheets"), folder.appendingPathComponent("plots")] {
                do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
                catch { throw CLIError("\(dir.path): cannot create the folder (\(error.localizedDescription))") }
            }
            let (weights, _, _) = try ModelLocator.load(model)
            let engine = StyleTransfer(weights: weights)
            for layer in split([layers, seedLayer, textureLayers]) where engine.network.layerIndex(layer) == nil {
                throw CLIError("unknown layer '\(layer)' (the model has \(engine.network.layerNames.joined(separator: ", ")))")
            }
            // Inputs at the study size; the originals are copied beside the sheets so the report is self-contained.
            func input(_ path: String) throws -> StudyInput {
                var image = try ImageFile.load(path).image
                let s = image.size(longestSide: settings.size)
                image = image.resized(width: s.width, height: s.height).clamped()
                let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                let digest = Digest.of(image)
                let copy = cache.appendingPathComponent("input-\(digest).png").path
                try StudyRunner.save(image, to: copy)
                // The saved 8-bit copy is what every measure compares against.
                return StudyInput(name: name, path: copy, image: try StudyRunner.load(copy), digest: digest)
            }
            let contents = try contentPaths.map(input), styles = try stylePaths.map(input)
            let runner = StudyRunner(engine: engine, cache: cache, quiet: quiet)
            let ctx = StudyContext(settings: settings, contents: contents, styles: styles, network: engine.network,
                                   runner: runner, folder: folder)
            let experiments = [reconstructionExperiment(ctx), textureExperiment(ctx), sweepExperiment(ctx),
                               gridExperiment(ctx), initExperiment(ctx), gramExperiment(ctx)]
            runner.plan(experiments.flatMap(\.specs))
            for (k, experiment) in experiments.enumerated() {
                runner.note("study: experiment \(k + 1)/\(experiments.count): \(experiment.title)")
                for (i, spec) in experiment.specs.enumerated() {
                    _ = try runner.run(spec, where: "experiment \(k + 1)/\(experiments.count), run \(i + 1)/\(experiment.specs.count),")
                }
            }
            runner.note("study: writing sheets, plots and the report")
            let reports = try experiments.map { try $0.report() }
            let seconds = Date().timeIntervalSince(started)
            try StudyReport(settings: settings, contents: contents, styles: styles, reports: reports, runner: runner,
                            seconds: seconds, folder: folder, usedKeys: Set(experiments.flatMap(\.specs).map(\.key))).write()
            runner.note("study: \(runner.runsComputed) runs computed (\(runner.iterationsComputed) iterations), \(runner.runsCached) cached; "
                        + "\(StudyRunner.duration(seconds)); open \(folder.appendingPathComponent("index.html").path)")
        }
    }

    func split(_ list: [String]) -> [String] {
        list.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func numbers(_ text: String, _ option: String) throws -> [Double] {
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite && $0! > 0 }) else {
            throw CLIError("\(option) '\(text)' is not a comma list of numbers > 0")
        }
        return values.map { $0! }
    }

    func makeSettings() throws -> StudySettings {
        let size = self.size ?? (quick ? 64 : 256)
        let iterations = self.iterations ?? (quick ? 20 : 100)
        guard (16...4096).contains(size) else { throw CLIError("--size \(size) must be between 16 and 4096") }
        guard (1...100_000).contains(iterations) else { throw CLIError("--iterations \(iterations) must be between 1 and 100000") }
        let sweep = try numbers(sweepIterations ?? (quick ? "2,5,10,30" : "5,15,50,100,200"), "--sweep-iterations")
        guard sweep.allSatisfy({ $0 == $0.rounded() && $0 <= 100_000 }) else {
            throw CLIError("--sweep-iterations '\(sweepIterations ?? "")' must be whole numbers of iterations")
        }
        let seedValues = split([seeds]).map { UInt64($0) }
        guard seedValues.count == 2, seedValues.allSatisfy({ $0 != nil }), seedValues[0] != seedValues[1] else {
            throw CLIError("--seeds '\(seeds)' must be two different whole numbers >= 0")
        }
        guard !split([layers]).isEmpty, !split([textureLayers]).isEmpty else {
            throw CLIError("--layers and --texture-layers must name at least one layer")
        }
        var base = TransferOptions()
        base.size = 0  // inputs are already at the study size
        base.scales = 1  // each experiment studies one optimisation at one size
        let shown = SettingsRecord(
            quick: quick, size: size, iterations: iterations, sweepIterations: Array(Set(sweep.map { Int($0) })).sorted(),
            contentWeights: try numbers(contentWeights ?? (quick ? "0.1,1,10" : "0.01,0.1,1,10"), "--content-weights"),
            styleWeights: try numbers(styleWeights ?? (quick ? "1e-5,1e-4,1e-3" : "1e-6,1e-5,1e-4,1e-3"), "--style-weights"),
            reconstructionLayers: split([layers]), seedLayer: seedLayer, textureLayers: split([textureLayers]),
            seeds: seedValues.map { $0! }, gramCandidates: quick ? 3 : 4, contentWeight: base.contentWeight,
            styleWeight: base.styleWeight, tvWeight: base.tvWeight, contentLayers: base.contentLayers.map(\.name),
            styleLayers: base.styleLayers.map(\.name), optimizer: base.optimizer.rawValue, pooling: base.pooling.rawValue)
        return StudySettings(shown: shown, cell: quick ? 128 : 200, base: base)
    }
}
