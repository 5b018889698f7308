import Foundation
import StyleTransfer

/// The study's settings; `--quick` shrinks everything so the study runs in
/// minutes. What study.json and the report show is `shown`; its members read
/// through (`settings.size`).
@dynamicMemberLookup
struct StudySettings {
    var shown: SettingsRecord
    /// Side of a contact sheet's cell.
    var cell: Int
    /// The base of every run: the transfer defaults, at the inputs' (study) size.
    var base: TransferOptions

    subscript<T>(dynamicMember key: KeyPath<SettingsRecord, T>) -> T { shown[keyPath: key] }
}

/// What one experiment shows: its sheets and plots (paths relative to the
/// study folder), a caption with the measured trend, a table and all numbers
/// (the table is only shown, not written to study.json).
struct ExperimentReport: Encodable {
    var title: String
    var caption: String
    var sheets: [String] = []
    var plots: [String] = []
    var table: [[String]] = []
    var numbers: any Encodable

    enum CodingKeys: String, CodingKey { case title, caption, sheets, plots, numbers }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(title, forKey: .title)
        try c.encode(caption, forKey: .caption)
        try c.encode(sheets, forKey: .sheets)
        try c.encode(plots, forKey: .plots)
        try c.encode(numbers, forKey: .numbers)
    }
}

struct Experiment {
    var title: String
    var specs: [RunSpec]
    var report: () throws -> ExperimentReport
}

/// Shared by the experiments: inputs, settings, where results are, and the measures.
struct StudyContext {
    let settings: StudySettings
    let contents: [StudyInput]
    let styles: [StudyInput]
    let network: FeatureNetwork
    let runner: StudyRunner
    let folder: URL

    /// The finished run's record and image (read back from the cache PNG, so
    /// measures are the same whether the run was computed now or earlier).
    func result(_ spec: RunSpec) throws -> (RunRecord, Image) {
        guard let record = runner.cached(spec.key) else { throw CLIError("\(spec.label): result missing from the cache") }
        return (record, try StudyRunner.load(runner.imagePath(spec.key)))
    }

    func snapshot(_ spec: RunSpec, _ iteration: Int) throws -> Image {
        try StudyRunner.load(runner.snapshotPath(spec.key, iteration))
    }

    /// Style distance: the unweighted style loss over the default style layers
    /// (relu1_1..relu5_1) against `style`; one measure for every result.
    func styleDistance(_ image: Image, _ style: StudyInput) throws -> Double {
        var o = TransferOptions()
        o.contentLayers = []
        o.styleWeight = 1
        o.tvWeight = 0
        let s = style.image.size(longestSide: max(image.width, image.height))
        let objective = try TransferObjective(network: network, width: image.width, height: image.height, content: nil,
                                          styles: [style.image.resized(width: s.width, height: s.height)], options: o)
        return objective.evaluate(image.pixels).0.style
    }

    func sheet(_ name: String, _ sheet: ContactSheet) throws -> String {
        let relative = "sheets/\(name).png"
        try sheet.write(to: folder.appendingPathComponent(relative).path, cellSize: settings.cell)
        return relative
    }

    func plot(_ name: String, _ panels: [Plot.Panel]) throws -> String {
        let relative = "plots/\(name).svg"
        try writeAtomically(Data(Plot.svg(panels).utf8), to: folder.appendingPathComponent(relative).path)
        return relative
    }

    func transferSpec(_ label: String, content: StudyInput, style: StudyInput, _ change: (inout TransferOptions) -> Void = { _ in }) -> RunSpec {
        var o = settings.base
        o.iterations = settings.iterations
        change(&o)
        return RunSpec(label: label, content: content, styles: [style], options: o)
    }
}

func g(_ v: Double) -> String { String(format: "%.3g", v) }
func db(_ v: Double) -> String { String(format: "%.1f dB", v) }
func s3(_ v: Double) -> String { String(format: "%.3f", v) }

/// Pads a row of cells with blanks to `columns`.
func padded(_ cells: [ContactSheet.Cell], _ columns: Int) -> [ContactSheet.Cell] {
    cells + Array(repeating: ContactSheet.Cell(path: nil, label: ""), count: max(0, columns - cells.count))
}

func layerRange(_ layers: [String]) -> String { layers.count == 1 ? layers[0] : "\(layers.first!)..\(layers.last!)" }

// MARK: 1. Content reconstruction

func reconstructionExperiment(_ ctx: StudyContext) -> Experiment {
    let s = ctx.settings, content = ctx.contents[0]
    func spec(_ layer: String, _ seed: UInt64) -> RunSpec {
        var o = s.base
        o.iterations = s.iterations
        o.contentLayers = [LayerWeight(layer)]
        o.styleLayers = []
        o.styleWeight = 0
        o.tvWeight = 0  // content loss only
        o.initialization = .noise
        o.seed = seed
        return RunSpec(label: "reconstruction from \(layer), seed \(seed)", content: content, styles: [], options: o)
    }
    let perLayer = s.reconstructionLayers.map { spec($0, s.seeds[0]) }
    let seedRuns = s.seeds.map { spec(s.seedLayer, $0) }
    return Experiment(title: "Content reconstruction", specs: perLayer + seedRuns) {
        var rows: [ReconstructionNumbers.Layer] = []
        var cells = [ContactSheet.Cell(path: content.path, label: "original\n\(content.name)")]
        var table = [["layer", "PSNR", "SSIM", "final content loss", "seconds"]]
        for (layer, run) in zip(s.reconstructionLayers, perLayer) {
            let (record, image) = try ctx.result(run)
            let p = Metrics.psnr(image, content.image), q = Metrics.ssim(image, content.image)
            rows.append(.init(layer: layer, psnr: p, ssim: q, finalLoss: record.finalLoss, seconds: record.seconds, seed: s.seeds[0]))
            cells.append(.init(path: ctx.runner.imagePath(run.key), label: "\(layer)\nPSNR \(db(p))\nSSIM \(s3(q))"))
            table.append([layer, db(p), s3(q), g(record.finalLoss), String(format: "%.1f", record.seconds)])
        }
        let a = try ctx.result(seedRuns[0]).1, b = try ctx.result(seedRuns[1]).1
        let seeds = ReconstructionNumbers.Seeds(
            layer: s.seedLayer, seeds: s.seeds,
            psnrBetweenSeeds: Metrics.psnr(a, b), ssimBetweenSeeds: Metrics.ssim(a, b),
            psnrToContent: [Metrics.psnr(a, content.image), Metrics.psnr(b, content.image)],
            ssimToContent: [Metrics.ssim(a, content.image), Metrics.ssim(b, content.image)])
        let columns = cells.count
        var second: [ContactSheet.Cell] = try zip(seedRuns, [a, b]).map { run, image in
            .init(path: ctx.runner.imagePath(run.key),
                  label: "\(s.seedLayer), seed \(run.options.seed)\nvs content \(db(Metrics.psnr(image, content.image)))")
        }
        second.append(.init(path: nil, label: "seed \(s.seeds[0]) vs seed \(s.seeds[1]):\n\(db(Metrics.psnr(a, b))), SSIM \(s3(Metrics.ssim(a, b)))"))
        let sheet = try ctx.sheet("1_reconstruction", ContactSheet(
            title: "Content reconstruction from noise, content loss at one layer (\(content.name), \(s.iterations) iterations)",
            columns: columns, cells: cells + padded(second, columns)))
        let first = rows.first!, last = rows.last!
        let caption = "Each image starts from seeded noise and is optimised with the content loss at one layer only (no style loss, no total variation). "
            + "PSNR falls from \(db(first.psnr)) at \(first.layer) to \(db(last.psnr)) at \(last.layer) "
            + "and SSIM from \(s3(first.ssim)) to \(s3(last.ssim)): deeper layers keep the layout and lose the exact pixels. "
            + "At \(s.seedLayer) two noise seeds give images \(db(seeds.psnrBetweenSeeds)) apart (SSIM \(s3(seeds.ssimBetweenSeeds))), "
            + "each \(db(seeds.psnrToContent[0])) and \(db(seeds.psnrToContent[1])) from the content."
        return ExperimentReport(title: "1. Content reconstruction", caption: caption, sheets: [sheet], table: table,
                                numbers: ReconstructionNumbers(content: content.name, layers: rows, seedComparison: seeds))
    }
}

// MARK: 2. Texture synthesis

func textureExperiment(_ ctx: StudyContext) -> Experiment {
    let s = ctx.settings, style = ctx.styles[0]
    let configs = (1...s.textureLayers.count).map { Array(s.textureLayers.prefix($0)) }
    func spec(_ layers: [String], _ seed: UInt64) -> RunSpec {
        var o = s.base
        o.iterations = s.iterations
        o.contentLayers = []
        o.styleLayers = layers.map { LayerWeight($0) }
        o.tvWeight = 0  // style loss only
        o.initialization = .noise
        o.seed = seed
        return RunSpec(label: "texture from \(layerRange(layers)), seed \(seed)", content: nil, styles: [style], options: o)
    }
    let runs = configs.map { spec($0, s.seeds[0]) }
    let seedRuns = s.seeds.map { spec(configs.last!, $0) }
    return Experiment(title: "Texture synthesis", specs: runs + seedRuns) {
        var rows: [TextureNumbers.Configuration] = []
        var cells = [ContactSheet.Cell(path: style.path, label: "original\n\(style.name)")]
        var table = [["style layers", "style distance (all 5 layers)", "final style loss", "seconds"]]
        for (layers, run) in zip(configs, runs) {
            let (record, image) = try ctx.result(run)
            let d = try ctx.styleDistance(image, style)
            rows.append(.init(layers: layers, styleDistance: d, finalLoss: record.finalLoss, seconds: record.seconds))
            cells.append(.init(path: ctx.runner.imagePath(run.key), label: "\(layerRange(layers))\nstyle dist. \(g(d))"))
            table.append([layerRange(layers), g(d), g(record.finalLoss), String(format: "%.1f", record.seconds)])
        }
        let a = try ctx.result(seedRuns[0]).1, b = try ctx.result(seedRuns[1]).1
        let seeds = TextureNumbers.Seeds(layers: configs.last!, seeds: s.seeds,
                                         psnrBetweenSeeds: Metrics.psnr(a, b), ssimBetweenSeeds: Metrics.ssim(a, b),
                                         styleDistance: [try ctx.styleDistance(a, style), try ctx.styleDistance(b, style)])
        let columns = cells.count
        var second: [ContactSheet.Cell] = try zip(seedRuns, [a, b]).map { run, image in
            .init(path: ctx.runner.imagePath(run.key), label: "\(layerRange(configs.last!)), seed \(run.options.seed)\nstyle dist. \(g(try ctx.styleDistance(image, style)))")
        }
        second.append(.init(path: nil, label: "seed \(s.seeds[0]) vs seed \(s.seeds[1]):\n\(db(Metrics.psnr(a, b))), SSIM \(s3(Metrics.ssim(a, b)))"))
        let sheet = try ctx.sheet("2_texture", ContactSheet(
            title: "Texture synthesis from noise, style loss only, style layers growing (\(style.name), \(s.iterations) iterations)",
            columns: columns, cells: cells + padded(second, columns)))
        let d = rows.map(\.styleDistance)
        let caption = "Each image starts from seeded noise and matches the Gram matrices of the style image at the listed layers only. "
            + "The style distance (unweighted style loss over relu1_1..relu5_1, the same measure for every image) goes from \(g(d.first!)) "
            + "with \(layerRange(configs.first!)) to \(g(d.last!)) with \(layerRange(configs.last!)) (minimum \(g(d.min()!)) with "
            + "\(layerRange(configs[d.firstIndex(of: d.min()!)!]))): shallow layers alone give colour and fine grain, deeper ones add larger structures. "
            + "Two seeds give different pixels (SSIM \(s3(seeds.ssimBetweenSeeds)) between them) with the same texture statistics "
            + "(style distances \(seeds.styleDistance.map(g).joined(separator: " and ")))."
        return ExperimentReport(title: "2. Texture synthesis", caption: caption, sheets: [sheet], table: table,
                                numbers: TextureNumbers(style: style.name, configurations: rows, seedComparison: seeds))
    }
}

// MARK: 3. Hyper-parameter sweeps

/// The iteration sweep's run: it is also the content-init run of experiment 5.
func iterationSweepSpec(_ ctx: StudyContext) -> RunSpec {
    let s = ctx.settings
    var spec = ctx.transferSpec("transfer, \(s.sweepIterations.max()!) iterations, content init", content: ctx.contents[0], style: ctx.styles[0]) {
        $0.iterations = s.sweepIterations.max()!
    }
    spec.snapshots = s.sweepIterations
    return spec
}

func sweepExperiment(_ ctx: StudyContext) -> Experiment {
    let s = ctx.settings, content = ctx.contents[0], style = ctx.styles[0]
    let iterationRun = iterationSweepSpec(ctx)
    let contentRuns = s.contentWeights.map { w in ctx.transferSpec("transfer, content weight \(g(w))", content: content, style: style) { $0.contentWeight = w } }
    let styleRuns = s.styleWeights.map { w in ctx.transferSpec("transfer, style weight \(g(w))", content: content, style: style) { $0.styleWeight = w } }
    return Experiment(title: "Hyper-parameter sweeps", specs: [iterationRun] + contentRuns + styleRuns) {
        let inputs = [ContactSheet.Cell(path: content.path, label: "content\n\(content.name)"),
                      ContactSheet.Cell(path: style.path, label: "style\n\(style.name)")]
        var table = [["sweep", "value", "SSIM to content", "style distance", "final loss"]]
        // Iterations: snapshots of one run.
        let (record, _) = try ctx.result(iterationRun)
        var iterationRows: [SweepNumbers.Snapshot] = []
        var cells = inputs
        for n in s.sweepIterations {
            let image = try ctx.snapshot(iterationRun, n)
            let loss = record.curve.first { $0.iteration == n }?.total ?? .nan
            let q = Metrics.ssim(image, content.image), d = try ctx.styleDistance(image, style)
            iterationRows.append(.init(iterations: n, loss: loss, ssimToContent: q, styleDistance: d))
            cells.append(.init(path: ctx.runner.snapshotPath(iterationRun.key, n), label: "\(n) iterations\nloss \(g(loss))"))
            table.append(["iterations", "\(n)", s3(q), g(d), g(loss)])
        }
        let sheetIterations = try ctx.sheet("3a_iterations", ContactSheet(title: "Iterations (content weight \(g(s.base.contentWeight)), style weight \(g(s.base.styleWeight)))", columns: cells.count, cells: cells))
        let curve = record.curve.filter { $0.iteration > 0 }
        let plotIterations = try ctx.plot("3a_iterations_loss", [Plot.Panel(
            title: "Loss vs iteration", xLabel: "iteration", yLabel: "loss", series: [
                .init(name: "content", points: curve.map { (Double($0.iteration), $0.content) }),
                .init(name: "style", points: curve.map { (Double($0.iteration), $0.style) }),
                .init(name: "total", points: curve.map { (Double($0.iteration), $0.total) })])])

        func weightSweep(_ name: String, _ slug: String, _ values: [Double], _ runs: [RunSpec]) throws -> (String, String, [SweepNumbers.Weight]) {
            var rows: [SweepNumbers.Weight] = []
            var cells = inputs
            var curves: [(Double, [RunRecord.Point])] = []
            for (w, run) in zip(values, runs) {
                let (record, image) = try ctx.result(run)
                let q = Metrics.ssim(image, content.image), d = try ctx.styleDistance(image, style)
                rows.append(.init(value: w, ssimToContent: q, styleDistance: d, finalLoss: record.finalLoss,
                                  finalContentLoss: record.curve.last!.content, finalStyleLoss: record.curve.last!.style, seconds: record.seconds))
                cells.append(.init(path: ctx.runner.imagePath(run.key), label: "\(name) \(g(w))\nSSIM \(s3(q)), style \(g(d))"))
                table.append([name, g(w), s3(q), g(d), g(record.finalLoss)])
                curves.append((w, record.curve.filter { $0.iteration > 0 }))
            }
            let sheet = try ctx.sheet(slug, ContactSheet(title: "\(name.capitalized) sweep (\(s.iterations) iterations); labels: SSIM to the content, style distance", columns: cells.count, cells: cells))
            // Losses per unit weight, so the curves of different weights compare.
            let cw = { (r: RunSpec) in r.options.contentWeight }, sw = { (r: RunSpec) in r.options.styleWeight }
            let plot = try ctx.plot(slug + "_loss", [
                Plot.Panel(title: "Content loss / content weight", xLabel: "iteration", yLabel: "loss",
                           series: zip(curves, runs).map { c, r in .init(name: "\(name) \(g(c.0))", points: c.1.map { (Double($0.iteration), $0.content / cw(r)) }) }),
                Plot.Panel(title: "Style loss / style weight", xLabel: "iteration", yLabel: "loss",
                           series: zip(curves, runs).map { c, r in .init(name: "\(name) \(g(c.0))", points: c.1.map { (Double($0.iteration), $0.style / sw(r)) }) }),
                Plot.Panel(title: "Total loss", xLabel: "iteration", yLabel: "loss",
                           series: curves.map { c in .init(name: "\(name) \(g(c.0))", points: c.1.map { (Double($0.iteration), $0.total) }) })])
            return (sheet, plot, rows)
        }
        let (sheetContent, plotContent, contentRows) = try weightSweep("content weight", "3b_content_weight", s.contentWeights, contentRuns)
        let (sheetStyle, plotStyle, styleRows) = try weightSweep("style weight", "3c_style_weight", s.styleWeights, styleRuns)

        func trend(_ values: [Double], _ format: (Double) -> String) -> String { "\(format(values.first!)) to \(format(values.last!))" }
        let firstLoss = iterationRows.first!.loss, lastLoss = iterationRows.last!.loss
        let caption = "All runs start from the content image (\(content.name) after \(style.name)). "
            + "Iterations: the total loss falls from \(g(firstLoss)) after \(s.sweepIterations.first!) to \(g(lastLoss)) after \(s.sweepIterations.last!) iterations; "
            + "the style distance goes from \(trend(iterationRows.map(\.styleDistance), g)). "
            + "Content weight \(g(s.contentWeights.first!)) to \(g(s.contentWeights.last!)): SSIM to the content goes from \(trend(contentRows.map(\.ssimToContent), s3)), "
            + "style distance from \(trend(contentRows.map(\.styleDistance), g)). "
            + "Style weight \(g(s.styleWeights.first!)) to \(g(s.styleWeights.last!)): SSIM to the content goes from \(trend(styleRows.map(\.ssimToContent), s3)), "
            + "style distance from \(trend(styleRows.map(\.styleDistance), g)). The plots show the loss curves (content and style per unit weight, so the weights compare)."
        return ExperimentReport(title: "3. Style transfer hyper-parameters", caption: caption,
                                sheets: [sheetIterations, sheetContent, sheetStyle], plots: [plotIterations, plotContent, plotStyle], table: table,
                                numbers: SweepNumbers(iterations: iterationRows, contentWeight: contentRows, styleWeight: styleRows,
                                                      iterationCurve: record.curve))
    }
}

// MARK: 4. Content x style grid

func gridExperiment(_ ctx: StudyContext) -> Experiment {
    let runs = ctx.contents.map { c in ctx.styles.map { st in ctx.transferSpec("transfer \(c.name) x \(st.name)", content: c, style: st) } }
    return Experiment(title: "Content x style grid", specs: runs.flatMap { $0 }) {
        var cells = [ContactSheet.Cell(path: nil, label: "")] + ctx.styles.map { .init(path: $0.path, label: "style\n\($0.name)") }
        var rows: [GridNumbers.Cell] = []
        var table = [["content", "style", "SSIM to content", "style distance", "final loss", "seconds"]]
        for (c, row) in zip(ctx.contents, runs) {
            cells.append(.init(path: c.path, label: "content\n\(c.name)"))
            for (st, run) in zip(ctx.styles, row) {
                let (record, image) = try ctx.result(run)
                let q = Metrics.ssim(image, c.image), d = try ctx.styleDistance(image, st)
                rows.append(.init(content: c.name, style: st.name, ssimToContent: q, styleDistance: d, finalLoss: record.finalLoss, seconds: record.seconds))
                cells.append(.init(path: ctx.runner.imagePath(run.key), label: "SSIM \(s3(q)), style \(g(d))"))
                table.append([c.name, st.name, s3(q), g(d), g(record.finalLoss), String(format: "%.1f", record.seconds)])
            }
        }
        let sheet = try ctx.sheet("4_grid", ContactSheet(title: "Every content x every style (\(ctx.settings.iterations) iterations, default weights)",
                                                         columns: ctx.styles.count + 1, cells: cells))
        let q = rows.map(\.ssimToContent), t = rows.map(\.seconds)
        let caption = "Rows are content images, columns style images, all with the default weights. "
            + "SSIM to the content ranges from \(s3(q.min()!)) to \(s3(q.max()!)) across the \(rows.count) pairs; "
            + "each run took \(String(format: "%.1f", t.min()!))-\(String(format: "%.1f", t.max()!)) s."
        return ExperimentReport(title: "4. Content x style grid", caption: caption, sheets: [sheet], table: table, numbers: GridNumbers(cells: rows))
    }
}

// MARK: 5. Initialisation

func initExperiment(_ ctx: StudyContext) -> Experiment {
    let s = ctx.settings, content = ctx.contents[0], style = ctx.styles[0]
    let contentRun = iterationSweepSpec(ctx)
    var noiseRun = contentRun
    noiseRun.label = "transfer, \(s.sweepIterations.max()!) iterations, noise init"
    noiseRun.options.initialization = .noise
    noiseRun.options.seed = s.seeds[0]
    return Experiment(title: "Initialisation", specs: [noiseRun, contentRun]) {
        let runs = [("noise", noiseRun), ("content", contentRun)]
        let records = try runs.map { try ctx.result($0.1).0 }
        // A loss both runs reach: 5 % above the worse final loss.
        let target = 1.05 * records.map(\.finalLoss).max()!
        var cells: [ContactSheet.Cell] = []
        var rows: [InitNumbers.Run] = []
        var table = [["init", "iterations to loss \(g(target))", "seconds to it", "final loss", "total seconds", "SSIM to content"]]
        for ((name, run), record) in zip(runs, records) {
            let reach = record.curve.first { $0.total <= target }
            let final = try ctx.result(run).1
            let q = Metrics.ssim(final, content.image)
            rows.append(.init(initialization: name, target: target, iterationsToTarget: reach?.iteration ?? -1, secondsToTarget: reach?.seconds ?? -1,
                              finalLoss: record.finalLoss, seconds: record.seconds, ssimToContent: q))
            table.append([name, reach.map { "\($0.iteration)" } ?? "-", reach.map { String(format: "%.1f", $0.seconds) } ?? "-",
                          g(record.finalLoss), String(format: "%.1f", record.seconds), s3(q)])
            for n in s.sweepIterations {
                let loss = record.curve.first { $0.iteration == n }?.total ?? .nan
                cells.append(.init(path: ctx.runner.snapshotPath(run.key, n), label: "\(name) init, \(n) it.\nloss \(g(loss))"))
            }
        }
        let sheet = try ctx.sheet("5_init", ContactSheet(title: "Noise (top) vs content (bottom) initialisation, \(content.name) x \(style.name)",
                                                         columns: s.sweepIterations.count, cells: cells))
        let curves = records.map { $0.curve.filter { $0.iteration > 0 } }
        let plot = try ctx.plot("5_init_loss", [
            Plot.Panel(title: "Total loss vs iteration", xLabel: "iteration", yLabel: "loss",
                       series: zip(runs, curves).map { .init(name: "\($0.0) init", points: $1.map { (Double($0.iteration), $0.total) }) }),
            Plot.Panel(title: "Total loss vs wall time", xLabel: "seconds", yLabel: "loss",
                       series: zip(runs, curves).map { .init(name: "\($0.0) init", points: $1.map { ($0.seconds, $0.total) }) })])
        func reached(_ row: InitNumbers.Run) -> String {
            row.iterationsToTarget < 0 ? "never" : "after \(row.iterationsToTarget) iterations (\(String(format: "%.1f", row.secondsToTarget)) s)"
        }
        let caption = "Same pair, same weights, \(s.sweepIterations.max()!) iterations from seeded noise or from the content image. "
            + "Loss \(g(target)) (5 % above the worse final loss) is reached \(reached(rows[0])) from noise and \(reached(rows[1])) from the content; "
            + "final losses \(g(rows[0].finalLoss)) vs \(g(rows[1].finalLoss)); SSIM to the content "
            + "\(s3(rows[0].ssimToContent)) vs \(s3(rows[1].ssimToContent))."
        return ExperimentReport(title: "5. Initialisation: noise vs content", caption: caption, sheets: [sheet], plots: [plot], table: table,
                                numbers: InitNumbers(runs: rows, curves: zip(runs, records).map { run, record in
                                    .init(initialization: run.0, curve: record.curve.map { .init(iteration: $0.iteration, seconds: $0.seconds, total: $0.total) })
                                }))
    }
}

// MARK: 6. Gram normalisation

func gramExperiment(_ ctx: StudyContext) -> Experiment {
    let s = ctx.settings, content = ctx.contents[0]
    // The un-normalised Gram is the normalised one times H_l W_l (feature pixels
    // at layer l), so its style loss is (H_l W_l)^2 times larger at that layer.
    // Emulated by multiplying each style layer's weight by (H_l W_l)^2; exact
    // when the style image has as many pixels as the canvas, so the style is
    // resized to the content's size for this experiment.
    var style = ctx.styles[0]
    style.image = style.image.resized(width: content.image.width, height: content.image.height)
    style.digest = Digest.of(style.image)
    let stylePath = ctx.runner.cache.appendingPathComponent("gram-style-\(style.digest).png").path
    let factors: [(String, Double)] = s.base.styleLayers.map { layer in
        var (h, w) = (content.image.height, content.image.width)
        for l in ctx.network.layers[0...ctx.network.layerIndex(layer.name)!] {
            if case .pool = l.kind { (h, w) = Pool2x2.outputSize(height: h, width: w) }
        }
        return (layer.name, pow(Double(h * w), 2))
    }
    let lo = log10(factors.map(\.1).min()!), hi = log10(factors.map(\.1).max()!)
    let candidates = (0..<s.gramCandidates).map { pow(10, lo + (hi - lo) * Double($0) / Double(max(1, s.gramCandidates - 1))) }
    let normalised = ctx.transferSpec("normalised Gram", content: content, style: style)
    let unnormalised = candidates.map { f in
        ctx.transferSpec("un-normalised Gram, style weight / \(g(f))", content: content, style: style) { o in
            o.styleLayers = zip(o.styleLayers, factors).map { LayerWeight($0.name, $0.weight * $1.1) }
            o.styleWeight /= f
        }
    }
    return Experiment(title: "Gram normalisation", specs: [normalised] + unnormalised) {
        try StudyRunner.save(style.image, to: stylePath)
        let (normRecord, normImage) = try ctx.result(normalised)
        let normDistance = try ctx.styleDistance(normImage, style)
        var cells = [ContactSheet.Cell(path: content.path, label: "content\n\(content.name)"),
                     ContactSheet.Cell(path: stylePath, label: "style (at canvas size)\n\(style.name)"),
                     ContactSheet.Cell(path: ctx.runner.imagePath(normalised.key), label: "normalised, weight \(g(s.base.styleWeight))\nstyle \(g(normDistance))")]
        var rows: [GramNumbers.Candidate] = []
        var table = [["Gram", "style weight", "factor", "SSIM to normalised result", "style distance", "SSIM to content"]]
        table.append(["normalised (H·W)", g(s.base.styleWeight), "1", "1", g(normDistance), s3(Metrics.ssim(normImage, content.image))])
        for (f, run) in zip(candidates, unnormalised) {
            let (record, image) = try ctx.result(run)
            let q = Metrics.ssim(image, normImage), d = try ctx.styleDistance(image, style), qc = Metrics.ssim(image, content.image)
            // At iteration 0 both start from the content: the factor that makes the un-normalised initial style loss equal the normalised one.
            let equalStart = f * record.curve[0].style / normRecord.curve[0].style
            rows.append(.init(factor: f, styleWeight: s.base.styleWeight / f, ssimToNormalised: q, psnrToNormalised: Metrics.psnr(image, normImage),
                              styleDistance: d, ssimToContent: qc, finalLoss: record.finalLoss, equalInitialLossFactor: equalStart))
            cells.append(.init(path: ctx.runner.imagePath(run.key), label: "un-normalised, weight / \(g(f))\nSSIM to norm. \(s3(q))"))
            table.append(["un-normalised", g(s.base.styleWeight / f), g(f), s3(q), g(d), s3(qc)])
        }
        let best = rows.max { $0.ssimToNormalised < $1.ssimToNormalised }!
        let equal = rows[0].equalInitialLossFactor
        let columns = min(cells.count, 4)
        let sheet = try ctx.sheet("6_gram", ContactSheet(title: "Gram matrix normalised by H·W vs not (\(s.iterations) iterations)", columns: columns,
                                                         cells: padded(cells, (cells.count + columns - 1) / columns * columns)))
        let caption = "The engine normalises the Gram matrix by the number of feature pixels H·W. Without it the Gram at layer l is H_l·W_l times larger "
            + "and its style loss (H_l·W_l)² times larger; this is emulated (exactly, for a style image with as many pixels as the canvas, which is why the style "
            + "is resized to the content's size here) by multiplying each style layer's weight by (H_l·W_l)², which ranges from \(g(factors.map(\.1).min()!)) at "
            + "\(factors.min { $0.1 < $1.1 }!.0) to \(g(factors.map(\.1).max()!)) at \(factors.max { $0.1 < $1.1 }!.0) at this size. "
            + "Dividing the style weight by \(g(best.factor)) (style weight \(g(best.styleWeight))) gives the result closest to the normalised one "
            + "(SSIM \(s3(best.ssimToNormalised)) between them); the factor that makes the initial style losses equal is \(g(equal)). "
            + "No single factor makes the two identical: without normalisation the shallow layers weigh (H·W)² more, i.e. 16x more per pooling step."
        return ExperimentReport(title: "6. Gram normalisation", caption: caption, sheets: [sheet], table: table,
                                numbers: GramNumbers(layerFactors: factors.map { .init(layer: $0.0, hwSquared: $0.1) }, normalisedStyleWeight: s.base.styleWeight,
                                                     candidates: rows, bestFactor: best.factor, equalInitialLossFactor: equal))
    }
}
