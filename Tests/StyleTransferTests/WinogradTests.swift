import Foundation
import Testing
@testable import StyleTransfer

/// The fast convolutions (Winograd F(4x4,3x3) and F(6x6,3x3)) against the direct
/// nine-GEMM convolution on random inputs: outputs and input gradients within
/// 1e-4 relative (measured to the largest magnitude of the reference).
@Suite struct WinogradTests {
    func randomMap(_ c: Int, _ h: Int, _ w: Int, _ rng: inout SplitMix64) -> FeatureMap {
        let m = FeatureMap(channels: c, height: h, width: w)
        m.setInterior((0..<(c * h * w)).map { _ in Float.random(in: -1...1, using: &rng) })
        return m
    }

    func relativeError(_ a: FeatureMap, _ b: FeatureMap) -> Float {
        var worst: Float = 0, scale: Float = 0
        for i in 0..<a.count { worst = max(worst, abs(a.data[i] - b.data[i])); scale = max(scale, abs(b.data[i])) }
        return worst / scale
    }

    /// Bands of tile rows (`Winograd.forEachBand`): (256, 256, 100, 50) runs in two with either
    /// tile (4M floats a band), (512, 512, 72, 60) in two with F(4x4), whose transformed
    /// weights (9.4M floats) set its band.
    @Test(arguments: [(16, 24, 8, 8), (64, 32, 7, 9), (32, 64, 5, 4), (128, 16, 1, 3), (24, 24, 13, 11), (256, 64, 14, 13),
                      (256, 256, 100, 50), (512, 512, 72, 60)],
          [WinogradTile.f4, .f6])
    func matchesDirect(shape: (Int, Int, Int, Int), tile: WinogradTile) {
        let (cin, cout, h, w) = shape
        var rng = SplitMix64(seed: UInt64(cin * 1000 + h))
        let weight = (0..<(cout * cin * 9)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        let bias = (0..<cout).map { _ in Float.random(in: -1...1, using: &rng) }
        let fast = Conv3x3(weight: weight, bias: bias, inChannels: cin, outChannels: cout, winogradTile: tile)
        let direct = Conv3x3(weight: weight, bias: bias, inChannels: cin, outChannels: cout, useWinograd: false)
        let x = randomMap(cin, h, w, &rng)
        let y1 = FeatureMap(channels: cout, height: h, width: w), y2 = FeatureMap(channels: cout, height: h, width: w)
        fast.forward(x, into: y1)
        direct.forward(x, into: y2)
        print("Winograd \(tile) \(shape): forward error \(relativeError(y1, y2))")
        #expect(relativeError(y1, y2) < 1e-4)

        let dy = randomMap(cout, h, w, &rng)
        let dx1 = FeatureMap(channels: cin, height: h, width: w), dx2 = FeatureMap(channels: cin, height: h, width: w)
        fast.backward(dy, into: dx1)
        direct.backward(dy, into: dx2)
        #expect(relativeError(dx1, dx2) < 1e-4)
    }

    /// The whole objective on real weights and a real image (odd size, so edge
    /// tiles are clipped): losses and the pixel gradient of the Winograd network
    /// within 1e-4 of the direct one. (Folded ReLU masks are covered too: the
    /// direct path masks in place, the Winograd path while transforming.)
    @Test func objectiveMatchesDirect() throws {
        let fast = try Support.realNetwork()
        let weights = try ModelWeights(safetensors: Support.bytes(URL(fileURLWithPath: ProcessInfo.processInfo.environment["STYLIZE_MODEL"]!)))
        let direct = FeatureNetwork(weights: weights, useWinograd: false)
        let (w, h) = (61, 58)
        let full = try Support.fixture("tiny_content_64.ppm"), style = try Support.fixture("tiny_style_64.ppm")
        let content = Image(width: w, height: h, pixels: (0..<3).flatMap { c in
            (0..<h).flatMap { y in (0..<w).map { x in full.pixels[(c * 64 + y) * 64 + x] } }
        })
        var options = TransferOptions()
        // A loss on a conv (before its ReLU) too: its gradient must not be masked by that ReLU.
        options.contentLayers = [LayerWeight("conv3_1", 0.5), LayerWeight("relu4_2")]
        var results: [(LossTerms, [Float])] = []
        for network in [fast, direct] {
            let objective = try TransferObjective(network: network, width: w, height: h, content: content, styles: [style], options: options)
            var rng = SplitMix64(seed: 5)
            let x = content.pixels.map { min(255, max(0, $0 + Float.random(in: -20...20, using: &rng))) }
            results.append(objective.evaluate(x))
        }
        let (a, ga) = results[0], (b, gb) = results[1]
        for (name, u, v) in [("content", a.content, b.content), ("style", a.style, b.style)] {
            print("objective \(name): Winograd \(u), direct \(v), relative \(abs(u - v) / abs(v))")
            #expect(abs(u - v) <= 1e-4 * abs(v), "\(name) loss")
        }
        let worst = zip(ga, gb).map { abs($0 - $1) }.max()!, scale = gb.map(abs).max()!
        let norm = Support.normRelativeError(ga.map(Double.init), gb.map(Double.init))
        print("objective gradient: max error / max |g| \(worst / scale), whole vector \(norm)")
        #expect(worst / scale < 1e-4)
        #expect(norm < 1e-4)
    }
}
