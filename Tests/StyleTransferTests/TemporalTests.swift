import Foundation
import Testing
@testable import StyleTransfer

/// Ruder et al.'s temporal loss (TemporalLoss.swift): its gradient against
/// central differences, its place in the objective, and what it does to a run.
@Suite struct TemporalTests {
    static func randomTarget(width w: Int, height h: Int, _ rng: inout SplitMix64) -> TemporalTarget {
        // Some weights exactly 0 (occluded pixels) and some 1, the rest between.
        let c = (0..<(w * h)).map { i -> Float in i % 5 == 0 ? 0 : i % 5 == 1 ? 1 : Float.random(in: 0...1, using: &rng) }
        return TemporalTarget(target: Image(width: w, height: h, pixels: Support.random(3 * w * h, in: 0...255, &rng)),
                              weight: Mask(width: w, height: h, values: c))
    }

    /// L_t = λ/D Σ c_i (x_i − w_i)² against the formula in Double, and ∂L_t/∂x against central differences.
    @Test func lossAndGradient() {
        var rng = SplitMix64(seed: 14)
        let (w, h) = (7, 5)
        let t = Self.randomTarget(width: w, height: h, &rng)
        var x = Support.random(3 * w * h, in: 0...255, &rng)
        let lambda = 0.37
        var gradient = [Float](repeating: 0, count: x.count)
        let value = gradient.withUnsafeMutableBufferPointer {
            TemporalLoss.evaluate(x, t, weight: lambda, gradient: $0.baseAddress)
        }
        var expected = 0.0
        for i in x.indices {
            let d = Double(x[i]) - Double(t.target.pixels[i])
            expected += Double(t.weight.values[i % (w * h)]) * d * d
        }
        expected *= lambda / Double(3 * w * h)
        #expect(abs(value - expected) <= 1e-6 * expected)
        let err = GradientTests.compare("temporal loss", analytic: gradient, indices: Array(x.indices), &x, step: 0.5) {
            TemporalLoss.evaluate($0, t, weight: lambda, gradient: nil)
        }
        #expect(err.worst < 1e-3)
        // An occluded pixel (c = 0) has no gradient whatever its difference.
        #expect(gradient[0] == 0 && gradient[w * h] == 0)
        // x = w: no loss.
        #expect(TemporalLoss.evaluate(t.target.pixels, t, weight: lambda, gradient: nil) == 0)
    }

    /// The picture's objective is the Gatys objective plus L_t of the picture (its
    /// margin is not in it); --temporal-weight 0 or no target leaves it as it was.
    @Test func objectiveAddsTheTermOnThePicture() throws {
        let network = FeatureNetwork(weights: try Support.randomWeights(.vgg16, seed: 3))
        var rng = SplitMix64(seed: 15)
        let (w, h) = (8, 8)
        let content = Image(width: w, height: h, pixels: Support.random(3 * w * h, in: 0...255, &rng))
        let style = Image(width: 12, height: 12, pixels: Support.random(3 * 144, in: 0...255, &rng))
        var options = TransferOptions()
        options.styleLayers = ["relu1_1", "relu2_1"].map { LayerWeight($0) }
        options.contentLayers = [LayerWeight("relu2_2")]
        let plain = try MirroredObjective(network: network, width: w, height: h, content: content, styles: [style], options: options)
        options.temporal = Self.randomTarget(width: w, height: h, &rng)
        options.temporalWeight = 0
        let off = try MirroredObjective(network: network, width: w, height: h, content: content, styles: [style], options: options)
        options.temporalWeight = 2
        let on = try MirroredObjective(network: network, width: w, height: h, content: content, styles: [style], options: options)
        var x = Support.random(3 * w * h, in: 0...255, &rng)
        let (t0, g0) = plain.evaluate(x), (tOff, gOff) = off.evaluate(x), (tOn, gOn) = on.evaluate(x)
        #expect(tOff == t0 && gOff == g0)
        var gt = [Float](repeating: 0, count: x.count)
        let lt = gt.withUnsafeMutableBufferPointer { TemporalLoss.evaluate(x, options.temporal!, weight: 2, gradient: $0.baseAddress) }
        #expect(tOn.temporal == lt && lt > 0)
        #expect(abs(tOn.total - (t0.total + lt)) <= 1e-9 * tOn.total)
        for i in x.indices { #expect(abs(gOn[i] - (g0[i] + gt[i])) <= 1e-4 * max(1, abs(gOn[i]))) }
        let err = GradientTests.compare("objective with temporal loss", analytic: gOn, indices: Array(x.indices.prefix(24)),
                                        &x, step: GradientTests.objectiveStep) { on.evaluate($0).0.total }
        #expect(err.norm < 2e-2)
    }

    /// A run pulled towards a target where its weight is 1 ends nearer to it there
    /// than where the weight is 0 (left half 1, right half 0; the target a flat grey
    /// that is neither the content nor the style), and the left half moves towards
    /// it as the temporal weight grows. Random VGG16, 64 px, one level.
    @Test func runStaysNearTheTargetWhereWeighted() throws {
        let network = FeatureNetwork(weights: try Support.randomWeights(.vgg16, seed: 3))
        let engine = StyleTransfer(network: network)
        var rng = SplitMix64(seed: 16)
        let n = 64
        let content = Image(width: n, height: n, pixels: Support.random(3 * n * n, in: 0...255, &rng))
        let style = Image(width: n, height: n, pixels: Support.random(3 * n * n, in: 0...255, &rng))
        let grey = Image(width: n, height: n, pixels: [Float](repeating: 128, count: 3 * n * n))
        let weight = Mask(width: n, height: n, values: (0..<(n * n)).map { $0 % n < n / 2 ? 1 : 0 })
        func distances(_ lambda: Double) throws -> (left: Double, right: Double) {
            var o = TransferOptions()
            (o.size, o.scales, o.iterations) = (n, 1, 20)
            o.temporal = TemporalTarget(target: grey, weight: weight)
            o.temporalWeight = lambda
            let r = try engine.run(content: content, styles: [style], options: o)
            var (left, right) = (0.0, 0.0)
            for (i, p) in r.pixels.enumerated() {
                let d = Double(abs(p - 128))
                if (i % (n * n)) % n < n / 2 { left += d } else { right += d }
            }
            return (left / Double(3 * n * n / 2), right / Double(3 * n * n / 2))
        }
        let none = try distances(0), weak = try distances(1), strong = try distances(100)
        print("temporal run: mean |x - target| left/right: weight 0 \(none), 1 \(weak), 100 \(strong)")
        #expect(strong.left < 0.5 * strong.right)
        #expect(strong.left < weak.left && weak.left < none.left)
    }
}
