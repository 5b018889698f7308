import Foundation
import Testing
@testable import StyleTransfer

/// The reflected margin as a function of the picture (Controls/Margin.swift):
/// f(x) = L(P x), ∇f = Pᵀ ∇L(P x). P and Pᵀ must be adjoint, the folded gradient
/// must be f's, and a run's logged loss must be f of the picture it reports.
@Suite(.serialized) struct MarginTests {
    static func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    /// Windows of the canvas: whole canvases (one picture narrower than the margin,
    /// so mirroring wraps), tiles at a corner, along an edge, inside, and one that
    /// starts inside the margin (as shifted tile grids do).
    static let windows: [(picture: (Int, Int), margin: Int, x: Int, y: Int, w: Int, h: Int)] = [
        ((7, 5), 8, 0, 0, 23, 21), ((3, 40), 8, 0, 0, 19, 56), ((1, 20), 8, 0, 0, 17, 36),
        ((60, 50), 8, 0, 0, 32, 32), ((60, 50), 8, 20, 0, 32, 32), ((60, 50), 8, 44, 34, 32, 32),
        ((60, 50), 8, 20, 15, 24, 24), ((60, 50), 8, 3, 5, 30, 30),
    ]

    /// <P x, y> = <x, Pᵀ y> for random x (picture region) and y (window), to rounding.
    @Test(arguments: windows.indices)
    func mirrorAndFoldAreAdjoint(window k: Int) {
        let s = Self.windows[k]
        let map = MirrorMap(picture: s.picture, margin: s.margin, x: s.x, y: s.y, width: s.w, height: s.h)
        var rng = SplitMix64(seed: UInt64(70 + k))
        let x = Support.random(3 * map.regionWidth * map.regionHeight, &rng)
        let y = Support.random(3 * s.w * s.h, &rng)
        let left = Self.dot(map.forward(x, channels: 3), y), right = Self.dot(x, map.adjoint(y, channels: 3))
        let error = abs(left - right) / max(abs(left), abs(right))
        print("mirror window \(k): <P x, y> = \(left), <x, Pᵀ y> = \(right), relative difference \(String(format: "%.1e", error))")
        // Float sums in Pᵀ (at most a few terms per pixel): 1e-6 is rounding; a missed or
        // misplaced fold changes the sum by a whole term, O(1 / pixels) ≈ 1e-3.
        #expect(error < 1e-5)
    }

    /// The preconditioner: 1 / copies of each picture pixel on the canvas. The edge pixel
    /// is not repeated by the mirror; the next m are seen twice a side.
    @Test func inverseCopiesCountTheMirrorImages() {
        let (w, h, m) = (20, 12, 4)
        let scale = MirrorMap(width: w, height: h, margin: m).inverseCopies(channels: 2)
        #expect(scale.count == 2 * w * h && Array(scale[0..<(w * h)]) == Array(scale[(w * h)...]))
        #expect(scale[0] == 1 && scale[1] == 0.5 && scale[w + 1] == 0.25 && scale[4 * w + 4] == 0.25)
        #expect(scale[6 * w + 10] == 1 && scale[6 * w + 5] == 1 && scale[6 * w + w - 2] == 0.5)
    }

    /// Whole canvases: P is `Margin.padded`, pixel for pixel, so the map is the mirror.
    @Test func wholeCanvasMapIsThePaddedPicture() {
        var rng = SplitMix64(seed: 9)
        let (w, h, m) = (7, 5, 8)
        let p = Support.random(3 * w * h, &rng)
        let map = MirrorMap(width: w, height: h, margin: m)
        let W = w + 2 * m, H = h + 2 * m
        let expected = (0..<3).flatMap { c in
            (0..<H).flatMap { Y in (0..<W).map { X in p[(c * h + Margin.mirror(Y - m, h)) * w + Margin.mirror(X - m, w)] } }
        }
        #expect(map.forward(p, channels: 3) == expected)
        #expect(map.regionWidth == w && map.regionHeight == h && map.origin == (m, m))
    }

    /// d f / d x for f(x) = L(P x): random VGG16, an 8x8 picture on a 24x24 canvas,
    /// the objective of GradientTests.objectiveGradient, every pixel of the picture's
    /// outer ring (each is copied into the margin up to three times) and a sample inside.
    @Test func mirroredObjectiveGradient() throws {
        let network = FeatureNetwork(weights: try Support.randomWeights(.vgg16, seed: 3))
        var rng = SplitMix64(seed: 62)
        let (w, h) = (8, 8)
        let content = Image(width: w, height: h, pixels: Support.random(3 * w * h, in: 0...255, &rng))
        let style = Image(width: 12, height: 12, pixels: Support.random(3 * 144, in: 0...255, &rng))
        var options = TransferOptions()
        options.contentLayers = [LayerWeight("conv2_1"), LayerWeight("relu4_2", 0.5)]
        options.styleLayers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"].map { LayerWeight($0) }
        options.styleWeight = 1e-4
        options.tvWeight = 1e-2
        let objective = try MirroredObjective(network: network, width: w, height: h, content: content, styles: [style], options: options)
        var x = Support.random(3 * w * h, in: 0...255, &rng)
        let (terms, gradient) = objective.evaluate(x)
        #expect(gradient.count == 3 * w * h)
        #expect(terms.content > 0 && terms.style > 0 && terms.tv > 0)
        let ring = (0..<3).flatMap { c in
            (0..<(w * h)).filter { i in i % w == 0 || i % w == w - 1 || i / w == 0 || i / w == h - 1 }.map { c * w * h + $0 }
        }
        var inside = Array(Set(x.indices).subtracting(ring)).sorted()
        inside.shuffle(using: &rng)
        let err = GradientTests.compare("mirrored objective (8x8 picture, 8 px margin)", analytic: gradient,
                                        indices: ring + inside.prefix(24), &x, step: GradientTests.objectiveStep) {
            objective.evaluate($0).0.total
        }
        // The canvas gradient's interior without the fold: what a free margin optimised.
        let canvasGradient = objective.objective.evaluate(objective.map.forward(x, channels: 3)).1
        let unfolded = Margin.cropped(canvasGradient, channels: 3, width: w, height: h, margin: Margin.width(w, h))
        let errUnfolded = GradientTests.compare("mirrored objective without the fold", analytic: unfolded,
                                                indices: ring, &x, step: GradientTests.objectiveStep) {
            objective.evaluate($0).0.total
        }
        let directional = GradientTests.directionalError(gradient, at: x) { objective.evaluate($0).0.total }
        print("gradient mirrored objective: directional derivative relative error \(String(format: "%.2e", directional))")
        // Measured: directional 3.9e-5; per pixel, whole vector 6.1e-3, median 6.5e-3 (the
        // ring and 24 inside; Float32 rounding, so it depends on OpenBLAS's kernels: 8.2e-3 to
        // 1.21e-2 on an Emerald Rapids Xeon, directional 1.9e-4 there); without the fold the
        // ring's whole-vector error is 2.5.
        #expect(directional < 5e-3)
        #expect(err.norm < 2e-2)
        #expect(err.median < 2e-2)
        #expect(errUnfolded.norm > 0.1, "the test cannot tell the folded gradient from the unfolded one")
    }

    /// A run's last logged loss is f of the picture it reports: a 64 px run (one
    /// level, 30 L-BFGS steps, picture = content size) and the MirroredObjective
    /// built as `stylize score` builds it. Also prints what clamping to 0-255 and
    /// rounding to 8 bits (a PNG) do to the score, the CLI test's tolerance.
    @Test(arguments: [1.0, 0.75])
    func runLogsTheObjectiveOfItsPicture(styleScale: Double) throws {
        let network = try Support.realNetwork()
        let content = try Support.fixture("tiny_content_64.ppm"), style64 = try Support.fixture("tiny_style_64.ppm")
        var o = TransferOptions()
        (o.size, o.scales, o.iterations, o.styleScale) = (64, 1, 30, styleScale)
        let side = Int((64 * styleScale).rounded())  // as the run scales it
        let style = style64.resized(width: side, height: side)
        var last: TransferProgress?
        let result = try StyleTransfer(network: network).run(content: content, styles: [style64], options: o) { p in
            last = p
            return true
        }
        let p = try #require(last)
        let objective = try MirroredObjective(network: network, width: 64, height: 64, content: content, styles: [style], options: o)
        let atPicture = objective.evaluate(p.image.pixels).0
        let clamped = objective.evaluate(result.pixels).0
        let rounded = objective.evaluate(result.pixels.map { $0.rounded() }).0
        func rel(_ a: LossTerms, _ b: LossTerms) -> [Double] {
            [a.content / b.content - 1, a.style / b.style - 1, a.tv / b.tv - 1]
        }
        let f = { (v: [Double]) in v.map { String(format: "%+.2e", $0) }.joined(separator: " ") }
        let outside = Double(p.image.pixels.filter { $0 < 0 || $0 > 255 }.count) / Double(p.image.pixels.count)
        print("style scale \(styleScale): \(String(format: "%.1f", 100 * outside)) % of the picture's values outside 0-255")
        print("run log vs score (content style tv, relative, style scale \(styleScale)): picture \(f(rel(atPicture, p.losses))), "
              + "clamped \(f(rel(clamped, p.losses))), clamped and rounded \(f(rel(rounded, p.losses)))")
        // Measured: equal at the picture (0 relative). Clamped and rounded (content style tv):
        // style scale 1: -6.4e-3 +6.8e-3 -7.0e-3 (0.2 % of values outside 0-255);
        // style scale 0.75: -1.8e-2 +1.7e-2 -1.3e-2 (0.3 % outside).
        // The same function at the same pixels: equal up to the order of threaded sums.
        #expect(rel(atPicture, p.losses).allSatisfy { abs($0) < 1e-5 })
    }
}
