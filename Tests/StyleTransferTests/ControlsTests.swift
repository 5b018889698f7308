import Testing
@testable import StyleTransfer

/// The artistic controls (issue 8) on the real VGG16 and the 64 px fixtures:
/// each test shows the control's effect, not just that it runs.
@Suite(.serialized) struct ControlsTests {
    let engine: StyleTransfer
    let content: Image
    let style: Image

    init() throws {
        engine = StyleTransfer(network: try Support.realNetwork())
        content = try Support.fixture("tiny_content_64.ppm")
        style = try Support.fixture("tiny_style_64.ppm")
    }

    func options(_ iterations: Int = 20, scales: Int = 1) -> TransferOptions {
        var o = TransferOptions()
        o.size = 64
        o.iterations = iterations
        o.scales = scales
        return o
    }

    /// Mean and standard deviation of the I and Q (chroma) planes.
    func chromaStatistics(_ image: Image) -> [Double] {
        let n = image.width * image.height, yiq = YIQ.from(image)
        return [1, 2].flatMap { c -> [Double] in
            let (m, s) = ColorPreservation.meanStd(Array(yiq[(c * n)..<((c + 1) * n)]))
            return [m, s]
        }
    }

    func chromaDistance(_ a: Image, _ b: Image) -> Double {
        zip(chromaStatistics(a), chromaStatistics(b)).reduce(0) { $0 + abs($1.0 - $1.1) }
    }

    func meanAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } / Double(a.count)
    }

    @Test func preservingColorsKeepsTheContentsChroma() throws {
        let free = try engine.run(content: content, styles: [style], options: options())
        let freeDistance = chromaDistance(free, content)
        for mode in [PreserveColors.luminance, .histogram] {
            var o = options()
            o.preserveColors = mode
            let kept = try engine.run(content: content, styles: [style], options: o)
            let distance = chromaDistance(kept, content)
            #expect(distance < 0.5 * freeDistance, "\(mode): chroma distance \(distance) vs \(freeDistance) without")
        }
    }

    @Test func blendOneZeroEqualsTheSingleStyle() throws {
        var o = options(5)
        o.initialization = .noise
        o.seed = 7
        let single = try engine.run(content: content, styles: [style], options: o)
        o.styleBlend = [1, 0]
        let other = Image(width: 64, height: 64, pixels: content.pixels.reversed())
        let blended = try engine.run(content: content, styles: [style, other], options: o)
        #expect(blended.pixels == single.pixels)
        o.styleBlend = [0.5, 0.5]
        let mixed = try engine.run(content: content, styles: [style, other], options: o)
        #expect(mixed.pixels != single.pixels)
    }

    @Test func styleScaleChangesTheResult() throws {
        let base = try engine.run(content: content, styles: [style], options: options())
        var o = options()
        o.styleScale = 0.5
        let scaled = try engine.run(content: content, styles: [style], options: o)
        #expect(meanAbsoluteDifference(base.pixels, scaled.pixels) > 2)
    }

    @Test func blackMaskRegionsKeepTheContent() throws {
        // Left half black (keep), right half white (stylize).
        let mask = Mask(width: 64, height: 64, values: (0..<4096).map { $0 % 64 < 32 ? 0 : 1 })
        var o = options()
        o.mask = mask
        let result = try engine.run(content: content, styles: [style], options: o)
        func half(_ image: Image, left: Bool) -> [Float] {
            (0..<3).flatMap { c in (0..<64).flatMap { y in (left ? 0..<28 : 36..<64).map { image.pixels[c * 4096 + y * 64 + $0] } } }
        }
        #expect(meanAbsoluteDifference(half(result, left: true), half(content, left: true)) < 0.5)
        #expect(meanAbsoluteDifference(half(result, left: false), half(content, left: false)) > 5)
    }

    @Test func coarseToFineReachesTheRequestedSize() throws {
        var o = options(6, scales: 3)
        o.size = 128
        let plan = try engine.plan(content: content, styles: [style], options: o)
        // 32 px is under the 64 px minimum, so two levels: 64 then 128, iterations split 3 + 3.
        #expect(plan.levels.map(\.width) == [64, 128] && plan.levels.map(\.iterations) == [3, 3])
        var sizes: [Int] = [], iterations: [Int] = []
        let result = try engine.run(content: content, styles: [style], options: o) { p in
            sizes.append(p.image.width)
            iterations.append(p.iteration)
            return true
        }
        #expect(sizes == [64, 64, 64, 64, 128, 128, 128])
        #expect(iterations == Array(0...6))
        #expect(result.width == 64 && result.height == 64)
    }

    @Test func tilesMatchTheWholeImageApproximately() throws {
        var o = options(10)
        o.size = 128
        let whole = try engine.run(content: content, styles: [style], options: o)
        o.maxMemory = try engine.plan(content: content, styles: [style], options: o).estimatedPeakBytes - 1
        let plan = try engine.plan(content: content, styles: [style], options: o)
        let tile = try #require(plan.levels.last?.tile)
        #expect(tile < 128 && plan.estimatedPeakBytes <= o.maxMemory!)
        let tiled = try engine.run(content: content, styles: [style], options: o)
        #expect(tiled.width == whole.width && tiled.height == whole.height)
        // Closer to the whole-image result than the content is: the tiles did the same job.
        let toWhole = meanAbsoluteDifference(tiled.pixels, whole.pixels)
        #expect(toWhole < 0.5 * meanAbsoluteDifference(content.pixels, whole.pixels), "tiled vs whole: \(toWhole)")
    }

    @Test func gramOverCropsEqualsTheWholeImageGram() throws {
        let network = try Support.realNetwork()
        var o = TransferOptions()
        o.contentLayers = []
        let layers = LayerSelection(network: network, options: o, hasContent: false, hasStyle: true)
        let image = style.resized(width: 96, height: 80)
        let pass = try network.makePass(height: 80, width: 96, through: layers.depth - 1, forwardOnly: true)
        network.forward(pass, pixels: image.pixels)
        // Crops of 32 px with the 96 px margin each see the whole image, so only the bookkeeping is tested.
        let cropped = try Tiling.gramMatrices(network: network, image: image, layers: layers.styleIndices,
                                          depth: layers.depth, convs: layers.convs, crop: 32)
        for (k, layer) in layers.styleIndices.enumerated() {
            let whole = gramMatrix(pass.activation(layer)).map(Double.init)
            #expect(Support.normRelativeError(cropped[k].map(Double.init), whole) < 1e-4, "layer \(layer)")
        }
    }

    @Test func tooSmallAMemoryBudgetIsAClearError() throws {
        var o = options()
        o.maxMemory = 64 << 20  // the smallest budget the option table admits; the model alone needs more
        let error = #expect(throws: OptionError.self) { try engine.plan(content: content, styles: [style], options: o) }
        #expect(error?.key == .maxMemory)
        #expect(error?.problem.contains("needs at least") == true)
    }
}
